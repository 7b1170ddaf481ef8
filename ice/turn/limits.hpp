#pragma once
// Abuse limits for the TURN server (RFC 8656 §21): quotas, bandwidth per
// allocation, and the peer addresses a relay must not reach so the server is
// no open proxy into the operator's own network (§21.3, RFC 8656 §9 "the
// server MAY refuse permissions to some peers").
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/address.hpp"
#include "base/time.hpp"

namespace floe::turn {

struct IpRange {
  IpAddress base;
  int prefix = 0;
  bool contains(const IpAddress& ip) const;
  static std::optional<IpRange> parse(std::string_view cidr);  // "10.0.0.0/8", "fc00::/7"
};

struct Limits {
  std::size_t max_allocations_total = 10000;
  std::size_t max_allocations_per_user = 100;
  // Bounds the state one allocation can make the server hold (508 beyond).
  std::size_t max_permissions_per_allocation = 256;
  std::size_t max_channels_per_allocation = 256;
  // Relayed payload bytes per second per allocation, both directions; 0 = no limit.
  std::uint64_t max_bytes_per_second = 0;
  std::uint16_t relay_port_min = 49152;
  std::uint16_t relay_port_max = 65535;
  bool allow_loopback_peers = false;
  bool allow_private_peers = false;  // RFC 1918, RFC 6598, ULA
  bool allow_link_local_peers = false;
  // Accept ChannelBind for 0x5000-0x7FFF as RFC 5766 did (RFC 8656 §12
  // reserves them); off by default.
  bool allow_rfc5766_channels = false;
  std::vector<IpRange> denied_peers;   // checked first
  std::vector<IpRange> allowed_peers;  // exceptions to the built-in categories
  // Relay only to `allowed_peers` (e.g. a TURN server embedded in the
  // gateway that exists to reach the gateway's own media port, and must
  // not be anyone's relay to the rest of the network).
  bool allowed_peers_only = false;
};

// Why a peer address was refused; each reason has its own counter.
enum class PeerDenial : std::uint8_t {
  None, Unspecified, Loopback, Private, LinkLocal, Multicast, Configured, kCount
};
const char* to_string(PeerDenial d);

PeerDenial check_peer(const Limits& limits, const IpAddress& peer);

// Token bucket over relayed bytes; one second of burst.
class RateLimiter {
 public:
  explicit RateLimiter(std::uint64_t bytes_per_second = 0) : rate_(bytes_per_second) {}
  bool allow(Instant now, std::size_t bytes);

 private:
  std::uint64_t rate_;
  double tokens_ = -1;  // negative: not started
  Instant last_{};
};

}  // namespace floe::turn
