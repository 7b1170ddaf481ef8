#pragma once
// The machine's interface addresses, for host candidate gathering: the
// agent takes addresses in (sans-IO), the driver finds them here. Interfaces
// that are down are skipped, and so are IPv6 link-local addresses (useless
// without a zone id in SDP). Include/exclude filters and the NAT 1:1 address
// are applied by the agent's Gatherer (GatherConfig).
#include <string>
#include <vector>

#include "base/address.hpp"

namespace floe::io {

struct InterfaceAddress {
  std::string interface;  // "eth0"
  IpAddress address;
};

std::vector<InterfaceAddress> list_interface_addresses(bool include_loopback = false);

}  // namespace floe::io
