#pragma once
// The thin Asio driver of one IceAgent: feeds it datagrams routed by the
// UdpMux sockets it is attached to, runs its timer on the io_context, sends
// its Transmits and hands events and application data to the owner.
// Everything runs on the io_context's thread; no locks.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <string>
#include <vector>

#include "ice/agent/agent.hpp"
#include "ice/agent/relay_glue.hpp"
#include "ice/io/udp_mux.hpp"

namespace floe::io {

class IceAgentDriver {
 public:
  // Events other than Transmit: LocalCandidate, GatheringComplete,
  // StateChanged, SelectedPairChanged.
  using EventHandler = std::function<void(const ice::IceOutput&)>;
  using DataHandler = std::function<void(ByteView data, const SocketAddress& from)>;

  IceAgentDriver(boost::asio::io_context& io, ice::IceConfig config = {});
  ~IceAgentDriver();
  IceAgentDriver(const IceAgentDriver&) = delete;
  IceAgentDriver& operator=(const IceAgentDriver&) = delete;

  ice::IceAgent& agent() { return agent_; }
  void on_event(EventHandler h) { on_event_ = std::move(h); }
  void on_data(DataHandler h) { on_data_ = std::move(h); }

  // Uses the mux's socket as a host candidate base. The mux must outlive
  // the driver.
  void add_socket(UdpMux& mux);
  void end_of_local_addresses();
  // Call after changing the agent from outside (credentials, candidates,
  // restart): flushes its output and re-arms the timer.
  void pump();

  bool send(ByteView data);

  // Relayed candidates: the glue gets the agent's Transmits from relayed
  // bases, and `to_server` carries the allocations' bytes to TURN server
  // `server` (the owner holds those sockets). Set before add_socket; with a
  // glue, end_of_local_addresses waits for the allocations (or the deadline).
  using ServerSender = std::function<void(std::size_t server, ByteView bytes)>;
  void set_relay(ice::RelayGlue& glue, ServerSender to_server);
  // A datagram (or one stream frame) from TURN server `server`.
  void on_server_input(std::size_t server, ByteView bytes);

  // From UdpMux.
  void on_datagram(const SocketAddress& local, const SocketAddress& remote, ByteView bytes);

 private:
  struct Attachment {
    UdpMux* mux;
    ice::AgentId id;
  };
  Attachment* attachment_for(const SocketAddress& local);
  void sync_ufrags(bool drop_old);
  void arm_timer();

  boost::asio::io_context& io_;
  ice::IceAgent agent_;
  boost::asio::steady_timer timer_;
  Instant armed_for_ = kNever;
  std::vector<Attachment> attachments_;
  std::vector<std::string> ufrags_;  // registered with every mux
  ice::RelayGlue* relay_ = nullptr;
  ServerSender to_server_;
  EventHandler on_event_;
  DataHandler on_data_;
};

}  // namespace floe::io
