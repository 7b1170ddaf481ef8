#pragma once
// Relayed candidates for the ICE agent (RFC 8445 §5.1.1.2, RFC 8656): one
// turn::Allocation per TURN server, sans-IO, between the agent and the
// driver. It lives next to the agent (not in ice/turn) because it speaks
// the agent's types (Transmit, Datagram, SelectedPairChanged) and only uses
// turn::Allocation's public API; both are in floe_ice, so no cycle. Keeping
// it out of the Asio driver lets unit tests run it on a virtual clock.
//
// Rules it applies:
//  - the relayed address is a candidate base: a Transmit whose `local` is a
//    relayed address goes out through that allocation (send_to), and each
//    Received comes back to the agent as Datagram{relayed, peer, bytes};
//  - related address = the server-reflexive (mapped) address of the
//    allocation, as RFC 8839 §5.1 asks for relay candidates;
//  - gathering ends (agent.end_of_local_addresses) only once every
//    allocation answered or failed, or after a deadline, so a dead TURN
//    server never holds up the end-of-candidates;
//  - once a relayed pair is selected, a channel is bound to the remote peer
//    (§12) so checks and media ride 4-byte ChannelData headers.
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "ice/agent/agent.hpp"
#include "ice/turn/turn_client.hpp"

namespace floe::ice {

struct RelayServerTransmit {
  std::size_t server;  // index from add_server
  ByteView bytes;      // valid until the next call on the glue
};

struct RelayInput {
  InputResult result;
  SocketAddress relayed;  // the candidate base it arrived on
  SocketAddress peer;
  ByteView data;          // views the buffer given to handle_server_input
};

struct RelayCounters {
  std::uint64_t allocations_failed = 0;
  std::uint64_t gather_deadline_hit = 0;
  std::uint64_t relayed_transmits = 0;
  std::uint64_t relayed_sends_refused = 0;  // not allocated, queue full
  std::uint64_t channels_bound = 0;
};

class RelayGlue {
 public:
  RelayGlue(IceAgent& agent, Duration gather_deadline = seconds(5));

  // Starts allocating at `cfg.server`; returns its index.
  std::size_t add_server(Instant now, turn::ClientConfig cfg);
  const turn::ClientConfig& server_config(std::size_t i) const { return servers_[i]->config(); }
  std::size_t server_count() const { return servers_.size(); }

  // Call instead of agent.end_of_local_addresses(); the glue forwards it
  // once relayed gathering is settled.
  void end_of_local_addresses(Instant now);

  // A datagram (UDP) or one frame (TCP, cut by turn::StreamFramer) from
  // server `i`. Relayed data is fed to the agent; the result says what it
  // was.
  std::optional<RelayInput> handle_server_input(Instant now, std::size_t i, ByteView bytes);
  // A Transmit the agent produced: true when it belonged to a relayed base
  // and was handed to its allocation (the caller must not send it).
  bool route(Instant now, const Transmit& t);
  // Application data on a relayed selected route (the driver's send path).
  bool send(Instant now, const Route& route, ByteView data);
  bool is_relayed(const SocketAddress& local) const { return find(local) != nullptr; }
  void on_selected(Instant now, const SelectedPairChanged& s);
  // Releases every allocation (Refresh with LIFETIME 0, RFC 8656 §8) so the
  // server frees its relay and the user's quota at once, not at expiry.
  void close(Instant now);

  void handle_timeout(Instant now);
  Instant next_timeout() const;
  std::optional<RelayServerTransmit> poll_transmit();

  bool settled() const;  // every allocation answered, failed, or the deadline passed
  const RelayCounters& counters() const { return counters_; }
  const turn::Allocation& allocation(std::size_t i) const { return *servers_[i]; }

 private:
  turn::Allocation* find(const SocketAddress& relayed) const;
  void drain_events(Instant now, std::size_t i);
  void maybe_end(Instant now);

  IceAgent& agent_;
  Duration deadline_;
  Instant deadline_at_ = kNever;
  std::vector<std::unique_ptr<turn::Allocation>> servers_;
  std::vector<bool> resolved_;
  std::size_t next_poll_ = 0;
  bool end_wanted_ = false;
  bool end_sent_ = false;
  bool deadline_passed_ = false;
  RelayCounters counters_;
};

}  // namespace floe::ice
