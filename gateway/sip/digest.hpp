#pragma once
// HTTP Digest authentication as a SIP UAC (RFC 3261 §22, RFC 2617, RFC 7616,
// RFC 8760): answers 401/407 challenges with MD5, MD5-sess, SHA-256 or
// SHA-256-sess, qop=auth (auth-int when it is the only offer), and reuses a
// nonce for later requests with an incrementing nonce count.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/sip/message.hpp"

namespace floe::sip {

enum class DigestAlgorithm : std::uint8_t { Md5, Md5Sess, Sha256, Sha256Sess };

std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view name);
std::string_view digest_algorithm_name(DigestAlgorithm a);

struct Challenge {
  bool proxy = false;  // from Proxy-Authenticate (407)
  std::string realm;
  std::string nonce;
  std::string opaque;
  bool has_opaque = false;
  std::string algorithm_name = "MD5";
  std::optional<DigestAlgorithm> algorithm = DigestAlgorithm::Md5;  // nullopt: unsupported
  std::vector<std::string> qop;  // offered qop values
  bool stale = false;

  // Parses `Digest realm="..", nonce="..", ...`. Other schemes give nullopt.
  static std::optional<Challenge> parse(std::string_view header_value);
};

struct DigestInput {
  DigestAlgorithm algorithm = DigestAlgorithm::Md5;
  std::string username, password, realm, nonce, method, uri;
  std::string qop;       // "", "auth" or "auth-int"
  std::uint32_t nc = 1;
  std::string cnonce;
  std::string_view body;  // for auth-int
};

// The request-digest (lower-case hex), RFC 7616 §3.4.1.
std::string digest_response(const DigestInput& in);
// Lower-case hex of the algorithm's hash of `data`.
std::string digest_hash_hex(DigestAlgorithm a, std::string_view data);

struct DigestCredentials {
  std::string username;
  std::string password;
};

class DigestClient {
 public:
  explicit DigestClient(DigestCredentials credentials);

  // Deterministic cnonces for tests.
  void set_cnonce_source(std::function<std::string()> source) { cnonce_ = std::move(source); }

  // Takes the challenges of a 401/407 answering `request`. Returns false when
  // they cannot be answered: no supported algorithm, or the request already
  // carried fresh credentials for that realm and the nonce is not stale (the
  // password is wrong; retrying would loop).
  bool handle_challenge(const Message& request, const Message& response);

  // Adds Authorization / Proxy-Authorization for every realm with a nonce,
  // replacing any from an earlier attempt; increments each nonce count.
  void authorize(Message& request);

  bool has_nonce() const { return !realms_.empty(); }
  void forget() { realms_.clear(); }

 private:
  struct RealmState {
    Challenge challenge;
    std::uint32_t nc = 0;
  };
  DigestCredentials credentials_;
  std::function<std::string()> cnonce_;
  std::map<std::string, RealmState> realms_;
};

}  // namespace floe::sip
