#include "ice/io/nat_probe.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "ice/io/udp_socket.hpp"

namespace floe::io {
namespace {

// The source address the kernel picks towards `server` (a connected UDP
// socket sends nothing), so "behind a NAT" can compare like with like.
std::optional<IpAddress> route_source(const SocketAddress& server) {
  const int fd = ::socket(server.ip().is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_storage ss{};
  socklen_t len = server.to_sockaddr(&ss);
  std::optional<IpAddress> ip;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
      if (auto a = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss))) ip = a->ip();
  }
  ::close(fd);
  return ip;
}

class Driver {
 public:
  Driver(boost::asio::io_context& io, stun::NatProbe& probe,
         std::array<std::unique_ptr<UdpSocket>, stun::kProbeSockets>& sockets)
      : probe_(probe), sockets_(sockets), timer_(io) {}

  void start() {
    for (std::size_t i = 0; i < sockets_.size(); ++i) wait(i);
    pump();
  }

 private:
  void wait(std::size_t i) {
    sockets_[i]->async_wait_readable([this, i](std::error_code ec) {
      if (ec || probe_.done()) return;
      std::uint8_t buf[2048];
      SocketAddress from;
      while (std::size_t n = sockets_[i]->receive_from(buf, &from)) {
        probe_.handle_input(Clock::now(), static_cast<stun::ProbeSocket>(i), from,
                            ByteView(buf, n));
        pump();
        if (probe_.done()) return;
      }
      wait(i);
    });
  }

  void pump() {
    while (auto tx = probe_.poll_output())
      sockets_[static_cast<std::size_t>(tx->socket)]->send_to(tx->data, tx->to);
    if (probe_.done()) {
      timer_.cancel();
      for (auto& s : sockets_) s->close();
      return;
    }
    const Instant next = probe_.next_timeout();
    timer_.expires_at(next);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || probe_.done()) return;
      probe_.handle_timeout(Clock::now());
      pump();
    });
  }

  stun::NatProbe& probe_;
  std::array<std::unique_ptr<UdpSocket>, stun::kProbeSockets>& sockets_;
  boost::asio::steady_timer timer_;
};

}  // namespace

NatProbeOutcome run_nat_probe(const NatProbeOptions& o) {
  NatProbeOutcome out;
  SocketAddress base;
  if (o.local) {
    base = *o.local;
  } else if (auto ip = route_source(o.server)) {
    base = SocketAddress(*ip, 0);
  } else {
    out.failure = "no route to " + o.server.to_string();
    return out;
  }
  if (base.family() != o.server.family()) {
    out.failure = "local address " + base.to_string() + " and server " + o.server.to_string() +
                  " are of different families";
    return out;
  }

  boost::asio::io_context io;
  std::array<std::unique_ptr<UdpSocket>, stun::kProbeSockets> sockets;
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    sockets[i] = std::make_unique<UdpSocket>(io);
    // Only the mapping socket takes a requested port; the others must be
    // fresh mappings of their own.
    SocketAddress local(base.ip(), i == 0 ? base.port() : 0);
    if (auto ec = sockets[i]->open(local)) {
      out.failure = "cannot bind " + local.to_string() + ": " + ec.message();
      return out;
    }
    out.local[i] = sockets[i]->local_address();
  }

  stun::NatProbeConfig cfg;
  cfg.server = o.server;
  cfg.local = out.local;
  cfg.test_timeout = o.test_timeout;
  cfg.hairpinning = o.hairpinning;
  // Retransmit often enough that a lost datagram does not cost a whole test.
  cfg.transaction.rto =
      std::max<Duration>(milliseconds(10), std::min<Duration>(milliseconds(100), o.test_timeout / 4));
  stun::NatProbe probe(Clock::now(), cfg);
  Driver driver(io, probe, sockets);
  driver.start();
  io.run();
  out.result = probe.result();
  return out;
}

}  // namespace floe::io
