// Agent-vs-agent tests on the scripted network (ice_test_network.hpp).
#include <gtest/gtest.h>

#include <cstdlib>

#include "ice/stun/credentials.hpp"
#include "ice/stun/server.hpp"
#include "ice/tests/ice_test_network.hpp"

using namespace floe;
using namespace floe::ice;
using namespace floe::ice::testing;

namespace {

bool both_connected(Peer& a, Peer& b) { return a.connected() && b.connected(); }

// For failure messages: state, role and pairs of one peer.
std::string describe(Peer& p) {
  std::string s = p.name + ": " + to_string(p.agent.state()) + " " + to_string(p.agent.role()) +
                  " checks=" + std::to_string(p.agent.counters().checks_sent) + "\n";
  for (const auto& pair : p.agent.check_list().pairs())
    s += "  " + pair.local.base.to_string() + " -> " + pair.remote.address.to_string() + " " +
         to_string(pair.state) + (pair.valid ? " valid" : "") +
         (pair.nominated ? " nominated" : "") + (pair.nominating ? " nominating" : "") + "\n";
  return s;
}

// Sets up a standard pair of peers with one host address each.
struct Pair2 {
  Network net;
  Peer& a;
  Peer& b;
  explicit Pair2(IceRole ra = IceRole::Controlling, IceRole rb = IceRole::Controlled,
                 std::uint32_t seed = 1, IceConfig cfg = {})
      : net(seed), a(net.add_peer("a", cfg)), b(net.add_peer("b", cfg)) {
    Network::link(a, b);
    a.agent.set_role(ra);
    b.agent.set_role(rb);
  }
  ~Pair2() { EXPECT_EQ(net.past_timers, 0u) << "an agent asked for a timer in the past"; }
  void start(const char* aa = "10.0.0.1:1000", const char* ba = "10.0.0.2:2000") {
    net.exchange_credentials(a, b);
    net.bind(a, addr(aa));
    net.bind(b, addr(ba));
    a.agent.end_of_local_addresses();
    b.agent.end_of_local_addresses();
  }
  bool connect(Duration limit = seconds(10)) {
    return net.run_until([&] { return both_connected(a, b); }, limit);
  }
  // Sends `n` datagrams each way and checks they arrive intact.
  void expect_data_flows(int n = 3) {
    auto ra = a.received.size(), rb = b.received.size();
    for (int i = 0; i < n; ++i) {
      std::string x = "from-a-" + std::to_string(i), y = "from-b-" + std::to_string(i);
      ASSERT_TRUE(a.agent.send(net.now(), as_bytes(x)));
      ASSERT_TRUE(b.agent.send(net.now(), as_bytes(y)));
    }
    net.run_for(milliseconds(200));
    ASSERT_EQ(b.received.size(), rb + n);
    ASSERT_EQ(a.received.size(), ra + n);
    EXPECT_EQ(as_chars(b.received[rb]), "from-a-0");
    EXPECT_EQ(as_chars(a.received[ra + n - 1]), "from-b-" + std::to_string(n - 1));
  }
};

}  // namespace

TEST(IceAgent, HostToHostControllingA) {
  Pair2 p(IceRole::Controlling, IceRole::Controlled);
  p.start();
  ASSERT_TRUE(p.connect());
  EXPECT_EQ(p.a.agent.selected_route()->remote.to_string(), "10.0.0.2:2000");
  EXPECT_EQ(p.b.agent.selected_route()->remote.to_string(), "10.0.0.1:1000");
  ASSERT_EQ(p.a.selections.size(), 1u);
  EXPECT_EQ(p.a.states.front(), IceState::Checking);
  p.expect_data_flows();
  // Both sides sent end-of-candidates and every pair finished: Completed.
  p.net.run_for(seconds(1));
  EXPECT_EQ(p.a.agent.state(), IceState::Completed);
  EXPECT_EQ(p.b.agent.state(), IceState::Completed);
  EXPECT_EQ(p.a.agent.counters().role_conflicts, 0u);
}

TEST(IceAgent, HostToHostControllingB) {
  IceConfig cfg;
  cfg.data_as_events = true;
  Pair2 p(IceRole::Controlled, IceRole::Controlling, 1, cfg);
  p.start();
  ASSERT_TRUE(p.connect());
  EXPECT_EQ(p.a.agent.role(), IceRole::Controlled);
  p.expect_data_flows();
  EXPECT_EQ(p.a.data_events, 3u);
  EXPECT_EQ(p.b.data_events, 3u);
}

