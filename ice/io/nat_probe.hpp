#pragma once
// The Asio driver of stun::NatProbe: opens the three probe sockets on one
// local IP, runs the RFC 5780 tests to the end and returns the result.
#include <array>
#include <optional>
#include <string>

#include "base/address.hpp"
#include "base/time.hpp"
#include "ice/stun/nat_discovery.hpp"

namespace floe::io {

struct NatProbeOptions {
  SocketAddress server;
  // Local IP (and optionally port for the mapping socket). Default: the
  // address the kernel would use to reach the server.
  std::optional<SocketAddress> local;
  Duration test_timeout = milliseconds(2000);
  bool hairpinning = true;
};

struct NatProbeOutcome {
  std::optional<std::string> failure;  // could not even start (socket errors)
  std::array<SocketAddress, stun::kProbeSockets> local{};
  stun::NatProbeResult result;
};

// Blocks until the probe finishes; runs its own io_context.
NatProbeOutcome run_nat_probe(const NatProbeOptions& options);

}  // namespace floe::io
