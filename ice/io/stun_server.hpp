#pragma once
// The Asio driver of the STUN Binding server: opens the UDP (and TCP)
// listeners, feeds stun::BindingServer and sends its replies from the socket
// it names. UDP moves in recvmmsg/sendmmsg batches; everything runs on the
// io_context of the caller's thread.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/address.hpp"
#include "ice/stun/server.hpp"

namespace floe::io {

struct StunServerOptions {
  std::vector<SocketAddress> listen;    // each one is a primary address
  std::optional<IpAddress> alt_ip;      // RFC 5780 alternate IP
  std::optional<std::uint16_t> alt_port;  // RFC 5780 alternate port (default: port + 1)
  bool udp = true;
  bool tcp = false;
  // Listeners that fail to open are reported and skipped instead of failing
  // the start (for the built-in defaults on hosts without IPv6).
  bool skip_unavailable = false;
  std::string software = "floe";
  std::size_t batch = 64;               // datagrams per recvmmsg/sendmmsg
  // SO_REUSEPORT on every listener, for one StunServer per thread on the
  // same addresses.
  bool reuse_port = false;
};

struct StunServerStats {
  stun::ServerCounters engine;
  std::uint64_t udp_send_dropped = 0;   // the kernel refused or the queue was full
  std::uint64_t udp_truncated = 0;      // datagrams larger than a receive slot
  std::uint64_t tcp_connections = 0;
  std::uint64_t tcp_rejected = 0;       // over the connection limit
  std::uint64_t tcp_not_stun = 0;       // closed: the stream was not STUN
};

class StunServer {
 public:
  explicit StunServer(boost::asio::io_context& io);
  ~StunServer();
  StunServer(const StunServer&) = delete;
  StunServer& operator=(const StunServer&) = delete;

  // Opens every listener and starts serving. On failure returns the reason
  // and leaves nothing open. `opened` receives one line per listener.
  std::optional<std::string> start(const StunServerOptions& options,
                                   std::vector<std::string>* opened = nullptr);
  void stop();
  StunServerStats stats() const;

 private:
  struct Impl;
  boost::asio::io_context& io_;
  std::unique_ptr<Impl> impl_;
  std::vector<std::unique_ptr<Impl>> retired_;
};

}  // namespace floe::io
