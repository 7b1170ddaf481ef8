#pragma once
// The digests STUN needs (RFC 8489 §9, §14.5-§14.7): HMAC-SHA1, HMAC-SHA256,
// CRC-32, MD5 and SHA-256. HMACs take a list of pieces so integrity can be
// computed over a patched header and the body without copying the message.
#include <array>
#include <cstdint>
#include <initializer_list>

#include "base/bytes.hpp"

namespace floe::stun {

using Sha1Digest = std::array<std::uint8_t, 20>;
using Sha256Digest = std::array<std::uint8_t, 32>;
using Md5Digest = std::array<std::uint8_t, 16>;

Sha1Digest hmac_sha1(ByteView key, std::initializer_list<ByteView> pieces);
Sha256Digest hmac_sha256(ByteView key, std::initializer_list<ByteView> pieces);
Md5Digest md5(std::initializer_list<ByteView> pieces);
Sha256Digest sha256(std::initializer_list<ByteView> pieces);
std::uint32_t crc32(std::initializer_list<ByteView> pieces);

// Constant-time comparison for MACs.
bool equal_ct(ByteView a, ByteView b);

}  // namespace floe::stun
