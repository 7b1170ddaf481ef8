#pragma once
// The Asio driver of the TURN server (RFC 8656): UDP and TCP listeners for
// clients, one UDP relay socket per allocation (TurnRelays), and a timer,
// all feeding one turn::TurnServer engine on the caller's io_context.
// TCP and TLS connections carry STUN and padded ChannelData in one stream
// (§12.5).
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/address.hpp"
#include "ice/io/turn_relays.hpp"
#include "ice/turn/turn_server.hpp"

namespace floe::io {

struct TurnServerOptions {
  std::vector<SocketAddress> listen;
  bool udp = true;
  bool tcp = false;
  // TLS over TCP (RFC 8656 §3.1, usually port 5349); needs a build with
  // FLOE_TURN_TLS (libssl linked).
  std::vector<SocketAddress> tls_listen;
  std::string tls_certificate;  // PEM chain file
  std::string tls_private_key;  // PEM key file
  turn::ServerConfig engine;
  TurnRelayOptions relays;
  // All clients share a listener socket, so it gets a deep receive buffer
  // (the kernel caps it at net.core.rmem_max).
  int listen_socket_buffer = 4 << 20;
  std::size_t max_tcp_connections = 4096;
  std::size_t tcp_write_limit = 1 << 20;  // queued bytes per connection before drops
  Duration tcp_idle_timeout = seconds(30);  // without an allocation
};

struct TurnServerStats {
  turn::ServerCounters engine;
  std::size_t allocations = 0;
  std::size_t relays_open = 0;
  std::uint64_t udp_send_dropped = 0;
  std::uint64_t relay_send_dropped = 0;
  std::uint64_t udp_truncated = 0;
  std::uint64_t tcp_connections = 0;
  std::uint64_t tcp_rejected = 0;
  std::uint64_t tcp_bad_stream = 0;
  std::uint64_t tcp_write_dropped = 0;
  std::uint64_t tcp_idle_closed = 0;
  std::uint64_t tls_handshake_failed = 0;
};

class TurnServerDriver {
 public:
  explicit TurnServerDriver(boost::asio::io_context& io);
  ~TurnServerDriver();
  TurnServerDriver(const TurnServerDriver&) = delete;
  TurnServerDriver& operator=(const TurnServerDriver&) = delete;

  // Opens every listener; on failure returns why and leaves nothing open.
  // `opened` gets one line per listener.
  std::optional<std::string> start(const TurnServerOptions& options,
                                   std::vector<std::string>* opened = nullptr);
  void stop();
  TurnServerStats stats() const;

 private:
  struct Impl;
  boost::asio::io_context& io_;
  std::shared_ptr<Impl> impl_;
};

// Prometheus text exposition of the counters (for an HTTP /metrics endpoint).
std::string to_prometheus(const TurnServerStats& s);

}  // namespace floe::io
