#pragma once
// The relay sockets of a TURN server: one UDP socket per relayed transport
// address, bound in the configured port range. Implements the engine's
// RelayProvider, and hands every datagram that arrives on a relay to the
// driver as (relay, peer, bytes). One receive batch is shared by all relays:
// the driver is single-threaded and handles a batch before reading the next.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include "base/address.hpp"
#include "base/bytes.hpp"
#include "ice/io/udp_socket.hpp"
#include "ice/turn/relay_provider.hpp"

namespace floe::io {

struct TurnRelayOptions {
  std::optional<IpAddress> ipv4;  // relayed addresses are bound to these
  std::optional<IpAddress> ipv6;
  std::uint16_t port_min = 49152;
  std::uint16_t port_max = 65535;
  int socket_buffer = 0;          // SO_RCVBUF/SO_SNDBUF; 0 keeps the default
};

class TurnRelays : public turn::RelayProvider {
 public:
  using DatagramHandler =
      std::function<void(const SocketAddress& relay, const SocketAddress& peer, ByteView data)>;

  // `on_datagram` is called for each datagram; `after_batch` once after a batch.
  TurnRelays(boost::asio::io_context& io, TurnRelayOptions options, DatagramHandler on_datagram,
             std::function<void()> after_batch);
  ~TurnRelays() override;

  bool supports(Family f) const override;
  std::optional<turn::RelayGrant> open_relay(const turn::RelayRequest& req) override;
  void close_relay(const SocketAddress& relay) override;

  bool send(const SocketAddress& relay, const SocketAddress& peer, ByteView data);
  std::size_t open_count() const { return relays_.size(); }
  std::uint64_t bind_failures() const { return bind_failures_; }
  std::uint64_t send_failures() const { return send_failures_; }
  std::uint64_t truncated() const { return truncated_; }
  void close_all();

 private:
  struct Relay;
  std::shared_ptr<Relay> bind(const IpAddress& ip, std::uint16_t port);
  void arm(const std::shared_ptr<Relay>& r);
  void on_readable(const std::shared_ptr<Relay>& r);

  boost::asio::io_context& io_;
  TurnRelayOptions opt_;
  DatagramHandler on_datagram_;
  std::function<void()> after_batch_;
  RecvBatch batch_;
  std::unordered_map<SocketAddress, std::shared_ptr<Relay>> relays_;
  std::uint64_t bind_failures_ = 0, send_failures_ = 0, truncated_ = 0;
};

}  // namespace floe::io
