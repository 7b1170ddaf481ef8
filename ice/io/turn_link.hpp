#pragma once
// The client side of one connection to a TURN server (RFC 8656 §3.1): a
// connected UDP socket, a TCP connection, or TLS over TCP ("turns:"). It
// carries the bytes of one turn::Allocation (usually through ice::RelayGlue)
// and nothing else: stream transports are cut into STUN / ChannelData
// frames (turn::StreamFramer, §12.5) so the owner always gets whole
// messages. Connecting and the TLS handshake are asynchronous; bytes sent
// meanwhile wait in the write queue, so the Allocate can be queued at once.
//
// Also the "ice.turn_servers" entry type (TurnServerSpec) and its URL form
// (RFC 7065: turn:/turns: host[:port][?transport=udp|tcp]).
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/address.hpp"
#include "base/bytes.hpp"
#include "ice/turn/turn_client.hpp"

namespace floe::io {

// One TURN server an ICE agent gathers relayed candidates from.
struct TurnServerSpec {
  SocketAddress server;
  turn::Transport transport = turn::Transport::Udp;
  std::string username;
  std::string password;
  // TURN REST API shared secret (coturn use-auth-secret): each allocation
  // gets fresh credentials "<expiry>:<username or floe>" instead of the
  // static password.
  std::string rest_secret;
  seconds rest_ttl{3600};
  // TURNS: the certificate is checked against `ca_file` (else the system's
  // trust store) and, when set, `server_name` (also sent as SNI). verify =
  // false accepts any certificate: MESSAGE-INTEGRITY still protects the
  // TURN exchange, TLS then only gets through firewalls.
  std::string server_name;
  std::string ca_file;
  bool verify = true;

  // The allocation's settings; REST credentials are minted for `unix_now`.
  turn::ClientConfig client_config(std::int64_t unix_now) const;
};

// "turn:198.51.100.7:3478?transport=tcp", "turns:turn.example.com" (default
// ports 3478 / 5349; turns implies TCP). A host name is resolved now
// (blocking; configuration time only) and kept as `server_name` for TLS.
std::optional<TurnServerSpec> parse_turn_url(std::string_view url, std::string* error = nullptr);
std::string to_url(const TurnServerSpec& s);

struct TurnLinkStats {
  std::uint64_t frames_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t write_dropped = 0;  // queue over its limit, or sent after close
  std::uint64_t bad_stream = 0;     // unframeable bytes on TCP/TLS
};

class TurnLink {
 public:
  // One datagram (UDP) or one frame (TCP/TLS) from the server; `bytes` may
  // be modified in place and has `spare` writable bytes after it.
  using Receive = std::function<void(std::span<std::uint8_t> bytes, std::size_t spare)>;
  // The connection failed or closed (stream transports); no more input.
  using Closed = std::function<void(const std::string& why)>;

  TurnLink(boost::asio::io_context& io, TurnServerSpec spec, Receive on_receive, Closed on_closed);
  ~TurnLink();
  TurnLink(const TurnLink&) = delete;
  TurnLink& operator=(const TurnLink&) = delete;

  // Binds (to `local_ip` when given) and starts connecting. An error here
  // is immediate (bad family, TLS context); later ones go to `on_closed`.
  std::optional<std::string> open(const std::optional<IpAddress>& local_ip = std::nullopt);
  // UDP: sent at once (a failed send is a lost datagram). TCP/TLS: queued
  // until connected and written in order.
  void send(ByteView bytes);
  void close();

  const TurnServerSpec& spec() const;
  // The local end once bound/connected.
  std::optional<SocketAddress> local_address() const;
  bool connected() const;
  const TurnLinkStats& stats() const;

  static constexpr std::size_t kWriteQueueLimit = 512 * 1024;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace floe::io
