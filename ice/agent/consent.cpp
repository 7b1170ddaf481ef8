#include "ice/agent/consent.hpp"

#include <algorithm>

#include "base/random.hpp"

namespace floe::ice {

Duration ConsentFreshness::jittered() const {
  // RFC 7675 §5.1: uniformly random in [0.8, 1.2] x interval, so that many
  // sessions started together do not send in lockstep.
  const auto per_mille = 800 + random_below(401);
  return cfg_.interval * per_mille / 1000;
}

void ConsentFreshness::start(Instant now) {
  running_ = true;
  last_response_ = now;
  next_send_ = now + jittered();
}

void ConsentFreshness::on_sent(Instant now) { next_send_ = now + jittered(); }

ConsentFreshness::Status ConsentFreshness::status(Instant now) const {
  if (!running_ || !cfg_.enabled) return Status::Fresh;
  const auto silent = now - last_response_;
  if (silent >= cfg_.timeout) return Status::Expired;
  if (silent >= cfg_.disconnected_after) return Status::Stale;
  return Status::Fresh;
}

Instant ConsentFreshness::next_timeout(Instant now) const {
  if (!running_ || !cfg_.enabled) return kNever;
  Instant t = std::min(next_send_, last_response_ + cfg_.timeout);
  // The Fresh->Stale edge matters only while it is still ahead of us.
  const auto stale = last_response_ + cfg_.disconnected_after;
  if (stale > now) t = std::min(t, stale);
  return t;
}

}  // namespace floe::ice
