#pragma once
// RFC 3261 §17 transactions with the RFC 6026 "Accepted" states, so 2xx
// retransmissions and the INVITE retransmissions that cross them are matched
// by a transaction instead of reaching the core as strays.
//
// Client: INVITE (timers A, B, D, M) and non-INVITE (E, F, K).
// Server: INVITE (G, H, I, L, automatic 100 Trying) and non-INVITE (J).
// On reliable transports nothing is retransmitted and D/I/J/K are zero.
#include <cstdint>
#include <vector>
#include <optional>
#include <string>

#include "base/time.hpp"
#include "gateway/sip/message.hpp"
#include "gateway/sip/transport.hpp"

namespace floe::sip {

class ClientTransaction {
 public:
  enum class State : std::uint8_t { Calling, Trying, Proceeding, Completed, Accepted, Terminated };

  // `request` must carry its top Via with a z9hG4bK branch.
  ClientTransaction(Instant now, Message request, Target target, const TimerConfig& timers);

  bool is_invite() const { return invite_; }
  const std::string& branch() const { return branch_; }
  // The request; once a final response arrived only its start line,
  // From, Call-ID and CSeq: retransmissions are over by then.
  const Message& request() const { return request_; }
  const Target& target() const { return target_; }
  State state() const { return state_; }
  bool terminated() const { return state_ == State::Terminated; }
  // Timer B or F fired: the TU sees this as a 408 (§8.1.3.1).
  bool timed_out() const { return timed_out_; }
  // The transport reported a failure (timed_out() too): a 503 for the TU.
  bool transport_failed() const { return transport_failed_; }
  // Before a final response: Calling, Trying or Proceeding.
  bool pending() const {
    return state_ == State::Calling || state_ == State::Trying || state_ == State::Proceeding;
  }

  // A response whose branch and CSeq method match (§17.1.3). Returns it when
  // the TU must see it; retransmissions the transaction absorbs give nullopt.
  std::optional<Message> handle_response(Instant now, const Message& response);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  std::optional<Transmit> poll_transmit();
  // §8.1.3.1: a transport failure is reported to the TU like a timeout.
  void transport_error();

 private:
  void send_request();
  Message make_ack(const Message& response) const;
  void enter_completed(Instant now, const Message& response);
  void release_request();

  TimerConfig timers_;
  Message request_;
  Bytes request_bytes_;         // serialized once, for timer A/E retransmissions
  Target target_;
  std::string branch_;
  bool invite_;
  bool reliable_;
  State state_;
  bool timed_out_ = false;
  bool transport_failed_ = false;
  Duration interval_;           // current A/E interval
  Instant retransmit_at_ = kNever;  // A or E
  Instant timeout_at_ = kNever;     // B, F, or M
  Instant linger_at_ = kNever;      // D or K
  Bytes ack_;                   // ACK for a non-2xx final, resent on retransmits
  std::vector<Transmit> out_;  // rarely more than one; empty allocates nothing
};

class ServerTransaction {
 public:
  enum class State : std::uint8_t { Trying, Proceeding, Completed, Confirmed, Accepted, Terminated };

  // `response_target` is where responses go (§18.2.2 with RFC 3581 rport).
  // An INVITE transaction answers 100 Trying at once (§17.2.1).
  ServerTransaction(Instant now, Message request, Target response_target,
                    const TimerConfig& timers);

  bool is_invite() const { return invite_; }
  const Message& request() const { return request_; }
  const Target& response_target() const { return target_; }
  State state() const { return state_; }
  bool terminated() const { return state_ == State::Terminated; }
  // Timer H fired: no ACK for a final non-2xx response (§17.2.1).
  bool timed_out() const { return timed_out_; }
  // The last response sent, parsed back from the bytes kept for
  // retransmission (only the bytes are stored; none in Accepted, where the
  // TU retransmits its 2xx).
  std::optional<Message> last_response() const;
  int last_status() const { return last_status_; }

  // A request matching this transaction: a retransmission or, for INVITE, the
  // ACK of a non-2xx final. Returns true when the ACK was absorbed.
  bool handle_request(Instant now, const Message& request);
  // The TU's response. Ignored after a final one, except 2xx retransmissions
  // in Accepted (the TU retransmits 2xx itself, §13.3.1.4).
  void send_response(Instant now, const Message& response);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  std::optional<Transmit> poll_transmit();
  void transport_error();

 private:
  void send(const Message& m);

  TimerConfig timers_;
  Message request_;
  Target target_;
  bool invite_;
  bool reliable_;
  State state_;
  bool timed_out_ = false;
  int last_status_ = 0;
  Bytes last_bytes_;
  Duration interval_{};
  Instant retransmit_at_ = kNever;  // G
  Instant timeout_at_ = kNever;     // H or L
  Instant linger_at_ = kNever;      // I or J
  std::vector<Transmit> out_;  // rarely more than one; empty allocates nothing
};

}  // namespace floe::sip
