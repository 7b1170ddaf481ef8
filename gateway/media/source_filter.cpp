#include "gateway/media/source_filter.hpp"

namespace floe::media {
namespace {

// c=IN IP4 0.0.0.0 (RFC 3264 §8.4 legacy hold) or port 0 names no source.
bool usable(const SocketAddress& a) { return a.port() != 0 && !a.ip().is_unspecified(); }

}  // namespace

const char* to_string(SourceDrop d) {
  switch (d) {
    case SourceDrop::NoRemote: return "no_remote";
    case SourceDrop::NotSignalled: return "not_signalled";
    case SourceDrop::NotLearned: return "not_learned";
  }
  return "unknown";
}

SourceFilter::SourceFilter(SourceMode mode, Duration learning_window)
    : mode_(mode), window_(learning_window) {}

void SourceFilter::set_signalled(Instant now, const SocketAddress& remote) {
  if (signalled_ && *signalled_ == remote) return;
  signalled_ = remote;
  locked_.reset();
  window_end_ = now + window_;
}

bool SourceFilter::learning(Instant now) const {
  return mode_ == SourceMode::Learn && signalled_ && !locked_ && now < window_end_;
}

bool SourceFilter::drop(SourceDrop why) {
  ++counters_.dropped[static_cast<std::size_t>(why)];
  return false;
}

bool SourceFilter::accept(Instant now, const SocketAddress& from) {
  if (!signalled_) return drop(SourceDrop::NoRemote);
  if (mode_ == SourceMode::Strict) {
    if (!usable(*signalled_)) return drop(SourceDrop::NoRemote);
    if (from != *signalled_) return drop(SourceDrop::NotSignalled);
    ++counters_.accepted;
    return true;
  }
  if (locked_) {
    if (from != *locked_) return drop(SourceDrop::NotLearned);
    ++counters_.accepted;
    return true;
  }
  // Learn mode, nothing locked yet. A hold address still allows learning:
  // the endpoint may be behind NAT and only its real source matters.
  if (now < window_end_ || from == *signalled_) {
    if (now >= window_end_ && !usable(*signalled_)) return drop(SourceDrop::NoRemote);
    locked_ = from;
    ++counters_.learned;
    ++counters_.accepted;
    return true;
  }
  return drop(usable(*signalled_) ? SourceDrop::NotSignalled : SourceDrop::NoRemote);
}

std::optional<SocketAddress> SourceFilter::destination() const {
  if (locked_) return locked_;
  if (signalled_ && usable(*signalled_)) return signalled_;
  return std::nullopt;
}

}  // namespace floe::media
