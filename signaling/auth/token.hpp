#pragma once
// Access tokens checked before any session work. Two modes:
//  - shared secret: the token is the secret itself (for a private deployment);
//  - HMAC: "<expiry>:<user>:<sig>" where expiry is Unix seconds and sig is
//    base64url (no padding) of HMAC-SHA256(secret, "<expiry>:<user>"), the
//    same time-limited scheme TURN REST credentials use, so a web backend can
//    mint tokens without talking to Floe.
#include <cstdint>
#include <string>
#include <string_view>

namespace floe::signaling {

struct AuthConfig {
  enum class Mode : std::uint8_t { None, SharedSecret, Hmac };
  Mode mode = Mode::None;
  std::string secret;
  // Tokens whose expiry lies further ahead than this are refused, so a leaked
  // signing bug cannot mint eternal tokens.
  std::int64_t max_lifetime_s = 7 * 24 * 3600;
};

struct AuthOutcome {
  bool ok = false;
  std::string user;    // from an HMAC token; empty otherwise
  std::string reason;  // why it failed, for the error message
};

AuthOutcome verify_token(const AuthConfig& config, std::string_view token, std::int64_t unix_now);

// Mints an HMAC token (used by tests and by `floe token` later).
std::string make_token(std::string_view secret, std::int64_t expiry, std::string_view user);

std::string base64url(const unsigned char* data, std::size_t size);

}  // namespace floe::signaling
