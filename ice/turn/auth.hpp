#pragma once
// TURN long-term credentials (RFC 8656 §5, RFC 8489 §9.2): static users, one
// realm, and stateless nonces that carry their own expiry so a stale one is
// answered with 438 (§9.2.4) without keeping per-client state. Also the
// "TURN REST API" ephemeral credentials that coturn's use-auth-secret accepts
// (draft-uberti-behave-turn-rest): username "<unix-expiry>:<user>", password
// base64(HMAC-SHA1(secret, username)).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/time.hpp"

namespace floe::turn {

// Maps the engine's steady clock onto Unix time, which REST usernames use.
// The driver anchors it once at start; tests pick any anchor.
struct WallClock {
  Instant at{};
  std::int64_t unix_seconds = 0;
  std::int64_t unix_at(Instant now) const {
    return unix_seconds + std::chrono::duration_cast<seconds>(now - at).count();
  }
};

struct AuthConfig {
  std::string realm = "floe";
  std::map<std::string, std::string, std::less<>> users;  // username -> password
  std::string rest_secret;                                 // empty: REST credentials off
  char rest_separator = ':';
  Duration nonce_lifetime = seconds(600);
};

enum class KeyLookup : std::uint8_t { Found, UnknownUser, RestExpired, RestMalformed };

class Authenticator {
 public:
  // `nonce_secret` keys the nonce MAC; random per process in production.
  Authenticator(AuthConfig config, ByteView nonce_secret);

  const std::string& realm() const { return cfg_.realm; }
  std::string make_nonce(Instant now) const;
  bool nonce_fresh(std::string_view nonce, Instant now) const;
  // The long-term key (MD5 of user:realm:password) for `username`, or why not.
  KeyLookup key_for(std::string_view username, std::int64_t unix_now, Bytes* key) const;
  // The user a quota is charged to: REST usernames count against their user part.
  std::string_view quota_user(std::string_view username) const;

 private:
  AuthConfig cfg_;
  Bytes nonce_secret_;
};

// The password a REST credential service hands out for `username`.
std::string rest_password(std::string_view secret, std::string_view username);

// Ephemeral credentials for a browser (e.g. in the gateway's `welcome`):
// username "<unix_now + ttl>:<user>" and its REST password.
struct RestCredentials {
  std::string username;
  std::string password;
};
RestCredentials make_rest_credentials(std::string_view secret, std::string_view user,
                                      std::int64_t unix_now, seconds ttl, char separator = ':');
// base64 (RFC 4648 §4, padded).
std::string base64_encode(ByteView data);

}  // namespace floe::turn
