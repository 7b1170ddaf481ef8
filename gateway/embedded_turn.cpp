#include "gateway/embedded_turn.hpp"

#include <algorithm>

#include "base/random.hpp"
#include "ice/io/turn_server.hpp"
#include "ice/turn/auth.hpp"

namespace floe::gateway {
namespace {

std::string host_text(const IpAddress& ip) {
  return ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string();
}

turn::IpRange host_range(const IpAddress& ip) { return {ip, ip.is_v4() ? 32 : 128}; }

}  // namespace

EmbeddedTurn::EmbeddedTurn(boost::asio::io_context& io) : io_(io) {}

EmbeddedTurn::~EmbeddedTurn() { stop(); }

std::optional<std::string> EmbeddedTurn::start(const EmbeddedTurnOptions& o,
                                               const std::vector<IpAddress>& gateway_addresses,
                                               const std::optional<IpAddress>& advertised,
                                               std::vector<std::string>* opened) {
  if (!o.enabled()) return std::nullopt;
  if (o.users.empty() && o.rest_secret.empty())
    return "the embedded TURN server needs credentials: --turn-user NAME:PASSWORD and/or "
           "--turn-secret SECRET";
  if (!o.tls_listen.empty() && (o.tls_certificate.empty() || o.tls_private_key.empty()))
    return "--turn-tls-listen needs --turn-cert and --turn-key";
  if (o.relay_port_min == 0 || o.relay_port_max < o.relay_port_min)
    return "bad TURN relay port range";
  opt_ = o;

  io::TurnServerOptions so;
  so.listen = o.listen;
  so.udp = o.udp && !o.listen.empty();
  so.tcp = o.tcp && !o.listen.empty();
  so.tls_listen = o.tls_listen;
  so.tls_certificate = o.tls_certificate;
  so.tls_private_key = o.tls_private_key;
  so.engine.auth.realm = o.realm;
  for (const auto& [u, p] : o.users) so.engine.auth.users[u] = p;
  so.engine.auth.rest_secret = o.rest_secret;
  so.engine.software = "Floe gateway TURN";
  auto& lim = so.engine.limits;
  lim.max_allocations_total = o.max_allocations;
  lim.max_allocations_per_user = o.max_allocations_per_user;
  lim.max_bytes_per_second = o.max_bytes_per_second;
  lim.relay_port_min = so.relays.port_min = o.relay_port_min;
  lim.relay_port_max = so.relays.port_max = o.relay_port_max;
  lim.allowed_peers = o.allowed_peers;
  if (o.gateway_peers_only) {
    // The point of the embedded server: browsers reach the media port,
    // whatever kind of address it has (loopback in tests, private in a
    // container), and nothing else.
    lim.allowed_peers_only = true;
    for (const auto& ip : gateway_addresses) lim.allowed_peers.push_back(host_range(ip));
    if (advertised) lim.allowed_peers.push_back(host_range(*advertised));
  }

  // Relay addresses: explicit, else a specific listen address, else the
  // gateway's own media address of that family (a concrete local address).
  so.relays.ipv4 = o.relay_ipv4;
  so.relays.ipv6 = o.relay_ipv6;
  auto fill = [&](const IpAddress& ip) {
    if (ip.is_unspecified()) return;
    auto& slot = ip.is_v4() ? so.relays.ipv4 : so.relays.ipv6;
    if (!slot) slot = ip;
  };
  for (const auto& l : o.listen) fill(l.ip());
  for (const auto& l : o.tls_listen) fill(l.ip());
  for (const auto& ip : gateway_addresses)
    if (!ip.is_loopback() || gateway_addresses.size() == 1) fill(ip);
  for (const auto& ip : gateway_addresses) fill(ip);
  if (!so.relays.ipv4 && !so.relays.ipv6)
    return "the embedded TURN server needs a relay address: --turn-relay-ip IP";

  // URLs for browsers: a wildcard listen address is named by the advertised
  // address, else by the relay address of its family.
  urls_ = o.urls;
  if (urls_.empty()) {
    auto host_for = [&](const SocketAddress& l) -> std::optional<std::string> {
      if (!l.ip().is_unspecified()) return host_text(l.ip());
      if (advertised) return host_text(*advertised);
      const auto& r = l.ip().is_v4() ? so.relays.ipv4 : so.relays.ipv6;
      if (r) return host_text(*r);
      return std::nullopt;
    };
    for (const auto& l : o.listen) {
      auto h = host_for(l);
      if (!h) return "cannot name " + l.to_string() + " in a TURN URL: give --turn-url";
      const std::string base = "turn:" + *h + ":" + std::to_string(l.port());
      if (so.udp) urls_.push_back(base + "?transport=udp");
      if (so.tcp) urls_.push_back(base + "?transport=tcp");
    }
    for (const auto& l : o.tls_listen) {
      auto h = host_for(l);
      if (!h) return "cannot name " + l.to_string() + " in a TURN URL: give --turn-url";
      urls_.push_back("turns:" + *h + ":" + std::to_string(l.port()) + "?transport=tcp");
    }
  }

  driver_ = std::make_unique<io::TurnServerDriver>(io_);
  if (auto err = driver_->start(so, opened)) {
    driver_.reset();
    return "embedded TURN server: " + *err;
  }
  return std::nullopt;
}

void EmbeddedTurn::stop() {
  if (!driver_) return;
  driver_->stop();
  driver_.reset();
}

signaling::IceServer EmbeddedTurn::ice_server_for(const std::string& user,
                                                  std::int64_t unix_now) const {
  signaling::IceServer s;
  s.urls = urls_;
  if (!opt_.rest_secret.empty()) {
    // A name per session when the signaling has no user, so that the
    // per-user allocation quota is per browser, not shared by all.
    const std::string who = user.empty() ? "s" + random_ice_string(10) : user;
    // ice-chars include '/' and '+'; keep the username plain.
    std::string clean = who;
    std::replace_if(clean.begin(), clean.end(), [](char c) { return c == '/' || c == '+'; }, 'x');
    auto c = turn::make_rest_credentials(opt_.rest_secret, clean, unix_now, opt_.rest_ttl);
    s.username = std::move(c.username);
    s.credential = std::move(c.password);
  } else if (!opt_.users.empty()) {
    s.username = opt_.users.begin()->first;
    s.credential = opt_.users.begin()->second;
  }
  return s;
}

std::string EmbeddedTurn::metrics() const {
  return driver_ ? io::to_prometheus(driver_->stats()) : std::string();
}

}  // namespace floe::gateway