TEST(IceAgent, ConnectsThroughLossReorderingAndDelay) {
  // FLOE_ICE_SEEDS=N widens the sweep when hunting for rare schedules.
  const char* env = std::getenv("FLOE_ICE_SEEDS");
  const std::uint32_t seeds = env ? static_cast<std::uint32_t>(std::atoi(env)) : 8;
  for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
    Pair2 p(IceRole::Controlling, IceRole::Controlled, seed);
    p.net.loss = 0.3;
    p.net.delay = milliseconds(40);
    p.net.jitter = milliseconds(80);  // datagrams overtake each other
    p.start();
    // A whole lost transaction (~1% at 30% loss each way) costs its 39.5 s
    // back-off before the retry.
    ASSERT_TRUE(p.connect(seconds(120))) << "seed " << seed << "\n" << describe(p.a) << describe(p.b);
    EXPECT_FALSE(p.net.stalled);
    p.net.loss = 0;
    p.net.jitter = Duration::zero();
    p.expect_data_flows();
  }
}

TEST(IceAgent, PeerReflexiveLearnedFromRequestAndResponse) {
  // b sits behind a static NAT: its host candidate is unreachable, so a
  // learns b's mapped address from b's checks (§7.3.1.3) and b learns its
  // own mapped address from a's responses (§7.2.5.3.1).
  Pair2 p;
  p.net.nat[addr("192.168.1.2:3000")] = addr("203.0.113.2:4000");
  p.start("10.0.0.1:1000", "192.168.1.2:3000");
  ASSERT_TRUE(p.connect());
  EXPECT_EQ(p.a.agent.counters().remote_prflx_learned, 1u);
  EXPECT_GE(p.b.agent.counters().local_prflx_learned, 1u);
  EXPECT_EQ(p.a.agent.selected_route()->remote.to_string(), "203.0.113.2:4000");
  EXPECT_EQ(p.a.selections.back().remote.type, CandidateType::PeerReflexive);
  p.expect_data_flows();
}

TEST(IceAgent, MdnsCandidateFromPeerIsIgnoredAndPeerLearnedAsPrflx) {
  Pair2 p;
  p.b.auto_trickle = false;  // b signals like Safari: an mDNS name only
  p.start();
  auto mdns = parse_candidate(
      "candidate:1 1 udp 2113937151 0f4a2c9e-1b5d-4c1e-8a3e-5d2f7b6c9a01.local 2000 typ host");
  ASSERT_TRUE(mdns);
  EXPECT_EQ(p.a.agent.add_remote_candidate(*mdns), RemoteCandidateResult::IgnoredMdns);
  p.a.agent.end_of_remote_candidates();
  ASSERT_TRUE(p.connect());
  EXPECT_EQ(p.a.agent.counters().mdns_candidates_ignored, 1u);
  EXPECT_EQ(p.a.agent.counters().remote_prflx_learned, 1u);
  p.expect_data_flows();
}

TEST(IceAgent, RoleConflictBothControlling) {
  Pair2 p(IceRole::Controlling, IceRole::Controlling);
  p.start();
  ASSERT_TRUE(p.connect());
  EXPECT_NE(p.a.agent.role(), p.b.agent.role());
  EXPECT_GT(p.a.agent.counters().role_conflicts + p.b.agent.counters().role_conflicts, 0u);
  // §7.3.1.1: the larger tie-breaker stays controlling.
  auto& winner = p.a.agent.tie_breaker() > p.b.agent.tie_breaker() ? p.a : p.b;
  EXPECT_EQ(winner.agent.role(), IceRole::Controlling);
  p.expect_data_flows();
}

TEST(IceAgent, RoleConflictBothControlled) {
  Pair2 p(IceRole::Controlled, IceRole::Controlled);
  p.start();
  ASSERT_TRUE(p.connect());
  EXPECT_NE(p.a.agent.role(), p.b.agent.role());
  auto& winner = p.a.agent.tie_breaker() > p.b.agent.tie_breaker() ? p.a : p.b;
  EXPECT_EQ(winner.agent.role(), IceRole::Controlling);
  p.expect_data_flows();
}

