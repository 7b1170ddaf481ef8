#pragma once
// Demultiplexing one UDP port: RFC 7983 §7 sorts by the first byte, and RFC
// 5761 §4 tells RTCP from RTP when both share the port.
#include <cstdint>

#include "base/bytes.hpp"

namespace floe::srtp {

enum class PacketClass : std::uint8_t { Stun, Zrtp, Dtls, TurnChannel, Rtp, Rtcp, Unknown };

// RFC 5761 §4: with RTP payload types kept out of 64–95, a second byte (marker
// bit masked off) in 64–95 — i.e. RTCP packet types 192–223 — means RTCP.
inline bool is_rtcp(ByteView packet) {
  if (packet.size() < 2) return false;
  std::uint8_t pt = packet[1] & 0x7f;
  return pt >= 64 && pt <= 95;
}

inline PacketClass classify(ByteView packet) {
  if (packet.empty()) return PacketClass::Unknown;
  std::uint8_t b = packet[0];
  if (b <= 3) return PacketClass::Stun;
  if (b >= 16 && b <= 19) return PacketClass::Zrtp;
  if (b >= 20 && b <= 63) return PacketClass::Dtls;
  if (b >= 64 && b <= 79) return PacketClass::TurnChannel;
  if (b >= 128 && b <= 191) {
    if (packet.size() < 2) return PacketClass::Unknown;
    return is_rtcp(packet) ? PacketClass::Rtcp : PacketClass::Rtp;
  }
  return PacketClass::Unknown;
}

}  // namespace floe::srtp
