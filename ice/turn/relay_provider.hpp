#pragma once
// The engine decides; the driver owns relay sockets. This is the seam: the
// TURN server engine asks for relayed transport addresses through it, and
// tests implement it with a fake that hands out addresses without sockets.
#include <optional>

#include "base/address.hpp"

namespace floe::turn {

struct RelayRequest {
  Family family = Family::V4;
  bool even = false;          // EVEN-PORT (RFC 8656 §14.6)
  bool reserve_next = false;  // EVEN-PORT R bit: also hold port + 1
  bool dont_fragment = false; // DONT-FRAGMENT (§14.8): set DF on relayed datagrams
};

struct RelayGrant {
  SocketAddress relay;
  // Port + 1, bound and held by the driver until the engine uses or closes it.
  std::optional<SocketAddress> reserved;
};

class RelayProvider {
 public:
  virtual ~RelayProvider() = default;
  // Whether relays of this family can be opened at all (else 440, §7.2).
  virtual bool supports(Family f) const = 0;
  // Binds a relay socket per `req`; nullopt when no port or family is available.
  virtual std::optional<RelayGrant> open_relay(const RelayRequest& req) = 0;
  // Releases a relay (or a reserved port); datagrams to it are no longer delivered.
  virtual void close_relay(const SocketAddress& relay) = 0;
};

}  // namespace floe::turn
