#pragma once
// TURN attribute helpers the STUN codec does not cover: repeated
// XOR-PEER-ADDRESS / XOR-RELAYED-ADDRESS (RFC 8656 §10.1, §7.2 dual
// allocation) and the address-family byte values (§14.1).
#include <cstdint>
#include <vector>

#include "base/address.hpp"
#include "ice/stun/message.hpp"

namespace floe::turn {

inline constexpr std::uint8_t kProtocolUdp = 17;  // §14.7 REQUESTED-TRANSPORT
inline constexpr std::uint8_t kFamilyV4 = 0x01;
inline constexpr std::uint8_t kFamilyV6 = 0x02;
// ADDITIONAL-ADDRESS-FAMILY as the pre-RFC drafts numbered it; coturn 4.6
// still sends this type (RFC 8656 §18 assigns 0x8000).
inline constexpr std::uint16_t kAdditionalAddressFamilyDraft = 0x8032;

// Every XOR-encoded address attribute of `type`, in message order. Sets
// *malformed (and returns nothing) if any of them is malformed.
std::vector<SocketAddress> xor_addresses(const stun::Message& m, std::uint16_t type,
                                         bool* malformed);

}  // namespace floe::turn
