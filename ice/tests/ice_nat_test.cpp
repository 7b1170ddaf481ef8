// Both agents behind NATs on the scripted network: candidates from Floe's
// own STUN Binding server, hole punching through port-restricted filtering.
#include <gtest/gtest.h>

#include "ice/stun/server.hpp"
#include "ice/tests/ice_test_network.hpp"

using namespace floe;
using namespace floe::ice;
using namespace floe::ice::testing;

namespace {

// Floe's sans-IO STUN server answering on the scripted network.
void add_stun_server(Network& net, stun::BindingServer& server, const SocketAddress& at) {
  const auto sock = server.add_socket({.local = at});
  net.add_endpoint(at, [&net, &server, sock, at](const SocketAddress& from,
                                                 const SocketAddress&, ByteView bytes) {
    server.handle_input(net.now(), sock, from, bytes);
    while (auto out = server.poll_output())
      net.route(at, out->to, Bytes(out->data.begin(), out->data.end()));
  });
}

}  // namespace

TEST(IceNat, BothBehindPortRestrictedNatsPunchThroughWithSrflx) {
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    IceConfig cfg;
    const auto stun_addr = addr("198.51.100.1:3478");
    cfg.gather.stun_server = stun_addr;
    Network net(seed);
    net.jitter = milliseconds(20);
    net.nat_port_restricted = true;
    net.nat[addr("192.168.1.2:5000")] = addr("203.0.113.1:40000");
    net.nat[addr("192.168.7.9:6000")] = addr("203.0.113.2:50000");
    stun::BindingServer server;
    add_stun_server(net, server, stun_addr);
    auto& a = net.add_peer("a", cfg);
    auto& b = net.add_peer("b", cfg);
    Network::link(a, b);
    a.agent.set_role(IceRole::Controlling);
    b.agent.set_role(IceRole::Controlled);
    net.exchange_credentials(a, b);
    net.bind(a, addr("192.168.1.2:5000"));
    net.bind(b, addr("192.168.7.9:6000"));
    a.agent.end_of_local_addresses();
    b.agent.end_of_local_addresses();
    ASSERT_TRUE(net.run_until([&] { return a.connected() && b.connected(); }, seconds(20)))
        << "seed " << seed;
    // The host pairs cannot work; the srflx addresses do, once each side
    // has sent towards the other (the filtered count shows the punching).
    EXPECT_EQ(a.agent.selected_route()->remote.to_string(), "203.0.113.2:50000");
    EXPECT_EQ(b.agent.selected_route()->remote.to_string(), "203.0.113.1:40000");
    EXPECT_EQ(a.agent.selected_route()->local.to_string(), "192.168.1.2:5000");
    EXPECT_EQ(server.counters().binding_success, 2u);
    EXPECT_GT(net.filtered, 0u);
    ASSERT_TRUE(a.agent.send(net.now(), as_bytes("through two NATs")));
    net.run_for(milliseconds(200));
    ASSERT_EQ(b.received.size(), 1u);
    EXPECT_EQ(as_chars(b.received[0]), "through two NATs");
    // Consent keeps the holes open: still connected a minute later.
    net.run_for(seconds(60));
    EXPECT_TRUE(a.connected());
    EXPECT_TRUE(b.connected());
    EXPECT_EQ(net.past_timers, 0u);
  }
}

TEST(IceNat, UnreachablePeerFailsAfterEndOfCandidates) {
  // Port-restricted filtering on one side and no srflx for the other: only
  // hosts, nothing reaches, both declare Failed (trickle ended both ways).
  IceConfig cfg;
  cfg.check_transaction = {.rto = milliseconds(200), .rc = 4, .rm = 4};
  Network net;
  net.nat_port_restricted = true;
  net.nat[addr("192.168.1.2:5000")] = addr("203.0.113.1:40000");
  net.nat[addr("192.168.7.9:6000")] = addr("203.0.113.2:50000");
  auto& a = net.add_peer("a", cfg);
  auto& b = net.add_peer("b", cfg);
  Network::link(a, b);
  b.agent.set_role(IceRole::Controlled);
  net.exchange_credentials(a, b);
  net.bind(a, addr("192.168.1.2:5000"));
  net.bind(b, addr("192.168.7.9:6000"));
  a.agent.end_of_local_addresses();
  b.agent.end_of_local_addresses();
  ASSERT_TRUE(net.run_until([&] {
    return a.agent.state() == IceState::Failed && b.agent.state() == IceState::Failed;
  }, seconds(30)));
  EXPECT_FALSE(a.agent.selected_route());
  EXPECT_EQ(net.past_timers, 0u);
}

TEST(IceNat, FrozenPairsBehindABusyFoundationDoNotSpinTheTimer) {
  // Two remote candidates sharing a foundation: the second pair stays Frozen
  // while the first is In-Progress (§6.1.2.6). Nothing answers, so that can
  // last 39.5 s; the agent must not ask for a timer in the past meanwhile.
  Network net;
  net.drop = [](const SocketAddress&, const SocketAddress&) { return true; };
  auto& a = net.add_peer("a");
  a.auto_trickle = false;
  a.agent.set_remote_credentials("peer", "peerpeerpeerpeerpeerpeer");
  net.bind(a, addr("10.0.0.1:1000"));
  a.agent.add_remote_candidate("candidate:same 1 udp 2130706431 10.0.0.2 2000 typ host");
  a.agent.add_remote_candidate("candidate:same 1 udp 2130706430 10.0.0.3 2000 typ host");
  net.run_for(milliseconds(10));
  ASSERT_EQ(a.agent.check_list().size(), 2u);
  EXPECT_EQ(a.agent.check_list().pairs()[1].state, PairState::Frozen);
  int wakeups = 0;
  Instant last = net.now();
  net.run_until([&] {
    if (a.agent.next_timeout() <= net.now() && net.now() == last) ++wakeups;
    last = net.now();
    return false;
  }, seconds(20));
  EXPECT_FALSE(net.stalled);
  EXPECT_EQ(net.past_timers, 0u);
  EXPECT_LT(a.transmits, 40u);
  EXPECT_LT(wakeups, 1000);
}

TEST(IceNat, EmptyCheckListGraceDoesNotSpinWhileGatheringIsOpen) {
  // Only an mDNS candidate, end-of-candidates, but local gathering never
  // finished: Failed must wait for gathering, without a timer in the past.
  Network net;
  auto& a = net.add_peer("a");
  a.auto_trickle = false;
  a.agent.set_remote_credentials("peer", "peerpeerpeerpeerpeerpeer");
  net.bind(a, addr("10.0.0.1:1000"));
  a.agent.add_remote_candidate("candidate:1 1 udp 2130706431 abcd.local 2000 typ host");
  a.agent.end_of_remote_candidates();
  net.run_for(seconds(20));
  EXPECT_FALSE(net.stalled);
  EXPECT_EQ(net.past_timers, 0u);
  EXPECT_NE(a.agent.state(), IceState::Failed);
  a.agent.end_of_local_addresses();
  net.run_for(seconds(1));
  EXPECT_EQ(a.agent.state(), IceState::Failed);
}
