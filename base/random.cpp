#include "base/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace floe {

void random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
}

std::uint64_t random_u64() {
  std::uint8_t b[8];
  random_bytes(b);
  std::uint64_t v = 0;
  for (auto x : b) v = (v << 8) | x;
  return v;
}

std::uint32_t random_below(std::uint32_t bound) {
  if (bound == 0) return 0;
  // Rejection sampling keeps the distribution uniform.
  const std::uint64_t limit = (std::uint64_t{1} << 32) - ((std::uint64_t{1} << 32) % bound);
  for (;;) {
    std::uint64_t v = random_u64() & 0xffffffffu;
    if (v < limit) return static_cast<std::uint32_t>(v % bound);
  }
}

std::string random_ice_string(std::size_t length) {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s(length, '\0');
  for (auto& c : s) c = kChars[random_below(64)];
  return s;
}

}  // namespace floe
