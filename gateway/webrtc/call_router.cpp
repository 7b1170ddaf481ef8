#include "gateway/webrtc/call_router.hpp"

#include <cstdio>

namespace floe::webrtc {

CallRouter::CallRouter(boost::asio::io_context& io, MediaPort& port, BrowserLegOptions options)
    : io_(io), port_(port), options_(std::move(options)) {}

CallRouter::~CallRouter() { hangup_all(); }

EchoCall* CallRouter::find(const signaling::CallKey& key) {
  auto it = calls_.find(key);
  return it == calls_.end() ? nullptr : it->second.get();
}

void CallRouter::call(const signaling::CallContext& ctx, const std::string& target,
                      const sdp::SessionDescription& offer,
                      std::shared_ptr<signaling::CallSink> sink) {
  ++counters_.calls;
  if (target != "echo") {
    ++counters_.unknown_targets;
    sink->ended("not-found", "unknown target '" + target +
                                 "': this router only knows 'echo'");
    return;
  }
  ++counters_.echo_calls;
  auto done = [this](const signaling::CallKey& key, const EchoCall* which) {
    auto it = calls_.find(key);
    if (it != calls_.end() && it->second.get() == which) {
      ++counters_.ended_by_gateway;
      finished_legs_ += it->second->leg().totals();
      calls_.erase(it);
    }
  };
  auto call = std::make_unique<EchoCall>(io_, port_, options_, sink, done);
  if (!call->start(offer)) return;
  calls_[ctx.key] = std::move(call);
}

void CallRouter::accept(const signaling::CallContext&, const sdp::SessionDescription&) {
  // Floe rings browsers only for SIP calls, which are not wired yet.
}

void CallRouter::reject(const signaling::CallContext&, const std::string&) {}

void CallRouter::candidate(const signaling::CallContext& ctx,
                           const signaling::IceCandidate& candidate) {
  if (auto* c = find(ctx.key)) c->add_remote_candidate(candidate.candidate);
}

void CallRouter::end_of_candidates(const signaling::CallContext& ctx) {
  if (auto* c = find(ctx.key)) c->end_of_remote_candidates();
}

void CallRouter::dtmf(const signaling::CallContext&, const std::string&, std::uint32_t) {
  // Echo has nobody to play DTMF to; the SIP leg will send RFC 4733 events.
}

void CallRouter::hangup(const signaling::CallContext& ctx, const std::string&) {
  auto it = calls_.find(ctx.key);
  if (it == calls_.end()) return;
  it->second->hangup();
  finished_legs_ += it->second->leg().totals();
  calls_.erase(it);
}

std::optional<std::string> CallRouter::renegotiate(const signaling::CallContext& ctx,
                                                   const sdp::SessionDescription& offer) {
  auto* c = find(ctx.key);
  if (!c) return std::string("no such call");
  std::string why;
  if (!c->renegotiate(offer, &why)) return why;
  return std::nullopt;
}

void CallRouter::hangup_all() {
  for (auto& [key, call] : calls_) {
    call->hangup();
    finished_legs_ += call->leg().totals();
  }
  calls_.clear();
}

std::string CallRouter::metrics(const LegTotals* other_legs) const {
  const auto& p = port_.counters();
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "# TYPE floe_calls_total counter\nfloe_calls_total %llu\n"
                "# TYPE floe_echo_calls_total counter\nfloe_echo_calls_total %llu\n"
                "# TYPE floe_calls_unknown_target_total counter\n"
                "floe_calls_unknown_target_total %llu\n"
                "# TYPE floe_calls_failed_total counter\nfloe_calls_failed_total %llu\n"
                "# TYPE floe_calls_active gauge\nfloe_calls_active %zu\n"
                "# TYPE floe_media_datagrams_total counter\nfloe_media_datagrams_total %llu\n"
                "# TYPE floe_media_unroutable_total counter\nfloe_media_unroutable_total %llu\n"
                "# TYPE floe_media_stun_answered_total counter\n"
                "floe_media_stun_answered_total %llu\n",
                static_cast<unsigned long long>(counters_.calls),
                static_cast<unsigned long long>(counters_.echo_calls),
                static_cast<unsigned long long>(counters_.unknown_targets),
                static_cast<unsigned long long>(counters_.ended_by_gateway), calls_.size(),
                static_cast<unsigned long long>(p.received),
                static_cast<unsigned long long>(p.unroutable),
                static_cast<unsigned long long>(p.stun_answered));
  std::string out = buf;
  LegTotals legs = finished_legs_;
  for (const auto& [key, call] : calls_) legs += call->leg().totals();
  if (other_legs) legs += *other_legs;
  append_leg_metrics(out, legs);
  return out;
}

}  // namespace floe::webrtc
