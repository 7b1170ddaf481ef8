#include "ice/turn/attributes.hpp"

#include <cstring>

namespace floe::turn {

std::vector<SocketAddress> xor_addresses(const stun::Message& m, std::uint16_t type,
                                         bool* malformed) {
  std::vector<SocketAddress> out;
  std::uint8_t mask[16];
  store_be32(mask, stun::kMagicCookie);
  std::memcpy(mask + 4, m.transaction_id().data(), 12);
  for (const auto& a : m.attributes()) {
    if (a.type != type) continue;
    ByteReader r(a.value);
    r.u8();
    const std::uint8_t family = r.u8();
    const auto port = static_cast<std::uint16_t>(r.u16() ^ (stun::kMagicCookie >> 16));
    const std::size_t n = family == kFamilyV4 ? 4 : family == kFamilyV6 ? 16 : 0;
    if (n == 0 || a.value.size() != 4 + n) {
      *malformed = true;
      return {};
    }
    std::uint8_t ip[16];
    for (std::size_t i = 0; i < n; ++i) ip[i] = a.value[4 + i] ^ mask[i];
    out.emplace_back(n == 4 ? IpAddress::v4(ip) : IpAddress::v6(ip), port);
  }
  return out;
}

}  // namespace floe::turn