TEST(IceAgent, LateTrickleAndCandidatesBeforeCredentials) {
  Pair2 p;
  p.a.auto_trickle = false;
  p.b.auto_trickle = false;
  // b's candidate reaches a before b's credentials do (trickle, RFC 8838).
  p.net.bind(p.a, addr("10.0.0.1:1000"));
  p.net.bind(p.b, addr("10.0.0.2:2000"));
  p.net.run_for(milliseconds(10));
  p.a.agent.add_remote_candidate(p.b.gathered.at(0));
  p.net.run_for(seconds(1));
  EXPECT_EQ(p.a.agent.counters().checks_sent, 0u);  // no password yet
  EXPECT_EQ(p.a.agent.state(), IceState::New);
  p.net.exchange_credentials(p.a, p.b);
  // a's candidate reaches b 3 s later: by then b has already answered a's
  // checks and knows a as peer-reflexive; the signalled one merges in.
  p.net.after(seconds(3), [&] {
    p.b.agent.add_remote_candidate(p.a.gathered.at(0));
    p.b.agent.end_of_remote_candidates();
  });
  ASSERT_TRUE(p.connect());
  p.net.run_for(seconds(4));
  EXPECT_EQ(p.b.agent.remote_candidates().size(), 1u);
  EXPECT_EQ(p.b.agent.remote_candidates()[0].type, CandidateType::Host);
  p.expect_data_flows();
}

TEST(IceAgent, EndOfCandidatesWithEverythingFailedIsFailure) {
  IceConfig cfg;
  cfg.check_transaction = {.rto = milliseconds(100), .rc = 3, .rm = 4};
  Pair2 p(IceRole::Controlling, IceRole::Controlled, 1, cfg);
  p.net.drop = [](const SocketAddress&, const SocketAddress&) { return true; };
  p.start();
  ASSERT_TRUE(p.net.run_until([&] { return p.a.agent.state() == IceState::Failed; }, seconds(5)));
  EXPECT_EQ(p.a.agent.check_list().pairs().at(0).state, PairState::Failed);
}

TEST(IceAgent, RestartKeepsMediaUntilNewPairSelected) {
  Pair2 p;
  p.start();
  ASSERT_TRUE(p.connect());
  p.expect_data_flows();
  const auto old_a = p.a.agent.local_credentials().ufrag;
  p.a.agent.restart();
  p.b.agent.restart();
  EXPECT_NE(p.a.agent.local_credentials().ufrag, old_a);
  // Credentials travel through signalling: media keeps flowing meanwhile.
  p.expect_data_flows();
  p.net.exchange_credentials(p.a, p.b);
  // A late candidate of the old generation (ufrag extension) is not mixed in.
  auto stale = p.b.gathered.at(0);
  stale.ufrag = "oldfrag";
  EXPECT_EQ(p.a.agent.add_remote_candidate(stale), RemoteCandidateResult::StaleGeneration);
  ASSERT_TRUE(p.net.run_until(
      [&] { return p.a.selections.size() == 2 && p.b.selections.size() == 2; }, seconds(5)));
  EXPECT_TRUE(p.a.connected());
  p.expect_data_flows();
  // Consent now runs under the new credentials.
  p.net.run_for(seconds(40));
  EXPECT_TRUE(p.a.connected());
  EXPECT_TRUE(p.b.connected());
}

TEST(IceAgent, ConsentLossDisconnectsThenFails) {
  Pair2 p;
  p.start();
  ASSERT_TRUE(p.connect());
  p.net.run_for(seconds(20));  // consent keeps it alive
  EXPECT_TRUE(p.a.connected());
  EXPECT_GE(p.a.agent.counters().consent_responses, 2u);
  const auto cut = p.net.now();
  p.net.drop = [](const SocketAddress& from, const SocketAddress&) {
    return from.to_string() == "10.0.0.2:2000";
  };
  ASSERT_TRUE(p.net.run_until([&] { return p.a.agent.state() == IceState::Disconnected; },
                              seconds(15)));
  ASSERT_TRUE(p.net.run_until([&] { return p.a.agent.state() == IceState::Failed; },
                              seconds(25)));
  const auto failed_after = p.net.now() - cut;
  EXPECT_GE(failed_after, seconds(24));  // last answer came up to ~6 s before the cut
  EXPECT_LE(failed_after, seconds(31));
  EXPECT_FALSE(p.a.agent.send(p.net.now(), as_bytes("x")));
  EXPECT_FALSE(p.a.agent.selected_route());
}

