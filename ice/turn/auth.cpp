#include "ice/turn/auth.hpp"

#include <charconv>

#include "ice/stun/credentials.hpp"
#include "ice/stun/crypto.hpp"

namespace floe::turn {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& s, ByteView b) {
  for (auto c : b) {
    s.push_back(kHex[c >> 4]);
    s.push_back(kHex[c & 15]);
  }
}

// Nonce = 16 hex digits of the expiry (steady-clock ticks) + 16 hex digits of
// an HMAC over them. The MAC makes nonces unforgeable; the expiry makes them stale.
std::string nonce_for(ByteView secret, std::uint64_t expiry) {
  std::uint8_t e[8];
  store_be32(e, static_cast<std::uint32_t>(expiry >> 32));
  store_be32(e + 4, static_cast<std::uint32_t>(expiry));
  auto mac = stun::hmac_sha1(secret, {ByteView(e, 8)});
  std::string s;
  s.reserve(32);
  append_hex(s, ByteView(e, 8));
  append_hex(s, ByteView(mac.data(), 8));
  return s;
}

}  // namespace

Authenticator::Authenticator(AuthConfig config, ByteView nonce_secret)
    : cfg_(std::move(config)), nonce_secret_(nonce_secret.begin(), nonce_secret.end()) {}

std::string Authenticator::make_nonce(Instant now) const {
  const auto expiry = (now + cfg_.nonce_lifetime).time_since_epoch().count();
  return nonce_for(nonce_secret_, static_cast<std::uint64_t>(expiry));
}

bool Authenticator::nonce_fresh(std::string_view nonce, Instant now) const {
  if (nonce.size() != 32) return false;
  std::uint64_t expiry = 0;
  auto [p, ec] = std::from_chars(nonce.data(), nonce.data() + 16, expiry, 16);
  if (ec != std::errc{} || p != nonce.data() + 16) return false;
  const std::string expected = nonce_for(nonce_secret_, expiry);
  if (!stun::equal_ct(as_bytes(expected), as_bytes(nonce))) return false;
  return static_cast<std::int64_t>(expiry) > now.time_since_epoch().count();
}

KeyLookup Authenticator::key_for(std::string_view username, std::int64_t unix_now,
                                 Bytes* key) const {
  if (auto it = cfg_.users.find(username); it != cfg_.users.end()) {
    *key = stun::long_term_key(username, cfg_.realm, it->second);
    return KeyLookup::Found;
  }
  if (cfg_.rest_secret.empty()) return KeyLookup::UnknownUser;
  // coturn reads the timestamp as the part before the separator; a username
  // without one is taken as a bare timestamp.
  const auto sep = username.find(cfg_.rest_separator);
  const std::string_view stamp = username.substr(0, sep);
  std::int64_t expiry = 0;
  auto [p, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), expiry);
  if (stamp.empty() || ec != std::errc{} || p != stamp.data() + stamp.size())
    return KeyLookup::RestMalformed;
  if (expiry <= unix_now) return KeyLookup::RestExpired;
  *key = stun::long_term_key(username, cfg_.realm, rest_password(cfg_.rest_secret, username));
  return KeyLookup::Found;
}

std::string_view Authenticator::quota_user(std::string_view username) const {
  if (cfg_.rest_secret.empty() || cfg_.users.count(username)) return username;
  const auto sep = username.find(cfg_.rest_separator);
  return sep == std::string_view::npos ? username : username.substr(sep + 1);
}

std::string rest_password(std::string_view secret, std::string_view username) {
  const auto mac = stun::hmac_sha1(as_bytes(secret), {as_bytes(username)});
  return base64_encode(mac);
}

RestCredentials make_rest_credentials(std::string_view secret, std::string_view user,
                                      std::int64_t unix_now, seconds ttl, char separator) {
  RestCredentials c;
  c.username = std::to_string(unix_now + ttl.count());
  c.username += separator;
  c.username += user;
  c.password = rest_password(secret, c.username);
  return c;
}

std::string base64_encode(ByteView d) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  s.reserve((d.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= d.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{d[i]} << 16) | (std::uint32_t{d[i + 1]} << 8) | d[i + 2];
    for (int k = 18; k >= 0; k -= 6) s.push_back(kAlphabet[(v >> k) & 63]);
  }
  if (const std::size_t rest = d.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t{d[i]} << 16;
    if (rest == 2) v |= std::uint32_t{d[i + 1]} << 8;
    s.push_back(kAlphabet[(v >> 18) & 63]);
    s.push_back(kAlphabet[(v >> 12) & 63]);
    s.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    s.push_back('=');
  }
  return s;
}

}  // namespace floe::turn
