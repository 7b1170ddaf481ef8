#pragma once
// A TURN client allocation (RFC 8656 §7-§12), sans-IO, for the ICE agent's
// relayed candidates and for test tools. It allocates (answering the 401
// challenge and 438 Stale Nonce), refreshes before expiry, creates and
// refreshes permissions, binds channels, and turns send_to(peer, bytes) into
// a Send indication or, once a channel is bound, ChannelData. Relayed data
// from peers comes back out of handle_input as Received{peer, bytes}.
//
// The owner sends poll_transmit() bytes to the TURN server over the 5-tuple
// the allocation lives on, feeds every datagram (or stream frame, see
// StreamFramer) from the server to handle_input, and drives time.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/address.hpp"
#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ice/stun/message.hpp"
#include "ice/stun/transaction.hpp"
#include "ice/turn/server_allocation.hpp"

namespace floe::turn {

struct ClientConfig {
  SocketAddress server;
  Transport transport = Transport::Udp;  // TCP/TLS: ChannelData is padded
  std::string username;
  std::string password;
  Duration lifetime = seconds(600);
  std::optional<Family> family;          // REQUESTED-ADDRESS-FAMILY
  std::string software;
  stun::TransactionConfig transaction;   // `reliable` is forced for TCP/TLS
  std::size_t max_queued_packets = 64;   // waiting for a permission
};

enum class ClientState : std::uint8_t { Allocating, Allocated, Closing, Closed, Failed };
const char* to_string(ClientState s);

struct ClientEvent {
  enum class Kind : std::uint8_t {
    Allocated,         // relayed/mapped set
    AllocateFailed,    // error_code (0: timeout)
    PermissionCreated, // peer_ip
    PermissionFailed,  // peer_ip, error_code
    ChannelBound,      // peer, channel
    ChannelFailed,     // peer, channel, error_code
    RefreshFailed,     // error_code; the allocation is lost
    Closed,            // after close()
  };
  Kind kind;
  SocketAddress relayed;
  SocketAddress mapped;
  IpAddress peer_ip;
  SocketAddress peer;
  std::uint16_t channel = 0;
  int error_code = 0;
};
const char* to_string(ClientEvent::Kind k);

// Relayed data from a peer; `data` views into the buffer given to handle_input.
struct Received {
  SocketAddress peer;
  ByteView data;
  bool via_channel = false;
};

class Allocation {
 public:
  // Starts allocating at once: the first Allocate is ready in poll_transmit().
  Allocation(Instant now, ClientConfig config);

  std::optional<Received> handle_input(Instant now, ByteView data);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  // Bytes for the server, valid until the next call; empty when nothing is due.
  ByteView poll_transmit();
  std::optional<ClientEvent> poll_event();

  ClientState state() const { return state_; }
  // The first relayed address (IPv4 unless IPv6 was requested).
  std::optional<SocketAddress> relayed_address() const;
  const std::vector<SocketAddress>& relayed_addresses() const { return relayed_; }
  std::optional<SocketAddress> mapped_address() const { return mapped_; }
  Instant expiry() const { return expiry_; }
  const ClientConfig& config() const { return cfg_; }

  // Idempotent; refreshed automatically while the allocation lives (§9).
  void create_permission(Instant now, const IpAddress& peer);
  // Binds the next free channel number to `peer` (§12.1); false if none left
  // or not allocated. Data uses the channel once the server confirms it.
  bool bind_channel(Instant now, const SocketAddress& peer);
  std::optional<std::uint16_t> channel_for(const SocketAddress& peer) const;
  bool has_permission(const IpAddress& peer) const;
  // Relays `data` to `peer`; installs a permission first when needed and
  // queues meanwhile. False when not allocated or the queue is full.
  bool send_to(Instant now, const SocketAddress& peer, ByteView data);
  // Refresh with LIFETIME 0 (§8); Closed follows.
  void close(Instant now);

  struct Stats {
    std::uint64_t sent_indications = 0, sent_channel_data = 0;
    std::uint64_t received_indications = 0, received_channel_data = 0;
    std::uint64_t dropped = 0;  // unparseable or from unknown channels
    std::uint64_t retries_after_challenge = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  enum class Kind : std::uint8_t { Allocate, Refresh, Permission, Channel };
  enum class Status : std::uint8_t { Pending, Active, Failed };
  struct Request {
    stun::ClientTransaction tx;
    Kind kind;
    IpAddress peer_ip;
    SocketAddress peer;
    std::uint16_t channel = 0;
    std::uint32_t lifetime = 0;
    int nonce_retries = 0;
    bool authenticated = false;  // carried USERNAME/MESSAGE-INTEGRITY
  };
  struct Perm {
    IpAddress ip;
    Status status;
    Instant refresh_at;
  };
  struct Channel {
    std::uint16_t number;
    SocketAddress peer;
    Status status;
    Instant refresh_at;
  };
  struct Queued {
    SocketAddress peer;
    Bytes data;
  };

  void start(Instant now, Kind kind, const IpAddress& ip = {}, const SocketAddress& peer = {},
             std::uint16_t channel = 0, std::uint32_t lifetime = 0, int nonce_retries = 0);
  void on_response(Instant now, const stun::Message& m, Request& r);
  void on_success(Instant now, const stun::Message& m, const Request& r);
  void on_failure(Instant now, const Request& r, int code);
  void schedule_refresh(Instant now, Duration lifetime);
  void flush_queue(const IpAddress& ip, bool deliver);
  void send_data(const SocketAddress& peer, ByteView data);
  Bytes& emit();
  Perm* perm(const IpAddress& ip);
  Channel* channel_by_peer(const SocketAddress& peer);
  const Channel* channel_by_number(std::uint16_t n) const;

  ClientConfig cfg_;
  ClientState state_ = ClientState::Allocating;
  std::string realm_, nonce_;
  Bytes key_;
  std::vector<SocketAddress> relayed_;
  std::optional<SocketAddress> mapped_;
  Instant expiry_ = kNever;
  Instant refresh_at_ = kNever;
  std::vector<Request> requests_;
  std::vector<Perm> perms_;
  std::vector<Channel> channels_;
  std::vector<Queued> queue_;
  std::vector<ClientEvent> events_;
  std::vector<Bytes> out_;
  std::size_t out_head_ = 0, out_size_ = 0;
  std::uint16_t next_channel_ = 0x4000;
  std::uint64_t indication_counter_ = 0;
  Stats stats_;
};

}  // namespace floe::turn