TEST(IceAgent, KeepalivesWhenIdleWithoutConsent) {
  IceConfig cfg;
  cfg.consent.enabled = false;
  Pair2 p(IceRole::Controlling, IceRole::Controlled, 1, cfg);
  p.start();
  ASSERT_TRUE(p.connect());
  p.net.run_for(seconds(46));
  EXPECT_GE(p.a.agent.counters().keepalives_sent, 3u);
  EXPECT_GE(p.b.agent.counters().indications_received, 3u);
  EXPECT_TRUE(p.a.connected());
}

TEST(IceAgent, MalformedAndForgedInputIsDroppedAndCounted) {
  Pair2 p;
  p.start();
  ASSERT_TRUE(p.connect());
  auto& b = p.b.agent;
  const auto to = addr("10.0.0.2:2000"), from = addr("10.0.0.1:1000");
  auto before = b.counters();
  // Truncated STUN.
  std::uint8_t junk[] = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12};
  EXPECT_EQ(p.net.inject(p.b, to, from, junk), InputResult::Dropped);
  // A check with the wrong password, one with an unknown ufrag.
  auto check = [&](const std::string& user, const std::string& pwd) {
    Bytes m;
    stun::MessageBuilder mb(m, stun::Class::Request, stun::method::Binding,
                            stun::random_transaction_id());
    mb.add_string(stun::attr::Username, user);
    mb.add_u32(stun::attr::Priority, 12345);
    mb.add_u64(stun::attr::IceControlling, 1);
    mb.add_integrity(stun::short_term_key(pwd));
    mb.add_fingerprint();
    return m;
  };
  auto lu = b.local_credentials().ufrag + ":" + p.a.agent.local_credentials().ufrag;
  auto forged = check(lu, "wrong-password-wrong-password");
  EXPECT_EQ(p.net.inject(p.b, to, addr("10.9.9.9:9"), forged), InputResult::Stun);
  auto stranger = check("nobody:x", b.local_credentials().pwd);
  p.net.inject(p.b, to, from, stranger);
  // A bad FINGERPRINT.
  auto good = check(lu, b.local_credentials().pwd);
  good.back() ^= 0xff;
  p.net.inject(p.b, to, from, good);
  // A response nobody asked for, and data from an unvalidated address.
  Bytes resp;
  stun::MessageBuilder(resp, stun::Class::Success, stun::method::Binding,
                       stun::random_transaction_id())
      .add_fingerprint();
  p.net.inject(p.b, to, from, resp);
  std::uint8_t rtp[] = {0x80, 0x00, 0x00, 0x01};
  EXPECT_EQ(p.net.inject(p.b, to, addr("10.9.9.9:9"), rtp), InputResult::Dropped);
  EXPECT_EQ(p.net.inject(p.b, to, from, rtp), InputResult::ApplicationData);
  // Candidates: malformed, TCP, link-local.
  EXPECT_EQ(b.add_remote_candidate("candidate:1 1 udp"), RemoteCandidateResult::Malformed);
  EXPECT_EQ(b.add_remote_candidate("candidate:1 1 tcp 5 10.0.0.9 9 typ host tcptype passive"),
            RemoteCandidateResult::Unsupported);
  EXPECT_EQ(b.add_remote_candidate("candidate:1 1 udp 5 fe80::2 9 typ host"),
            RemoteCandidateResult::IgnoredLinkLocal);
  const auto& c = b.counters();
  EXPECT_EQ(c.malformed_stun, before.malformed_stun + 1);
  EXPECT_EQ(c.bad_integrity, before.bad_integrity + 1);
  EXPECT_EQ(c.unknown_ufrag, before.unknown_ufrag + 1);
  EXPECT_EQ(c.bad_fingerprint, before.bad_fingerprint + 1);
  EXPECT_EQ(c.unknown_transaction, before.unknown_transaction + 1);
  EXPECT_EQ(c.data_unvalidated, before.data_unvalidated + 1);
  EXPECT_EQ(c.malformed_candidates, before.malformed_candidates + 1);
  EXPECT_EQ(c.unsupported_candidates, before.unsupported_candidates + 1);
  EXPECT_EQ(c.link_local_ignored, before.link_local_ignored + 1);
  EXPECT_EQ(c.remote_prflx_learned, before.remote_prflx_learned);  // forged: not learned
  EXPECT_TRUE(p.b.connected());
  p.expect_data_flows();
}

