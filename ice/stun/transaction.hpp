#pragma once
// A STUN client transaction, RFC 8489 §6.2: retransmits a request with
// exponential back-off over unreliable transports and times out. It knows
// nothing of sockets: the owner sends what poll_transmit() yields and routes
// responses with a matching transaction id to handle_response().
#include <cstdint>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ice/stun/message.hpp"

namespace floe::stun {

struct TransactionConfig {
  Duration rto = milliseconds(500);  // §6.2.1: initial RTO, SHOULD be >= 500 ms
  int rc = 7;                        // total transmissions
  int rm = 16;                       // wait Rm * RTO after the last one
  bool reliable = false;             // TCP/TLS: send once, wait ti
  Duration ti = milliseconds(39500); // §6.2.2
};

class ClientTransaction {
 public:
  enum class State : std::uint8_t { Pending, Answered, TimedOut, Cancelled };

  ClientTransaction(Instant now, Bytes request, const TransactionConfig& config = {});

  const TransactionId& id() const { return id_; }
  State state() const { return state_; }
  bool done() const { return state_ != State::Pending; }
  int transmissions() const { return sent_; }

  // The request bytes when a (re)transmission is due, else empty.
  ByteView poll_transmit();
  void handle_timeout(Instant now);
  Instant next_timeout() const { return done() ? kNever : deadline_; }
  // Call with a response whose transaction id equals id(). Returns the RTT
  // of the first transmission when the response cannot be a retransmission's
  // (Karn's rule), else zero.
  Duration handle_response(Instant now);
  void cancel() { state_ = State::Cancelled; }
  const Bytes& request() const { return request_; }

 private:
  TransactionConfig cfg_;
  Bytes request_;
  TransactionId id_{};
  State state_ = State::Pending;
  Instant started_;
  Instant deadline_;
  Duration rto_;
  int sent_ = 0;
  bool transmit_due_ = true;
};

}  // namespace floe::stun
