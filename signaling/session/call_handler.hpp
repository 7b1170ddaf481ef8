#pragma once
// The seam between the signaling front end and whatever places calls (the
// gateway: echo, SIP). Signaling parses and validates; the handler decides.
//
// Threading: CallHandler methods run on the signaling thread and must not
// block. A handler answers through the CallSink it was given; CallSink
// methods may be called from ANY thread (the server posts them back to the
// signaling thread), any number of times; events for a call that has ended
// are dropped.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "signaling/protocol/errors.hpp"
#include "signaling/protocol/messages.hpp"
#include "signaling/sdp/session_description.hpp"

namespace floe::signaling {

// Identifies one call: the browser session and the call id within it.
struct CallKey {
  std::string session_id;
  std::string call_id;
  auto operator<=>(const CallKey&) const = default;
};

struct CallContext {
  CallKey key;
  std::string user;  // the token's user, else the registered name, else empty
  std::string peer;  // the browser's address as the server saw it
};

// What a handler tells the browser about a call.
namespace event {
struct Answer { std::string sdp; };           // SDP answer to the browser's offer
struct Ringing {};
struct Progress {};
struct Answered {};                            // the far end picked up
struct Candidate { IceCandidate candidate; };  // Floe's trickled candidate
struct EndOfCandidates {};
struct Stats { std::map<std::string, double> values; };
// The call ended; `reason` is a stable word (docs/protocol.md).
struct Ended { std::string reason; std::string message; };
// The call request failed before an answer: reported as an `error` naming
// the `call` request, then the call is gone.
struct Failed { ErrorCode code; std::string message; };
}  // namespace event

using CallEvent = std::variant<event::Answer, event::Ringing, event::Progress, event::Answered,
                               event::Candidate, event::EndOfCandidates, event::Stats,
                               event::Ended, event::Failed>;

// A handle the handler keeps per call. Copyable through shared_ptr; outlives
// the call harmlessly.
class CallSink {
 public:
  using Post = std::function<void(const CallKey&, CallEvent)>;
  CallSink(CallKey key, Post post) : key_(std::move(key)), post_(std::move(post)) {}

  const CallKey& key() const { return key_; }
  void answer(std::string sdp) { post(event::Answer{std::move(sdp)}); }
  void ringing() { post(event::Ringing{}); }
  void progress() { post(event::Progress{}); }
  void answered() { post(event::Answered{}); }
  void candidate(IceCandidate c) { post(event::Candidate{std::move(c)}); }
  void end_of_candidates() { post(event::EndOfCandidates{}); }
  void stats(std::map<std::string, double> values) { post(event::Stats{std::move(values)}); }
  void ended(std::string reason, std::string message = {}) {
    post(event::Ended{std::move(reason), std::move(message)});
  }
  void fail(ErrorCode code, std::string message) { post(event::Failed{code, std::move(message)}); }
  void post(CallEvent e) { post_(key_, std::move(e)); }

 private:
  CallKey key_;
  Post post_;
};

class CallHandler {
 public:
  virtual ~CallHandler() = default;

  // The browser calls `target` with an SDP offer that parsed. Reply through
  // `sink`: answer(sdp) [+ answered()], or fail(code, why), or ended(reason).
  virtual void call(const CallContext& ctx, const std::string& target,
                    const sdp::SessionDescription& offer, std::shared_ptr<CallSink> sink) = 0;
  // The browser answers an `incoming` offer the handler made through ring().
  virtual void accept(const CallContext& ctx, const sdp::SessionDescription& answer) = 0;
  virtual void reject(const CallContext& ctx, const std::string& reason) = 0;
  // Trickle from the browser (RFC 8838). May arrive before call() has answered.
  virtual void candidate(const CallContext& ctx, const IceCandidate& candidate) = 0;
  virtual void end_of_candidates(const CallContext& ctx) = 0;
  virtual void dtmf(const CallContext& ctx, const std::string& digits, std::uint32_t duration_ms) = 0;
  // A new offer from the browser inside a call that has a media session
  // (renegotiation; an ICE restart brings new ice-ufrag/pwd). The handler
  // answers through the call's sink (answer(sdp), then candidates) and
  // returns nullopt; or returns why it cannot, and the call goes on as
  // before. The default: calls that cannot renegotiate.
  virtual std::optional<std::string> renegotiate(const CallContext& /*ctx*/,
                                                 const sdp::SessionDescription& /*offer*/) {
    return std::string("this call does not accept new offers");
  }
  // The browser hung up, or its session expired ("session-expired").
  virtual void hangup(const CallContext& ctx, const std::string& reason) = 0;
  // A session registered (or dropped) a user name the handler may ring.
  virtual void registered(const std::string& /*session_id*/, const std::string& /*user*/) {}
  virtual void unregistered(const std::string& /*session_id*/, const std::string& /*user*/) {}
};

}  // namespace floe::signaling
