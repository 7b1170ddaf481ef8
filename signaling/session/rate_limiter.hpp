#pragma once
// Token bucket per connection: `burst` messages at once, then `per_second`
// sustained. Time comes from the caller, so tests drive it with a virtual clock.
#include <algorithm>
#include <chrono>

#include "base/time.hpp"

namespace floe::signaling {

class RateLimiter {
 public:
  RateLimiter(double burst, double per_second) : burst_(burst), rate_(per_second), tokens_(burst) {}

  // Takes one token if there is one.
  bool allow(Instant now) {
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  double tokens(Instant now) {
    refill(now);
    return tokens_;
  }

 private:
  void refill(Instant now) {
    if (!started_) {
      started_ = true;
      last_ = now;
      return;
    }
    if (now <= last_) return;
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }

  double burst_;
  double rate_;
  double tokens_;
  Instant last_{};
  bool started_ = false;
};

}  // namespace floe::signaling
