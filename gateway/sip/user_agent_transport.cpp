// UserAgent: transport choices the core makes itself (RFC 3261 §18.1.1:
// large requests over TCP, back to UDP if that fails) and what a transport
// failure reported by the driver means for transactions (§8.1.3.1, §18.4).
#include <vector>

#include "gateway/sip/user_agent.hpp"

namespace floe::sip {

namespace {

// The URI the request is routed by names transport=udp: the sender asked
// for UDP and gets it, whatever the size.
bool udp_requested(const Message& request) {
  auto routes = request.name_addrs("Route");
  const Uri& uri = routes.empty() ? request.request_uri : routes.front().uri;
  const Param* p = find_param(uri.params, "transport");
  return p && iequals(p->value, "udp");
}

}  // namespace

void UserAgent::apply_size_rule(Message& request, Via& via, Target& target, RequestInfo& info) {
  if (target.transport != Transport::Udp || cfg_.udp_max_request == 0 || info.udp_only) return;
  // §18.1.1: over 1300 bytes with the path MTU unknown, use a congestion
  // controlled transport, and say so in the top Via.
  if (request.serialized_size() <= cfg_.udp_max_request || udp_requested(request)) return;
  target.transport = Transport::Tcp;
  via.transport = std::string(via_transport_name(Transport::Tcp));
  via.port = local_port(Transport::Tcp);
  request.set_top_via(via);
  info.mtu_switched = true;
  ++stats_.udp_to_tcp_switches;
}

void UserAgent::handle_transport_error(Instant now, Transport transport,
                                       const SocketAddress& destination) {
  ++stats_.transport_errors;
  std::vector<std::string> keys;
  for (const auto& [key, e] : clients_) {
    // Transactions that have their final response are left alone: the TU
    // already knows how they ended.
    if (e.tx.pending() && e.tx.target().transport == transport &&
        e.tx.target().address == destination)
      keys.push_back(key);
  }
  for (const auto& key : keys) {
    auto it = clients_.find(key);
    if (it == clients_.end()) continue;
    const std::uint64_t handle = it->second.handle;
    it->second.tx.transport_error();
    touch_client(key);
    auto info = requests_.find(handle);
    if (info == requests_.end() || info->second.key != key || !info->second.mtu_switched) continue;
    // The target may simply not do TCP: resend over UDP, which is what the
    // request would have used if it were small (a new transaction, so the
    // failed one's record is superseded and reports nothing).
    RequestInfo retry = std::move(info->second);
    Message request = retry.request;
    retry.mtu_switched = false;
    retry.udp_only = true;
    ++stats_.tcp_to_udp_fallbacks;
    start_client(now, std::move(request), std::move(retry), handle);
  }
  std::vector<std::string> servers;
  for (const auto& [key, e] : servers_)
    if (!e.tx.terminated() && e.tx.response_target().transport == transport &&
        e.tx.response_target().address == destination)
      servers.push_back(key);
  for (const auto& key : servers) {
    servers_.at(key).tx.transport_error();
    touch_server(key);
  }
  collect(now);
}

}  // namespace floe::sip
