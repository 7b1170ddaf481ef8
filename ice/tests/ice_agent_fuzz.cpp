// Fuzz target: datagrams reaching a connected-ish ICE agent are untrusted.
// The agent has fixed credentials so that seeds with valid MESSAGE-INTEGRITY
// (generated checks, responses, indications) reach the deep paths.
// Input: byte 0 picks the source address, the rest is the datagram.
#include <cstdint>
#include <cstdlib>

#include "ice/agent/agent.hpp"

using namespace floe;
using namespace floe::ice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  IceConfig cfg;
  cfg.local_credentials = IceCredentials{"fuzz", "fuzzfuzzfuzzfuzzfuzzfuzz"};
  IceAgent agent(cfg);
  agent.set_role((data[0] & 0x80) ? IceRole::Controlling : IceRole::Controlled);
  agent.set_remote_credentials("peer", "peerpeerpeerpeerpeerpeer");
  Instant now{};
  const auto local = *SocketAddress::parse("10.0.0.1:1000");
  agent.add_local_address(now, local);
  agent.end_of_local_addresses();
  agent.add_remote_candidate("candidate:1 1 udp 2130706431 10.0.0.2 2000 typ host");
  agent.handle_timeout(now);
  while (agent.poll_output()) {
  }
  const SocketAddress sources[] = {*SocketAddress::parse("10.0.0.2:2000"),
                                   *SocketAddress::parse("10.0.0.3:3000"),
                                   *SocketAddress::parse("[2001:db8::2]:2000")};
  const auto& from = sources[(data[0] & 0x7f) % 3];
  // Twice, so a first datagram that changes state (prflx, nomination) is
  // followed by the same bytes in the new state.
  for (int round = 0; round < 2; ++round) {
    agent.handle_input(now, Datagram{local, from, ByteView(data + 1, size - 1)});
    now += milliseconds(60);
    agent.handle_timeout(now);
    while (agent.poll_output()) {
    }
  }
  if (agent.next_timeout() < now && agent.state() == IceState::Closed) std::abort();
  return 0;
}
