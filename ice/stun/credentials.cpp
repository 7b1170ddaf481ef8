#include "ice/stun/credentials.hpp"

#include "ice/stun/crypto.hpp"

namespace floe::stun {

Bytes long_term_key(std::string_view username, std::string_view realm,
                    std::string_view password, PasswordAlgorithm alg) {
  const auto colon = as_bytes(":");
  const std::initializer_list<ByteView> parts = {as_bytes(username), colon, as_bytes(realm),
                                                 colon, as_bytes(password)};
  if (alg == PasswordAlgorithm::Sha256) {
    auto d = sha256(parts);
    return Bytes(d.begin(), d.end());
  }
  auto d = md5(parts);
  return Bytes(d.begin(), d.end());
}

Bytes userhash(std::string_view username, std::string_view realm) {
  auto d = sha256({as_bytes(username), as_bytes(":"), as_bytes(realm)});
  return Bytes(d.begin(), d.end());
}

}  // namespace floe::stun
