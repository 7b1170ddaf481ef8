#include "signaling/auth/token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace floe::signaling {

namespace {

std::string sign(std::string_view secret, std::string_view payload) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  return base64url(mac, len);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string base64url(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 2 < size; i += 3) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == size) {
    std::uint32_t v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == size) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string make_token(std::string_view secret, std::int64_t expiry, std::string_view user) {
  std::string payload = std::to_string(expiry) + ":" + std::string(user);
  return payload + ":" + sign(secret, payload);
}

AuthOutcome verify_token(const AuthConfig& config, std::string_view token, std::int64_t unix_now) {
  using Mode = AuthConfig::Mode;
  if (config.mode == Mode::None) return {true, {}, {}};
  if (token.empty()) return {false, {}, "a token is required"};
  if (token.size() > 2048) return {false, {}, "the token is too long"};
  if (config.mode == Mode::SharedSecret) {
    if (equal_constant_time(token, config.secret)) return {true, {}, {}};
    return {false, {}, "the token is not valid"};
  }
  // The user part may itself contain ':'; expiry is before the first and the
  // signature after the last.
  auto first = token.find(':');
  auto last = token.rfind(':');
  if (first == std::string_view::npos || first == last)
    return {false, {}, "the token must look like <expiry>:<user>:<signature>"};
  std::string_view expiry_text = token.substr(0, first);
  std::string_view user = token.substr(first + 1, last - first - 1);
  std::string_view sig = token.substr(last + 1);
  std::int64_t expiry = 0;
  auto [p, ec] = std::from_chars(expiry_text.data(), expiry_text.data() + expiry_text.size(), expiry);
  if (ec != std::errc{} || p != expiry_text.data() + expiry_text.size() || expiry_text.empty() ||
      expiry_text.front() == '-')
    return {false, {}, "the token expiry is not a number of Unix seconds"};
  // Check the signature before anything the token says, so a forged token
  // learns nothing about the clock.
  if (!equal_constant_time(sig, sign(config.secret, token.substr(0, last))))
    return {false, {}, "the token signature is not valid"};
  if (expiry <= unix_now) return {false, {}, "the token has expired"};
  if (expiry - unix_now > config.max_lifetime_s)
    return {false, {}, "the token expires too far in the future"};
  return {true, std::string(user), {}};
}

}  // namespace floe::signaling
