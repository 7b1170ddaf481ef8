#pragma once
// What the ICE engines exchange with their drivers: datagrams in, transmits out.
#include "base/address.hpp"
#include "base/bytes.hpp"

namespace floe::ice {

// A received UDP datagram: `local` is the address it arrived on (a
// candidate base), `remote` its source. The bytes are only borrowed.
struct Datagram {
  SocketAddress local;
  SocketAddress remote;
  ByteView bytes;
};

// A datagram to send from `local` (a candidate base) to `remote`. For a
// relayed candidate `local` is the relayed address and the TURN client
// wraps the bytes.
struct Transmit {
  SocketAddress local;
  SocketAddress remote;
  Bytes bytes;
};

}  // namespace floe::ice