TEST(IceAgent, TenCandidatesEachSide) {
  Pair2 p;
  p.net.exchange_credentials(p.a, p.b);
  for (int i = 1; i <= 10; ++i) {
    p.net.bind(p.a, addr(("10.0.0." + std::to_string(i) + ":1000").c_str()));
    p.net.bind(p.b, addr(("10.0.1." + std::to_string(i) + ":2000").c_str()));
  }
  p.a.agent.end_of_local_addresses();
  p.b.agent.end_of_local_addresses();
  // Only b's last address is reachable from a's third one.
  p.net.drop = [](const SocketAddress& from, const SocketAddress& to) {
    auto f = from.to_string(), t = to.to_string();
    bool ok = (f == "10.0.0.3:1000" && t == "10.0.1.10:2000") ||
              (t == "10.0.0.3:1000" && f == "10.0.1.10:2000");
    return !ok;
  };
  ASSERT_TRUE(p.connect(seconds(30)));
  // 100 pairs formed; unchecked ones are dropped after the nomination (§8.1.2).
  EXPECT_EQ(p.a.agent.counters().pairs_over_limit, 0u);
  EXPECT_LT(p.a.agent.check_list().size(), 100u);
  EXPECT_EQ(p.a.agent.selected_route()->local.to_string(), "10.0.0.3:1000");
  EXPECT_EQ(p.a.agent.selected_route()->remote.to_string(), "10.0.1.10:2000");
  p.expect_data_flows();
}

TEST(IceAgent, ControlledFollowsReNomination) {
  Pair2 p;
  p.net.exchange_credentials(p.a, p.b);
  p.net.bind(p.a, addr("10.0.0.1:1000"));
  p.net.bind(p.a, addr("10.0.0.5:1000"));
  p.net.bind(p.b, addr("10.0.0.2:2000"));
  p.a.agent.end_of_local_addresses();
  p.b.agent.end_of_local_addresses();
  ASSERT_TRUE(p.connect());
  auto first = p.b.agent.selected_route()->remote;
  auto other = first.to_string() == "10.0.0.1:1000" ? addr("10.0.0.5:1000") : addr("10.0.0.1:1000");
  // Chrome-style: the controlling side nominates a second pair later.
  Bytes m;
  stun::MessageBuilder mb(m, stun::Class::Request, stun::method::Binding,
                          stun::random_transaction_id());
  mb.add_string(stun::attr::Username,
                p.b.agent.local_credentials().ufrag + ":" + p.a.agent.local_credentials().ufrag);
  mb.add_u32(stun::attr::Priority, 1853824767);
  mb.add_u64(stun::attr::IceControlling, p.a.agent.tie_breaker());
  mb.add_empty(stun::attr::UseCandidate);
  mb.add_integrity(stun::short_term_key(p.b.agent.local_credentials().pwd));
  mb.add_fingerprint();
  p.net.inject(p.b, addr("10.0.0.2:2000"), other, m);
  ASSERT_TRUE(p.net.run_until([&] { return p.b.selections.size() == 2; }, seconds(2)));
  EXPECT_EQ(p.b.agent.selected_route()->remote, other);
  // Media then arrives on the first nominated pair: b follows it back.
  std::uint8_t rtp[] = {0x80, 0x00, 0x00, 0x01};
  EXPECT_EQ(p.net.inject(p.b, addr("10.0.0.2:2000"), first, rtp), InputResult::ApplicationData);
  EXPECT_EQ(p.b.agent.selected_route()->remote, first);
  p.net.run_for(milliseconds(10));
  EXPECT_EQ(p.b.selections.size(), 3u);
}

TEST(IceAgent, CredentialsAreRandomAndLongEnough) {
  IceAgent x, y;
  EXPECT_GE(x.local_credentials().ufrag.size(), 4u);
  EXPECT_GE(x.local_credentials().pwd.size(), 22u);
  EXPECT_NE(x.local_credentials().ufrag, y.local_credentials().ufrag);
  EXPECT_NE(x.local_credentials().pwd, y.local_credentials().pwd);
  EXPECT_NE(x.tie_breaker(), y.tie_breaker());
}

