#pragma once
// A STUN Binding server (RFC 8489 §6.3) with the RFC 5780 behaviour
// discovery extensions, sans-IO. The driver registers its local sockets,
// feeds each received request in and sends what poll_output() yields, from
// the socket it names. The engine keeps no per-client state, so one instance
// serves any number of clients; it never allocates once its reply buffer
// has grown to the largest reply.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/address.hpp"
#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ice/stun/message.hpp"

namespace floe::stun {

enum class Transport : std::uint8_t { Udp, Tcp };

using SocketId = std::uint16_t;

// One local socket of the server. RFC 5780 §3 needs four per transport:
// the primary and alternate IP, each with the primary and alternate port.
// Sockets that share a group and transport answer for each other when a
// client sends CHANGE-REQUEST.
struct ServerSocket {
  SocketAddress local;  // a wildcard address disables RESPONSE-ORIGIN
  Transport transport = Transport::Udp;
  std::uint16_t group = 0;
  bool alternate_ip = false;
  bool alternate_port = false;
};

struct ServerConfig {
  std::string software = "floe";  // SOFTWARE attribute; empty leaves it out
};

// What the server drops without answering, by reason.
enum class ServerDrop : std::uint8_t {
  NotStun,          // RFC 7983 first byte or magic cookie says it is not STUN
  Malformed,        // a STUN header whose body does not parse
  BadFingerprint,   // RFC 8489 §7.3: FINGERPRINT present but wrong
  NotRequest,       // a response arriving at a server
  UnknownSocket,    // the driver named a socket it never added
  Count_
};
const char* to_string(ServerDrop d);

struct ServerCounters {
  std::uint64_t received = 0;
  std::uint64_t binding_success = 0;
  std::uint64_t error_400 = 0;
  std::uint64_t error_420 = 0;
  std::uint64_t indications = 0;       // RFC 8489 §6.3.2: processed, never answered
  std::uint64_t changed_origin = 0;    // answered from another socket (CHANGE-REQUEST)
  std::uint64_t response_port = 0;     // answered to another port (RESPONSE-PORT)
  std::array<std::uint64_t, static_cast<std::size_t>(ServerDrop::Count_)> dropped{};

  std::uint64_t drops(ServerDrop d) const { return dropped[static_cast<std::size_t>(d)]; }
};

struct ServerTransmit {
  SocketId socket;  // the local socket to send from
  SocketAddress to;
  ByteView data;    // valid until the next handle_input()
};

class BindingServer {
 public:
  explicit BindingServer(ServerConfig config = {});

  SocketId add_socket(const ServerSocket& socket);
  const ServerSocket& socket(SocketId id) const { return sockets_[id].info; }
  std::size_t socket_count() const { return sockets_.size(); }
  // True when the socket's group has all four RFC 5780 sockets.
  bool behaviour_discovery(SocketId id) const;

  // One datagram (UDP) or one framed message (TCP, see frame_stream()).
  // At most one reply results; take it with poll_output() before the next input.
  void handle_input(Instant now, SocketId on, const SocketAddress& from, ByteView data);
  std::optional<ServerTransmit> poll_output();
  void handle_timeout(Instant) {}
  Instant next_timeout() const { return kNever; }

  const ServerCounters& counters() const { return counters_; }

 private:
  struct Entry {
    ServerSocket info;
    // The group's socket for [alternate_ip][alternate_port], or kNone.
    std::array<std::array<SocketId, 2>, 2> peer;
  };
  static constexpr SocketId kNone = 0xFFFF;

  void link_group(const ServerSocket& s);
  void drop(ServerDrop d) { ++counters_.dropped[static_cast<std::size_t>(d)]; }
  void reply_error(SocketId on, const SocketAddress& to, const Message& req, int code,
                   std::span<const std::uint16_t> unknown = {});
  void emit(SocketId from, const SocketAddress& to);

  ServerConfig cfg_;
  std::vector<Entry> sockets_;
  ServerCounters counters_;
  Bytes out_;
  std::optional<ServerTransmit> pending_;
};

// Stream framing for STUN over TCP (RFC 8489 §6.2.2: messages are sent back
// to back; the header's length field delimits them).
enum class FrameStatus : std::uint8_t { Complete, NeedMore, NotStun };
// On Complete, *size is the length of the message at the front of `buffered`.
FrameStatus frame_stream(ByteView buffered, std::size_t* size);

}  // namespace floe::stun
