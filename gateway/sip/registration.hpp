#pragma once
// Registration of one trunk account (RFC 3261 §10.2), sans-IO: it decides
// when to send REGISTER (initial, refresh before expiry, retry with back-off
// after failure, Expires: 0 on shutdown) and OPTIONS keepalives, answers
// digest challenges, and reads the granted expiry. The UserAgent sends what
// poll_request() yields through client transactions and hands final
// responses (or a transaction failure) back.
#include <cstdint>
#include <optional>
#include <string>

#include "base/time.hpp"
#include "gateway/sip/digest.hpp"
#include "gateway/sip/message.hpp"

namespace floe::sip {

struct RegistrationConfig {
  Uri registrar;                 // Request-URI, e.g. sip:trunk.example:5060
  Uri aor;                       // address-of-record for To/From
  DigestCredentials credentials;
  std::string contact;           // our Contact URI (UserAgent fills it in)
  std::string instance_id;       // RFC 5626 +sip.instance value, e.g. urn:uuid:...
  std::uint32_t expires = 3600;
  Duration retry_min = seconds(10);  // back-off after a failure doubles to retry_max
  Duration retry_max = seconds(600);
  Duration keepalive = Duration::zero();  // OPTIONS interval while registered; 0 = off
  int max_auth_attempts = 3;
};

class Registration {
 public:
  enum class State : std::uint8_t {
    Idle, Registering, Registered, Retrying, Unregistering, Unregistered
  };

  Registration(RegistrationConfig config, std::string call_id, std::string from_tag);

  // Starts registering at `now` (the first REGISTER comes from poll_request).
  void start(Instant now);
  // Removes the binding (Expires: 0) if registered, else stops at once.
  void stop(Instant now);

  // The next request to send, if one is due at `now`.
  std::optional<Message> poll_request(Instant now);
  // A final response to a request this object produced.
  void handle_response(Instant now, const Message& request, const Message& response);
  // The transaction for a request failed (timer F, transport error).
  void handle_failure(Instant now, const Message& request);
  Instant next_timeout() const;

  State state() const { return state_; }
  int last_status() const { return last_status_; }
  std::uint32_t granted_expires() const { return granted_; }
  Instant expires_at() const { return expires_at_; }
  int failures() const { return failures_; }
  const RegistrationConfig& config() const { return cfg_; }
  void set_contact(std::string contact) { cfg_.contact = std::move(contact); }
  DigestClient& digest() { return digest_; }
  // True once per state change, for the owner's event stream.
  bool take_state_changed();

 private:
  Message make_register(std::uint32_t expires);
  void schedule_retry(Instant now, std::optional<Duration> retry_after);
  void set_state(State s);

  RegistrationConfig cfg_;
  DigestClient digest_;
  std::string call_id_;
  std::string from_tag_;
  std::uint32_t cseq_ = 0;
  State state_ = State::Idle;
  bool changed_ = false;
  bool in_flight_ = false;
  bool options_in_flight_ = false;
  int auth_attempts_ = 0;
  int failures_ = 0;
  int last_status_ = 0;
  std::uint32_t requested_;
  std::uint32_t granted_ = 0;
  Instant send_at_ = kNever;       // next REGISTER
  Instant keepalive_at_ = kNever;  // next OPTIONS
  Instant expires_at_ = kNever;
  std::optional<Message> pending_;  // a rebuilt request waiting to be polled
};

}  // namespace floe::sip
