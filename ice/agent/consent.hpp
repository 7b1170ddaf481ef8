#pragma once
// Consent freshness, RFC 7675: once a pair is selected the agent keeps
// asking the peer (STUN Binding requests, §5.1) whether it still wants the
// traffic; without an answer for the consent timeout it must stop sending.
#include <cstdint>

#include "base/time.hpp"

namespace floe::ice {

struct ConsentConfig {
  bool enabled = true;
  Duration interval = seconds(5);               // §5.1: ~5 s, jittered 0.8-1.2x
  Duration disconnected_after = seconds(10);    // no answer for this long: Disconnected
  Duration timeout = seconds(30);               // §5.1: consent lost
};

class ConsentFreshness {
 public:
  enum class Status : std::uint8_t { Fresh, Stale, Expired };

  explicit ConsentFreshness(ConsentConfig config = {}) : cfg_(config) {}
  const ConsentConfig& config() const { return cfg_; }

  // A pair was selected: consent starts fresh (the checks just proved it).
  void start(Instant now);
  void stop() { running_ = false; }
  bool running() const { return running_; }

  bool send_due(Instant now) const { return running_ && cfg_.enabled && now >= next_send_; }
  void on_sent(Instant now);
  void on_response(Instant now) { last_response_ = now; }

  Status status(Instant now) const;
  Instant last_response() const { return last_response_; }
  // `now` is the time of the last handle_* call: edges already passed are not timers.
  Instant next_timeout(Instant now) const;

 private:
  Duration jittered() const;
  ConsentConfig cfg_;
  bool running_ = false;
  Instant last_response_{};
  Instant next_send_ = kNever;
};

}  // namespace floe::ice
