#pragma once
// One UDP socket shared by many ICE agents (the gateway's default: a
// container publishes one UDP port). Datagrams are read in batches and
// routed by IceDemux to the agent driver that owns them; drivers send
// through the same socket. Bind to a concrete address: the agents use it as
// their candidate base (a wildcard bind would need IP_PKTINFO).
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <system_error>
#include <unordered_map>

#include "ice/agent/demux.hpp"
#include "ice/io/udp_socket.hpp"

namespace floe::io {

class IceAgentDriver;

class UdpMux {
 public:
  explicit UdpMux(boost::asio::io_context& io, std::size_t expected_agents = 256);
  ~UdpMux();
  UdpMux(const UdpMux&) = delete;
  UdpMux& operator=(const UdpMux&) = delete;

  std::error_code open(const SocketAddress& local);
  void close();
  const SocketAddress& local_address() const { return local_; }

  ice::AgentId attach(IceAgentDriver& driver);
  void detach(ice::AgentId id);
  ice::IceDemux& demux() { return demux_; }

  bool send_to(ByteView bytes, const SocketAddress& to) { return socket_.send_to(bytes, to); }

  std::uint64_t unroutable() const { return unroutable_; }
  std::uint64_t received() const { return received_; }

 private:
  void arm();
  void on_readable();

  UdpSocket socket_;
  SocketAddress local_;
  RecvBatch batch_;
  ice::IceDemux demux_;
  std::unordered_map<ice::AgentId, IceAgentDriver*> drivers_;
  ice::AgentId next_id_ = 1;
  std::uint64_t unroutable_ = 0;
  std::uint64_t received_ = 0;
  bool open_ = false;
};

}  // namespace floe::io