TEST(IceAgent, Nat1To1AdvertisedAddressConnectsWithoutPrflx) {
  // A server in a container behind a static NAT advertises the public
  // address; the peer's checks to it are translated to the inner base.
  IceConfig server;
  server.gather.nat_1to1_address = *IpAddress::parse("203.0.113.1");
  Network net;
  auto& a = net.add_peer("a", server);
  auto& b = net.add_peer("b");
  Network::link(a, b);
  a.agent.set_role(IceRole::Controlled);
  b.agent.set_role(IceRole::Controlling);
  net.nat[addr("172.17.0.2:3478")] = addr("203.0.113.1:3478");
  net.exchange_credentials(a, b);
  net.bind(a, addr("172.17.0.2:3478"));
  net.bind(b, addr("198.51.100.7:50000"));
  a.agent.end_of_local_addresses();
  b.agent.end_of_local_addresses();
  ASSERT_TRUE(net.run_until([&] { return both_connected(a, b); }, seconds(5)));
  ASSERT_EQ(a.gathered.size(), 1u);
  EXPECT_EQ(a.gathered[0].address.to_string(), "203.0.113.1:3478");
  EXPECT_EQ(b.agent.counters().local_prflx_learned, 0u);
  EXPECT_EQ(b.agent.selected_route()->remote.to_string(), "203.0.113.1:3478");
  EXPECT_EQ(a.agent.selected_route()->local.to_string(), "172.17.0.2:3478");
}

TEST(IceAgent, IPv6HostToHostAndNoCrossFamilyPairs) {
  Pair2 p;
  p.net.exchange_credentials(p.a, p.b);
  p.net.bind(p.a, addr("[2001:db8::1]:1000"));
  p.net.bind(p.a, addr("10.0.0.1:1000"));
  p.net.bind(p.b, addr("[2001:db8::2]:2000"));
  p.a.agent.end_of_local_addresses();
  p.b.agent.end_of_local_addresses();
  ASSERT_TRUE(p.connect());
  EXPECT_EQ(p.a.agent.selected_route()->remote.to_string(), "[2001:db8::2]:2000");
  for (const auto& pair : p.b.agent.check_list().pairs())
    EXPECT_EQ(pair.local.base.family(), pair.remote.address.family());
  p.expect_data_flows();
}

