#pragma once
// The TURN server engine, RFC 8656, sans-IO. Client traffic (STUN requests,
// Send indications, ChannelData) arrives with its 5-tuple; peer traffic
// arrives as "datagram on relay R from peer P". Outputs say "send to the
// client on 5-tuple T" or "send from relay R to peer P"; the driver owns
// every socket, including the relays it opens through RelayProvider.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/address.hpp"
#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ice/stun/message.hpp"
#include "ice/turn/auth.hpp"
#include "ice/turn/limits.hpp"
#include "ice/turn/relay_provider.hpp"
#include "ice/turn/server_allocation.hpp"

namespace floe::turn {

struct ServerConfig {
  AuthConfig auth;
  Limits limits;
  std::string software = "Floe TURN";
  Duration sweep_interval = seconds(1);
  Duration reservation_lifetime = seconds(30);  // §14.9: at least 30 s
};

// The error codes the server sends, for per-code counters.
inline constexpr std::array<int, 13> kErrorCodes = {400, 401, 403, 420, 437, 438, 440,
                                                    441, 442, 443, 486, 500, 508};

struct ServerCounters {
  std::uint64_t requests = 0;
  std::uint64_t allocations_created = 0;
  std::uint64_t allocations_deleted = 0;  // by Refresh 0 or a closed connection
  std::uint64_t allocations_expired = 0;
  std::uint64_t permissions_created = 0;
  std::uint64_t channels_bound = 0;
  std::uint64_t auth_challenges = 0;      // 401 without credentials
  std::uint64_t auth_failures = 0;        // 401 with bad credentials
  std::uint64_t rest_expired = 0;
  std::uint64_t stale_nonces = 0;
  std::uint64_t quota_user = 0;           // 486
  std::uint64_t quota_total = 0;          // 508: allocation cap
  std::uint64_t relay_unavailable = 0;    // 508: no port / no reservation
  std::array<std::uint64_t, static_cast<std::size_t>(PeerDenial::kCount)> denied_peers{};
  std::uint64_t to_peer_packets = 0, to_peer_bytes = 0;
  std::uint64_t to_client_packets = 0, to_client_bytes = 0;
  std::uint64_t dropped_malformed = 0;
  std::uint64_t dropped_no_allocation = 0;
  std::uint64_t dropped_no_permission = 0;
  std::uint64_t dropped_no_channel = 0;
  std::uint64_t dropped_bandwidth = 0;
  std::uint64_t errors_sent = 0;
  std::array<std::uint64_t, kErrorCodes.size()> errors_by_code{};  // kErrorCodes order
};

struct ServerOutput {
  enum class Kind : std::uint8_t { ToClient, ToPeer };
  Kind kind = Kind::ToClient;
  FiveTuple tuple;     // ToClient
  SocketAddress relay; // ToPeer: send from this relay...
  SocketAddress peer;  // ...to this peer
  Bytes data;
};

class TurnServer {
 public:
  TurnServer(ServerConfig config, RelayProvider& relays, WallClock wall, ByteView nonce_secret);
  TurnServer(const TurnServer&) = delete;
  TurnServer& operator=(const TurnServer&) = delete;

  // One UDP datagram, or one frame cut by StreamFramer on TCP/TLS.
  void handle_client(Instant now, const FiveTuple& tuple, ByteView data);
  void handle_relay(Instant now, const SocketAddress& relay, const SocketAddress& peer,
                    ByteView data);
  // §7: an allocation made over TCP/TLS dies with its connection.
  void handle_connection_closed(Instant now, const FiveTuple& tuple);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  // Valid until the next handle_* call. Poll until nullptr after each input.
  const ServerOutput* poll_output();

  const ServerCounters& counters() const { return counters_; }
  const ServerConfig& config() const { return cfg_; }
  std::size_t allocation_count() const { return table_.size(); }
  ServerAllocation* find_allocation(const FiveTuple& t) { return table_.find(t); }

 private:
  struct Auth {
    std::string username;
    Bytes key;
    bool sha256 = false;
    bool fingerprint = false;
  };
  struct Reservation {
    std::array<std::uint8_t, 8> token;
    SocketAddress relay;
    Instant expiry;
  };

  void handle_request(Instant now, const FiveTuple& t, const stun::Message& m);
  bool authenticate(Instant now, const FiveTuple& t, const stun::Message& m, Auth* auth);
  void on_allocate(Instant now, const FiveTuple& t, const stun::Message& m, Auth& auth);
  void on_refresh(Instant now, const FiveTuple& t, const stun::Message& m, const Auth& auth,
                  ServerAllocation& a);
  void on_create_permission(Instant now, const FiveTuple& t, const stun::Message& m,
                            const Auth& auth, ServerAllocation& a);
  void on_channel_bind(Instant now, const FiveTuple& t, const stun::Message& m,
                       const Auth& auth, ServerAllocation& a);
  void on_send(Instant now, const FiveTuple& t, const stun::Message& m);
  void on_channel_data(Instant now, const FiveTuple& t, ByteView data);
  void on_binding(const FiveTuple& t, const stun::Message& m);
  // Checks peer policy and family; 0 or the error code to answer.
  int check_peer_for(const ServerAllocation& a, const SocketAddress& peer);
  void relay_to_peer(Instant now, ServerAllocation& a, const SocketAddress& peer, ByteView data);
  void remove_allocation(const FiveTuple& t);
  void schedule_sweep(Instant now);

  Bytes& emit_client(const FiveTuple& t);
  Bytes& emit_peer(const SocketAddress& relay, const SocketAddress& peer);
  void send_error(const FiveTuple& t, const stun::Message& req, int code, const Auth* auth,
                  bool challenge = false);
  void finish(stun::MessageBuilder& b, const Auth& auth);
  stun::TransactionId next_indication_id();

  ServerConfig cfg_;
  RelayProvider& relays_;
  WallClock wall_;
  Authenticator auth_;
  AllocationTable table_;
  std::vector<Reservation> reservations_;
  ServerCounters counters_;
  std::vector<ServerOutput> out_;
  std::size_t out_head_ = 0, out_size_ = 0;
  std::string nonce_for_response_;  // set before a 401/438 is sent
  Instant next_sweep_ = kNever;
  std::array<std::uint8_t, 4> tid_prefix_{};
  std::uint64_t tid_counter_ = 0;
};

}  // namespace floe::turn
