#pragma once
// Cryptographic randomness for transaction ids, ufrags, passwords and tie-breakers.
#include <cstdint>
#include <span>
#include <string>

namespace floe {

void random_bytes(std::span<std::uint8_t> out);
std::uint64_t random_u64();
// Uniform in [0, bound).
std::uint32_t random_below(std::uint32_t bound);
// Characters from the ice-char set of RFC 8839 §5.4 (ALPHA / DIGIT / "+" / "/").
std::string random_ice_string(std::size_t length);

}  // namespace floe
