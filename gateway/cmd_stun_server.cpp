// `floe stun-server`: the STUN Binding server (RFC 8489) with RFC 5780
// behaviour discovery when given an alternate IP (and port).
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/command_line.hpp"
#include "ice/io/stun_server.hpp"

namespace floe::cmd {
namespace {

constexpr const char* kUsage =
    "usage: floe stun-server [--listen ADDR:PORT ...] [--alt-ip IP] [--alt-port PORT] [--tcp]\n"
    "\n"
    "  --listen ADDR:PORT  primary address (repeatable; [v6]:port for IPv6).\n"
    "                      Default: 0.0.0.0:3478 and [::]:3478 over UDP and TCP.\n"
    "  --alt-ip IP         RFC 5780 alternate IP: opens four sockets per listen\n"
    "                      address (primary/alternate IP x primary/alternate port)\n"
    "  --alt-port PORT     RFC 5780 alternate port (default: listen port + 1)\n"
    "  --tcp               also listen on TCP (implied for the defaults)\n"
    "  --threads N         N threads, each with its own sockets (SO_REUSEPORT)\n"
    "  --software TEXT     SOFTWARE attribute (default: floe; empty: none)\n";

void print_stats(const io::StunServerStats& s) {
  const auto& e = s.engine;
  std::printf("floe stun-server: received %llu, binding success %llu, 400 %llu, 420 %llu, "
              "indications %llu, send dropped %llu",
              static_cast<unsigned long long>(e.received),
              static_cast<unsigned long long>(e.binding_success),
              static_cast<unsigned long long>(e.error_400),
              static_cast<unsigned long long>(e.error_420),
              static_cast<unsigned long long>(e.indications),
              static_cast<unsigned long long>(s.udp_send_dropped));
  for (std::size_t i = 0; i < e.dropped.size(); ++i)
    if (e.dropped[i])
      std::printf(", dropped %s %llu", stun::to_string(static_cast<stun::ServerDrop>(i)),
                  static_cast<unsigned long long>(e.dropped[i]));
  std::printf("\n");
}

}  // namespace

int stun_server(std::span<const std::string_view> args) {
  io::StunServerOptions o;
  std::size_t threads = 1;
  CommandLine cl("stun-server", args);
  while (cl.next()) {
    const std::string_view a = cl.flag();
    if (cl.help()) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--listen") {
      auto v = cl.value();
      auto addr = v ? SocketAddress::parse(*v, 3478) : std::nullopt;
      if (!addr) return cl.fail("--listen needs ADDR:PORT, e.g. 127.0.0.1:3478 or [::1]:3478");
      o.listen.push_back(*addr);
    } else if (a == "--alt-ip") {
      auto v = cl.value();
      auto ip = v ? IpAddress::parse(*v) : std::nullopt;
      if (!ip) return cl.fail("--alt-ip needs an IP address");
      o.alt_ip = *ip;
    } else if (a == "--alt-port") {
      auto v = cl.value();
      auto port = v ? parse_number<std::uint16_t>(*v) : std::nullopt;
      if (port == 0) port.reset();
      if (!port) return cl.fail("--alt-port needs a port number 1-65535");
      o.alt_port = *port;
    } else if (a == "--tcp") {
      o.tcp = true;
    } else if (a == "--threads") {
      auto v = cl.value();
      unsigned n = 0;
      if (!v || std::from_chars(v->data(), v->data() + v->size(), n).ec != std::errc() || n == 0 ||
          n > 256)
        return cl.fail("--threads needs a number 1-256");
      threads = n;
    } else if (a == "--software") {
      auto v = cl.value();
      if (!v) return cl.fail("--software needs a value");
      o.software = std::string(*v);
    } else {
      std::fprintf(stderr, "floe stun-server: unknown option '%.*s'\n%s",
                   static_cast<int>(a.size()), a.data(), kUsage);
      return 2;
    }
  }
  if (o.listen.empty()) {
    o.listen = {*SocketAddress::parse("0.0.0.0:3478"), *SocketAddress::parse("[::]:3478")};
    o.tcp = true;
    // A host without IPv6 still gets a working IPv4 server.
    o.skip_unavailable = !o.alt_ip;
  }

  // One io_context, engine and socket set per thread (DESIGN.md: threads);
  // SO_REUSEPORT lets the kernel spread clients over them.
  o.reuse_port = threads > 1;
  std::vector<std::unique_ptr<boost::asio::io_context>> ios;
  std::vector<std::unique_ptr<io::StunServer>> servers;
  std::vector<std::string> opened;
  for (std::size_t i = 0; i < threads; ++i) {
    ios.push_back(std::make_unique<boost::asio::io_context>(1));
    servers.push_back(std::make_unique<io::StunServer>(*ios.back()));
    if (auto err = servers.back()->start(o, i == 0 ? &opened : nullptr)) return cl.fail(*err);
  }
  for (const auto& line : opened) std::printf("floe stun-server: listening on %s\n", line.c_str());
  if (threads > 1) std::printf("floe stun-server: %zu threads\n", threads);

  boost::asio::signal_set signals(*ios[0], SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    std::printf("floe stun-server: %s, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    for (std::size_t i = 0; i < ios.size(); ++i)
      boost::asio::post(*ios[i], [&, i] {
        servers[i]->stop();
        ios[i]->stop();
      });
  });
  std::vector<std::thread> workers;
  for (std::size_t i = 1; i < threads; ++i) workers.emplace_back([&, i] { ios[i]->run(); });
  ios[0]->run();
  for (auto& w : workers) w.join();
  io::StunServerStats total;
  for (const auto& server : servers) {
    const auto st = server->stats();
    total.engine.received += st.engine.received;
    total.engine.binding_success += st.engine.binding_success;
    total.engine.error_400 += st.engine.error_400;
    total.engine.error_420 += st.engine.error_420;
    total.engine.indications += st.engine.indications;
    for (std::size_t d = 0; d < total.engine.dropped.size(); ++d)
      total.engine.dropped[d] += st.engine.dropped[d];
    total.udp_send_dropped += st.udp_send_dropped;
  }
  print_stats(total);
  return 0;
}

}  // namespace floe::cmd
