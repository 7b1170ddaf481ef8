#include "ice/io/agent_interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>

namespace floe::io {

std::vector<InterfaceAddress> list_interface_addresses(bool include_loopback) {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (auto* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) continue;
    if (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6) continue;
    auto sa = SocketAddress::from_sockaddr(i->ifa_addr);
    if (!sa) continue;
    const auto& ip = sa->ip();
    if (ip.is_unspecified() || ip.is_multicast()) continue;
    if (ip.is_v6() && ip.is_link_local()) continue;
    if (ip.is_loopback() && !include_loopback) continue;
    out.push_back({i->ifa_name ? i->ifa_name : "", ip});
  }
  freeifaddrs(list);
  return out;
}

}  // namespace floe::io
