// `floe turn-server`: a standalone TURN server (RFC 8656) with long-term
// credentials, coturn-compatible REST credentials, and peer restrictions.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "gateway/command_line.hpp"
#include "ice/io/turn_server.hpp"

namespace floe::cmd {
namespace {

constexpr const char* kUsage =
    "usage: floe turn-server [options]\n"
    "\n"
    "  --listen ADDR:PORT        listen address (repeatable; default 0.0.0.0:3478)\n"
    "  --tcp                     also accept clients over TCP\n"
    "  --no-udp                  do not listen on UDP\n"
    "  --tls-listen ADDR:PORT    accept clients over TLS (repeatable; needs --cert, --key)\n"
    "  --cert FILE --key FILE    PEM certificate chain and private key for TLS\n"
    "  --realm REALM             long-term credential realm (default: floe)\n"
    "  --user NAME:PASSWORD      a static user (repeatable)\n"
    "  --auth-secret SECRET      accept REST API credentials (coturn use-auth-secret):\n"
    "                            username 'EXPIRY:USER', password base64(HMAC-SHA1(SECRET, username))\n"
    "  --relay-ip IP             address relays bind to and advertise (one IPv4 and/or\n"
    "                            one IPv6; default: the IP of a specific --listen address)\n"
    "  --relay-ports LO-HI       relay port range (default 49152-65535)\n"
    "  --allow-loopback-peers    let relays reach 127.0.0.0/8 and ::1 (tests only)\n"
    "  --allow-private-peers     let relays reach RFC 1918 / RFC 6598 / ULA peers\n"
"  --rfc5766-channels        accept channel numbers 0x5000-0x7FFF (RFC 5766 clients,\n"
    "                            e.g. coturn's turnutils_uclient; RFC 8656 reserves them)\n"
    "  --allow-peer CIDR         always allow this range (repeatable)\n"
    "  --deny-peer CIDR          always deny this range (repeatable)\n"
    "  --max-allocations N       total allocations (default 10000)\n"
    "  --max-user-allocations N  allocations per user (default 100)\n"
    "  --max-bps BYTES           relayed bytes per second per allocation (0: no limit)\n"
    "  --nonce-lifetime SECONDS  nonce validity before 438 Stale Nonce (default 600)\n"
    "  --metrics                 print Prometheus counters on exit\n";


void print_summary(const io::TurnServerStats& s) {
  const auto& e = s.engine;
  std::printf("floe turn-server: allocations created %llu, expired %llu, deleted %llu; "
              "relayed to peers %llu pkts, to clients %llu pkts; 401 challenges %llu, "
              "auth failures %llu, stale nonces %llu\n",
              static_cast<unsigned long long>(e.allocations_created),
              static_cast<unsigned long long>(e.allocations_expired),
              static_cast<unsigned long long>(e.allocations_deleted),
              static_cast<unsigned long long>(e.to_peer_packets),
              static_cast<unsigned long long>(e.to_client_packets),
              static_cast<unsigned long long>(e.auth_challenges),
              static_cast<unsigned long long>(e.auth_failures),
              static_cast<unsigned long long>(e.stale_nonces));
}

}  // namespace

int turn_server(std::span<const std::string_view> args) {
  io::TurnServerOptions o;
  auto& lim = o.engine.limits;
  bool metrics = false;
  CommandLine cl("turn-server", args);
  while (cl.next()) {
    const std::string_view a = cl.flag();
    std::optional<std::string_view> v;
    auto value = [&] { return (v = cl.value()).has_value(); };
    if (cl.help()) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--listen") {
      auto addr = value() ? SocketAddress::parse(*v, 3478) : std::nullopt;
      if (!addr) return cl.fail("--listen needs ADDR:PORT, e.g. 127.0.0.1:3478 or [::1]:3478");
      o.listen.push_back(*addr);
    } else if (a == "--tcp") {
      o.tcp = true;
    } else if (a == "--tls-listen") {
      auto addr = value() ? SocketAddress::parse(*v, 5349) : std::nullopt;
      if (!addr) return cl.fail("--tls-listen needs ADDR:PORT, e.g. 127.0.0.1:5349");
      o.tls_listen.push_back(*addr);
    } else if (a == "--cert" || a == "--key") {
      if (!value() || v->empty()) return cl.fail(std::string(a) + " needs a file");
      (a == "--cert" ? o.tls_certificate : o.tls_private_key) = std::string(*v);
    } else if (a == "--no-udp") {
      o.udp = false;
    } else if (a == "--realm") {
      if (!value() || v->empty()) return cl.fail("--realm needs a value");
      o.engine.auth.realm = std::string(*v);
    } else if (a == "--user") {
      const auto colon = value() ? v->find(':') : std::string_view::npos;
      if (colon == std::string_view::npos || colon == 0)
        return cl.fail("--user needs NAME:PASSWORD");
      o.engine.auth.users[std::string(v->substr(0, colon))] = std::string(v->substr(colon + 1));
    } else if (a == "--auth-secret") {
      if (!value() || v->empty()) return cl.fail("--auth-secret needs a value");
      o.engine.auth.rest_secret = std::string(*v);
    } else if (a == "--relay-ip") {
      auto ip = value() ? IpAddress::parse(*v) : std::nullopt;
      if (!ip || ip->is_unspecified()) return cl.fail("--relay-ip needs a specific IP address");
      (ip->is_v4() ? o.relays.ipv4 : o.relays.ipv6) = *ip;
    } else if (a == "--relay-ports") {
      const auto dash = value() ? v->find('-') : std::string_view::npos;
      auto lo = dash != std::string_view::npos ? parse_number<std::uint16_t>(v->substr(0, dash))
                                               : std::nullopt;
      auto hi = lo ? parse_number<std::uint16_t>(v->substr(dash + 1)) : std::nullopt;
      if (!lo || !hi || *lo == 0 || *hi < *lo) return cl.fail("--relay-ports needs LO-HI");
      o.relays.port_min = lim.relay_port_min = *lo;
      o.relays.port_max = lim.relay_port_max = *hi;
    } else if (a == "--allow-loopback-peers") {
      lim.allow_loopback_peers = true;
    } else if (a == "--rfc5766-channels") {
      lim.allow_rfc5766_channels = true;
    } else if (a == "--allow-private-peers") {
      lim.allow_private_peers = true;
    } else if (a == "--allow-peer" || a == "--deny-peer") {
      auto r = value() ? turn::IpRange::parse(*v) : std::nullopt;
      if (!r) return cl.fail(std::string(a) + " needs a CIDR range, e.g. 10.0.0.0/8");
      (a == "--allow-peer" ? lim.allowed_peers : lim.denied_peers).push_back(*r);
    } else if (a == "--max-allocations" || a == "--max-user-allocations" || a == "--max-bps" ||
               a == "--nonce-lifetime") {
      auto n = value() ? parse_number<std::uint64_t>(*v) : std::nullopt;
      if (!n) return cl.fail(std::string(a) + " needs a number");
      if (a == "--max-allocations") lim.max_allocations_total = *n;
      if (a == "--max-user-allocations") lim.max_allocations_per_user = *n;
      if (a == "--max-bps") lim.max_bytes_per_second = *n;
      if (a == "--nonce-lifetime") o.engine.auth.nonce_lifetime = seconds(*n);
    } else if (a == "--metrics") {
      metrics = true;
    } else {
      std::fprintf(stderr, "floe turn-server: unknown option '%.*s'\n%s",
                   static_cast<int>(a.size()), a.data(), kUsage);
      return 2;
    }
  }
  if (o.listen.empty()) o.listen.push_back(*SocketAddress::parse("0.0.0.0:3478"));
  if (!o.udp && !o.tcp && o.tls_listen.empty()) return cl.fail("--no-udp needs --tcp or --tls-listen");
  if (!o.tls_listen.empty() && (o.tls_certificate.empty() || o.tls_private_key.empty()))
    return cl.fail("--tls-listen needs --cert and --key");
  // TLS listen addresses also name a relay address when no other does.
  for (const auto& l : o.tls_listen) {
    if (l.ip().is_unspecified()) continue;
    auto& slot = l.ip().is_v4() ? o.relays.ipv4 : o.relays.ipv6;
    if (!slot) slot = l.ip();
  }
  // Relays advertise a concrete address; take it from a specific listen address.
  for (const auto& l : o.listen) {
    if (l.ip().is_unspecified()) continue;
    auto& slot = l.ip().is_v4() ? o.relays.ipv4 : o.relays.ipv6;
    if (!slot) slot = l.ip();
  }
  if (!o.relays.ipv4 && !o.relays.ipv6)
    return cl.fail("--relay-ip is required when listening on a wildcard address");
  if (o.engine.auth.users.empty() && o.engine.auth.rest_secret.empty())
    return cl.fail("no credentials: give --user NAME:PASSWORD and/or --auth-secret SECRET");

  boost::asio::io_context io(1);
  io::TurnServerDriver server(io);
  std::vector<std::string> opened;
  if (auto err = server.start(o, &opened)) return cl.fail(*err);
  for (const auto& line : opened) std::printf("floe turn-server: listening on %s\n", line.c_str());
  std::printf("floe turn-server: realm %s, relays on%s%s%s%s ports %u-%u\n",
              o.engine.auth.realm.c_str(), o.relays.ipv4 ? " " : "",
              o.relays.ipv4 ? o.relays.ipv4->to_string().c_str() : "", o.relays.ipv6 ? " " : "",
              o.relays.ipv6 ? o.relays.ipv6->to_string().c_str() : "", o.relays.port_min,
              o.relays.port_max);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    std::printf("floe turn-server: %s, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    server.stop();
    io.stop();
  });
  io.run();
  const auto stats = server.stats();
  print_summary(stats);
  if (metrics) std::fputs(io::to_prometheus(stats).c_str(), stdout);
  return 0;
}

}  // namespace floe::cmd
