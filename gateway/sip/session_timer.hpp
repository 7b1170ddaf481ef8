#pragma once
// Session timers (RFC 4028), sans-IO: one object per dialog that the TU
// consults when it sends or answers INVITE/UPDATE, and that tells it when to
// refresh the session (half the interval, when we are the refresher, §10)
// and when the session has expired (the non-refresher, or a refresher whose
// refreshes failed: expiry minus min(32 s, interval/3), §10 — send BYE).
//
//   SessionTimer st({.session_expires = 1800, .min_se = 90});
//   st.add_to_request(invite);                  // UAC: Supported/Session-Expires/Min-SE
//   ... 2xx:  st.on_2xx_as_uac(now, ok);        // or UAS: st.on_2xx_as_uas(now, req, ok)
//   ... timer: switch (st.handle_timeout(now))  // Refresh -> re-INVITE/UPDATE, Expired -> BYE
//
// The UserAgent itself retries an INVITE/UPDATE answered 422 with the larger
// Min-SE (§7.4, apply_422), so the TU only sees the final outcome.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"
#include "gateway/sip/message.hpp"

namespace floe::sip {

enum class Refresher : std::uint8_t { Uac, Uas };

// Session-Expires: delta-seconds [;refresher=uac|uas] (§4).
struct SessionExpires {
  std::uint32_t delta = 0;
  std::optional<Refresher> refresher;

  static std::optional<SessionExpires> parse(std::string_view value);
  std::string to_string() const;
};

// Min-SE: delta-seconds (§5); nullopt when absent or malformed.
std::optional<std::uint32_t> min_se_of(const Message& m);
std::optional<SessionExpires> session_expires_of(const Message& m);
// An option tag in Supported / Require (either may be in compact form).
bool has_option_tag(const Message& m, std::string_view header, std::string_view tag);
// Adds `tag` to Supported unless it is already listed.
void add_supported(Message& m, std::string_view tag);

// §4/§5: 90 s is the smallest Min-SE anyone may ask for.
inline constexpr std::uint32_t kMinSessionExpires = 90;

// §7.4: a 422 to `request` names a Min-SE larger than the Session-Expires we
// asked for: raise both in `request` (Session-Expires keeps its refresher)
// and return true so the caller resends it (new CSeq, new branch).
bool apply_422(const Message& response, Message& request);

struct SessionTimerConfig {
  std::uint32_t session_expires = 1800;  // what we ask for (§4 recommends 1800 s)
  std::uint32_t min_se = kMinSessionExpires;  // the smallest interval we accept
  // Who refreshes when we answer a request that leaves it to us (§9) and the
  // peer supports the extension.
  Refresher uas_prefers = Refresher::Uac;
};

class SessionTimer {
 public:
  enum class Action : std::uint8_t { Refresh, Expired };

  explicit SessionTimer(SessionTimerConfig config = {});

  // ---- as the UAC of an INVITE/UPDATE (initial or refresh)
  // §7.1: Supported: timer, Session-Expires (our interval, or the running
  // one; refresher kept once the session has one) and Min-SE.
  void add_to_request(Message& request) const;
  // §7.4: remember a larger Min-SE from a 422 for later requests.
  void on_422(const Message& response);
  // §7.2: the 2xx to that request. With Session-Expires it (re)starts the
  // timer; without one there is no session expiration.
  void on_2xx_as_uac(Instant now, const Message& response);

  // ---- as the UAS of an INVITE/UPDATE
  // §9: the Min-SE to send with a 422 when the request's Session-Expires is
  // below our minimum; nullopt to go on.
  std::optional<std::uint32_t> check_request(const Message& request) const;
  // Adds Min-SE to a 422 built for check_request().
  void make_422(Message& response) const;
  // §9: our 2xx to that request: adds Session-Expires with the refresher
  // (and Require: timer when the UAC supports it), and (re)starts the timer.
  void on_2xx_as_uas(Instant now, const Message& request, Message& response);

  // ---- timers (§10)
  Instant next_timeout() const;
  // Refresh: we are the refresher and half the interval passed (send a
  // re-INVITE or UPDATE through add_to_request). Expired: no refresh came
  // (or ours failed) in time: send BYE. nullopt: nothing due.
  std::optional<Action> handle_timeout(Instant now);
  // §10: a refresh answered 408 or 481 ends the session at once.
  bool refresh_failed_fatally(int status) const { return status == 408 || status == 481; }
  void stop();

  bool active() const { return active_; }
  bool we_refresh() const { return active_ && we_refresh_; }
  std::uint32_t interval() const { return interval_; }
  std::uint32_t min_se() const { return min_se_; }
  Instant refresh_at() const { return refresh_at_; }
  Instant expire_at() const { return expire_at_; }

 private:
  void start(Instant now, std::uint32_t interval, bool we_refresh);

  SessionTimerConfig cfg_;
  std::uint32_t min_se_;
  bool active_ = false;
  bool we_refresh_ = false;
  std::uint32_t interval_ = 0;
  Instant refresh_at_ = kNever;
  Instant expire_at_ = kNever;
};

}  // namespace floe::sip
