#pragma once
// What the engines need to know about transports (RFC 3261 §18): which one,
// whether it is reliable (no retransmissions, zero linger timers), and where
// bytes go. The driver owns sockets and connections; the engine only emits
// Transmit records.
#include <cstdint>
#include <string_view>

#include "base/address.hpp"
#include "base/bytes.hpp"
#include "base/time.hpp"

namespace floe::sip {

enum class Transport : std::uint8_t { Udp, Tcp, Tls };

inline bool is_reliable(Transport t) { return t != Transport::Udp; }
inline std::string_view via_transport_name(Transport t) {
  switch (t) {
    case Transport::Udp: return "UDP";
    case Transport::Tcp: return "TCP";
    case Transport::Tls: return "TLS";
  }
  return "UDP";
}

struct Target {
  Transport transport = Transport::Udp;
  SocketAddress address;
};

struct Transmit {
  Transport transport = Transport::Udp;
  SocketAddress destination;
  Bytes bytes;
};

// §17.1.1.1 / Table 4. Tests shrink them; production keeps the defaults.
struct TimerConfig {
  Duration t1 = milliseconds(500);  // RTT estimate
  Duration t2 = seconds(4);         // cap on non-INVITE and response retransmit interval
  Duration t4 = seconds(5);         // how long the network may hold a message
};

}  // namespace floe::sip
