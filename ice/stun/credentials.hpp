#pragma once
// Keys for MESSAGE-INTEGRITY (RFC 8489 §9.1-§9.2) and the USERHASH (§14.4).
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace floe::stun {

// RFC 8489 §18.5 PASSWORD-ALGORITHM values.
enum class PasswordAlgorithm : std::uint16_t { Md5 = 0x0001, Sha256 = 0x0002 };

// Short-term credentials: the key is the password itself (ICE uses these).
inline ByteView short_term_key(std::string_view password) { return as_bytes(password); }

// Long-term credentials: MD5 or SHA-256 of "username:realm:password" (§9.2.2).
// Callers apply OpaqueString (RFC 8265) to user input before this.
Bytes long_term_key(std::string_view username, std::string_view realm,
                    std::string_view password, PasswordAlgorithm alg = PasswordAlgorithm::Md5);

// USERHASH = SHA-256("username:realm").
Bytes userhash(std::string_view username, std::string_view realm);

}  // namespace floe::stun