TEST(IceAgent, RandomGarbageNeverBreaksAnAgent) {
  Pair2 p;
  p.start();
  ASSERT_TRUE(p.connect());
  std::mt19937 rng(7);
  const auto to = addr("10.0.0.2:2000"), from = addr("10.0.0.1:1000");
  // Mutations of a real check (valid framing, broken fields) and raw noise.
  Bytes base;
  stun::MessageBuilder mb(base, stun::Class::Request, stun::method::Binding,
                          stun::random_transaction_id());
  mb.add_string(stun::attr::Username,
                p.b.agent.local_credentials().ufrag + ":" + p.a.agent.local_credentials().ufrag);
  mb.add_u32(stun::attr::Priority, 1);
  mb.add_u64(stun::attr::IceControlling, 1);
  mb.add_integrity(stun::short_term_key(p.b.agent.local_credentials().pwd));
  mb.add_fingerprint();
  for (int i = 0; i < 20000; ++i) {
    Bytes m = base;
    if (i % 2) {
      m.resize(rng() % 120);
      for (auto& x : m) x = static_cast<std::uint8_t>(rng());
      if (!m.empty()) m[0] &= 3;
    } else {
      for (int k = 0; k < 3; ++k) m[rng() % m.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    }
    p.net.inject(p.b, to, from, m);
  }
  EXPECT_TRUE(p.b.connected());
  p.net.run_for(seconds(1));
  p.expect_data_flows();
}

TEST(IceAgent, ServerReflexiveCandidateFromStunServerBehindNat) {
  // b is behind a NAT and asks Floe's own STUN Binding server for its
  // mapped address; the srflx candidate (raddr = its base) is trickled.
  IceConfig behind;
  const auto server_addr = addr("198.51.100.1:3478");
  behind.gather.stun_server = server_addr;
  Network net;
  auto& a = net.add_peer("a");
  auto& b = net.add_peer("b", behind);
  Network::link(a, b);
  a.agent.set_role(IceRole::Controlling);
  b.agent.set_role(IceRole::Controlled);
  stun::BindingServer server;
  const auto sock = server.add_socket({.local = server_addr});
  net.add_endpoint(server_addr, [&](const SocketAddress& from, const SocketAddress&,
                                    ByteView bytes) {
    server.handle_input(net.now(), sock, from, bytes);
    while (auto out = server.poll_output())
      net.route(server_addr, out->to, Bytes(out->data.begin(), out->data.end()));
  });
  net.nat[addr("192.168.1.2:3000")] = addr("203.0.113.2:4000");
  net.exchange_credentials(a, b);
  net.bind(a, addr("10.0.0.1:1000"));
  net.bind(b, addr("192.168.1.2:3000"));
  a.agent.end_of_local_addresses();
  b.agent.end_of_local_addresses();
  ASSERT_TRUE(net.run_until([&] { return both_connected(a, b); }, seconds(5)));
  net.run_for(seconds(1));
  ASSERT_EQ(b.gathered.size(), 2u);
  EXPECT_TRUE(b.gathering_complete);
  const auto& srflx = b.gathered[1];
  EXPECT_EQ(srflx.type, CandidateType::ServerReflexive);
  EXPECT_EQ(srflx.address.to_string(), "203.0.113.2:4000");
  ASSERT_TRUE(srflx.related);
  EXPECT_EQ(srflx.related->to_string(), "192.168.1.2:3000");
  EXPECT_NE(format_candidate(srflx).find("raddr 192.168.1.2 rport 3000"), std::string::npos);
  EXPECT_EQ(server.counters().binding_success, 1u);
  // a knows b at its srflx address, signalled or first learned as prflx.
  bool found = false;
  for (const auto& c : a.agent.remote_candidates())
    if (c.address == srflx.address) found = c.type == CandidateType::ServerReflexive;
  EXPECT_TRUE(found);
  EXPECT_EQ(a.agent.selected_route()->remote.to_string(), "203.0.113.2:4000");
}

TEST(IceAgent, RelayedCandidateExtensionPoint) {
  // A TURN client (later) hands in a relayed candidate whose base is the
  // relayed address; checks on it leave "from" that address for the TURN
  // client to wrap.
  Pair2 p;
  p.net.exchange_credentials(p.a, p.b);
  Candidate relay;
  relay.type = CandidateType::Relayed;
  relay.priority = compute_priority(CandidateType::Relayed, 65535, 1);
  relay.foundation = compute_foundation(CandidateType::Relayed, *IpAddress::parse("10.0.0.1"),
                                        *IpAddress::parse("198.51.100.9"));
  relay.address = addr("198.51.100.9:49152");
  relay.base = relay.address;
  relay.related = addr("10.0.0.1:1000");
  p.a.agent.add_relayed_candidate(relay);
  p.net.bind(p.b, addr("10.0.0.2:2000"));
  p.a.agent.end_of_local_addresses();
  p.b.agent.end_of_local_addresses();
  p.net.run_for(milliseconds(200));
  ASSERT_EQ(p.a.gathered.size(), 1u);
  EXPECT_NE(format_candidate(p.a.gathered[0]).find("typ relay raddr 10.0.0.1 rport 1000"),
            std::string::npos);
  ASSERT_EQ(p.a.agent.check_list().size(), 1u);
  EXPECT_EQ(p.a.agent.check_list().pairs()[0].route_local(), relay.address);
}

TEST(IceAgent, RoleConflictAndRestartUnderLoss) {
  const char* env = std::getenv("FLOE_ICE_SEEDS");
  const std::uint32_t seeds = env ? static_cast<std::uint32_t>(std::atoi(env)) : 8;
  for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
    Pair2 p(IceRole::Controlling, IceRole::Controlling, seed);
    p.net.loss = 0.2;
    p.net.jitter = milliseconds(60);
    p.start();
    ASSERT_TRUE(p.connect(seconds(120))) << "seed " << seed << "\n"
                                         << describe(p.a) << describe(p.b);
    EXPECT_NE(p.a.agent.role(), p.b.agent.role()) << "seed " << seed;
    p.a.agent.restart();
    p.b.agent.restart();
    p.net.exchange_credentials(p.a, p.b);
    ASSERT_TRUE(p.net.run_until(
        [&] { return p.a.selections.size() >= 2 && p.b.selections.size() >= 2; }, seconds(120)))
        << "restart, seed " << seed << "\n" << describe(p.a) << describe(p.b);
    p.net.loss = 0;
    p.net.jitter = Duration::zero();
    p.net.run_for(seconds(1));
    ASSERT_TRUE(both_connected(p.a, p.b)) << "seed " << seed;
    p.expect_data_flows();
  }
}
