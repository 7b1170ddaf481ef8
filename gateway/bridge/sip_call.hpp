#pragma once
// The SIP leg of a bridged call, sans-IO: one INVITE dialog on the shared
// sip::UserAgent, as UAC (a browser calls out) or UAS (a trunk rings a
// browser). It maps SIP responses and requests to call events, answers
// mid-call offers (hold/resume by re-INVITE or UPDATE, RFC 3264 §8.4,
// RFC 3311), keeps RFC 4028 session timers, and carries INFO DTMF and
// MESSAGE (RFC 3428) in the dialog. The UserAgent is fed by its driver; the
// owner hands this call the UA events that belong to it (matches()).
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>

#include "base/time.hpp"
#include "gateway/bridge/sip_sdp.hpp"
#include "gateway/sip/digest.hpp"
#include "gateway/sip/session_timer.hpp"
#include "gateway/sip/user_agent.hpp"

namespace floe::bridge {

struct SipCallEvent {
  enum class Kind : std::uint8_t {
    Ringing,       // 180/181/182
    Progress,      // 183 (media: early media from its SDP)
    Answered,      // UAC: 2xx (media: the answer); UAS: the ACK came
    RemoteMedia,   // a mid-call offer changed the peer's media (hold/resume)
    Dtmf,          // INFO application/dtmf-relay or application/dtmf
    Message,       // in-dialog MESSAGE
    Ended,         // reason, message
  };
  Kind kind = Kind::Ringing;
  std::optional<SipRemoteMedia> media;
  std::string reason;   // Ended: stable word ("hangup", "sip-486", "session-expired", ...)
  std::string message;  // Ended: for humans; Message: the text
  char digit = 0;
  std::uint32_t duration_ms = 0;
  int status = 0;
};

struct SipCallOptions {
  std::optional<sip::DigestCredentials> credentials;
  // RFC 4028: asked for on outgoing INVITEs; 0 disables session timers.
  std::uint32_t session_expires = 1800;
  std::uint32_t min_se = 90;
};

class SipCall {
 public:
  enum class State : std::uint8_t { Idle, Calling, Early, Incoming, Confirmed, Ending, Ended };

  SipCall(sip::UserAgent& ua, SipCallOptions options);

  // ---- UAC
  // Sends the INVITE; `local` is our media (codecs = the offer's). Returns
  // false when the UA could not route it (then an Ended event is queued).
  bool invite(Instant now, const sip::Uri& request_uri, const sip::Uri& from,
              std::string_view from_display, const SipLocalMedia& local);

  // ---- UAS
  // Takes an initial INVITE the UA reported. An INVITE without SDP leaves
  // remote_offer() empty: the 2xx then carries our offer and the ACK the answer.
  void incoming(Instant now, std::uint64_t server_tx, const sip::Message& invite);
  const std::optional<SipRemoteMedia>& remote_offer() const { return remote_offer_; }
  void ringing(Instant now);
  void accept(Instant now, const SipLocalMedia& local);
  void reject(Instant now, int status, std::string_view reason = {});

  // ---- both
  // CANCEL before a final answer (UAC), 480/487 (UAS), BYE after.
  void hangup(Instant now);
  // Re-offers our media with a new direction (hold from the browser side).
  void set_local_direction(Instant now, sdp::Direction d);
  // The media we send from, updated after negotiation (what mid-call answers use).
  void set_local_media(const SipLocalMedia& local) { local_ = local; }
  bool send_info_dtmf(Instant now, char digit, std::uint32_t duration_ms);
  bool send_message(Instant now, std::string_view text, std::string_view content_type = "text/plain");

  // ---- driving
  bool matches(const sip::UaEvent& e) const;
  void handle_event(Instant now, const sip::UaEvent& e);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  std::optional<SipCallEvent> poll_event();

  State state() const { return state_; }
  bool ended() const { return state_ == State::Ended; }
  const std::optional<sip::DialogId>& dialog() const { return dialog_; }
  std::string call_id() const { return call_id_; }
  const sip::Message& initial_invite() const { return invite_; }
  const std::optional<SipRemoteMedia>& remote_media() const { return remote_; }
  const SipLocalMedia& local_media() const { return local_; }
  const sip::SessionTimer& session_timer() const { return timer_; }

 private:
  void on_response(Instant now, const sip::UaEvent& e);
  void on_request(Instant now, const sip::UaEvent& e);
  void on_mid_call_offer(Instant now, const sip::UaEvent& e);
  void send_bye(Instant now);
  void end(std::string reason, std::string message = {}, int status = 0);
  void emit(SipCallEvent e) { events_.push_back(std::move(e)); }
  std::optional<SipRemoteMedia> media_of(const sip::Message& m, std::string* why) const;
  void respond_sdp(Instant now, std::uint64_t tx, int status, bool timer_headers);

  sip::UserAgent& ua_;
  SipCallOptions opt_;
  State state_ = State::Idle;
  bool uac_ = true;
  std::string call_id_;
  sip::Message invite_;
  std::uint64_t invite_handle_ = 0;
  std::uint64_t server_tx_ = 0;
  std::set<std::uint64_t> requests_;  // our in-dialog request handles
  std::optional<sip::DialogId> dialog_;
  std::optional<SipRemoteMedia> remote_offer_;
  std::optional<SipRemoteMedia> remote_;
  SipLocalMedia local_;
  bool early_media_ = false;
  bool ack_seen_ = false;        // UAS: the initial 2xx was ACKed
  bool hangup_pending_ = false;  // CANCEL sent; a crossing 2xx gets a BYE
  bool offer_in_ack_ = false;    // UAS: our 2xx (or re-INVITE 2xx) carried the offer
  sdp::Direction last_answer_direction_ = sdp::Direction::SendRecv;
  sip::SessionTimer timer_;  // RFC 4028
  // RFC 6086 §4.2.2: one INFO at a time; the next digit goes on the final response.
  std::deque<std::pair<char, std::uint32_t>> info_queue_;
  std::uint64_t info_handle_ = 0;
  void send_next_info(Instant now);
  std::uint64_t refresh_handle_ = 0;
  std::deque<SipCallEvent> events_;
};

// RFC 4733 §3.2 event code for a DTMF digit (0-9 * # A-D), or -1.
int dtmf_event_code(char digit);
char dtmf_digit(int event_code);
// "Signal=5\r\nDuration=160\r\n" (application/dtmf-relay, the de-facto format).
std::optional<std::pair<char, std::uint32_t>> parse_dtmf_relay(std::string_view body);

}  // namespace floe::bridge
