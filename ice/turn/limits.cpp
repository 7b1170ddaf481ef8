#include "ice/turn/limits.hpp"

#include <algorithm>
#include <charconv>

namespace floe::turn {

bool IpRange::contains(const IpAddress& ip) const {
  if (ip.family() != base.family()) return false;
  int bits = prefix;
  for (std::size_t i = 0; i < ip.size() && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xFF : static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((ip.data()[i] & mask) != (base.data()[i] & mask)) return false;
  }
  return true;
}

std::optional<IpRange> IpRange::parse(std::string_view cidr) {
  const auto slash = cidr.find('/');
  auto ip = IpAddress::parse(cidr.substr(0, slash));
  if (!ip) return std::nullopt;
  int prefix = static_cast<int>(ip->size() * 8);
  if (slash != std::string_view::npos) {
    auto text = cidr.substr(slash + 1);
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), prefix);
    if (ec != std::errc{} || p != text.data() + text.size() || prefix < 0 ||
        prefix > static_cast<int>(ip->size() * 8))
      return std::nullopt;
  }
  return IpRange{*ip, prefix};
}

const char* to_string(PeerDenial d) {
  switch (d) {
    case PeerDenial::None: return "none";
    case PeerDenial::Unspecified: return "unspecified";
    case PeerDenial::Loopback: return "loopback";
    case PeerDenial::Private: return "private";
    case PeerDenial::LinkLocal: return "link_local";
    case PeerDenial::Multicast: return "multicast";
    case PeerDenial::Configured: return "configured";
    case PeerDenial::kCount: break;
  }
  return "?";
}

PeerDenial check_peer(const Limits& l, const IpAddress& peer_in) {
  // An IPv4-mapped IPv6 peer reaches the IPv4 host: judge the IPv4 address.
  IpAddress peer = peer_in;
  if (peer.is_v4_mapped()) peer = IpAddress::v4(peer.data() + 12);
  auto in = [&](const std::vector<IpRange>& v) {
    return std::any_of(v.begin(), v.end(), [&](const IpRange& r) { return r.contains(peer); });
  };
  if (in(l.denied_peers)) return PeerDenial::Configured;
  if (in(l.allowed_peers)) return PeerDenial::None;
  if (l.allowed_peers_only) return PeerDenial::Configured;
  // 0.0.0.0/8 "this network" and :: never name a reachable peer.
  if (peer.is_unspecified() || (peer.is_v4() && peer.data()[0] == 0)) return PeerDenial::Unspecified;
  // Multicast and broadcast would turn one packet into many.
  if (peer.is_multicast() || (peer.is_v4() && peer.v4_host_order() == 0xFFFFFFFF))
    return PeerDenial::Multicast;
  if (peer.is_loopback() && !l.allow_loopback_peers) return PeerDenial::Loopback;
  if (peer.is_private() && !l.allow_private_peers) return PeerDenial::Private;
  if (peer.is_link_local() && !l.allow_link_local_peers) return PeerDenial::LinkLocal;
  return PeerDenial::None;
}

bool RateLimiter::allow(Instant now, std::size_t bytes) {
  if (rate_ == 0) return true;
  const double cap = static_cast<double>(rate_);
  if (tokens_ < 0) {
    tokens_ = cap;
  } else {
    const double dt = std::chrono::duration<double>(now - last_).count();
    if (dt > 0) tokens_ = std::min(cap, tokens_ + dt * cap);
  }
  last_ = now;
  if (tokens_ < static_cast<double>(bytes)) return false;
  tokens_ -= static_cast<double>(bytes);
  return true;
}

}  // namespace floe::turn
