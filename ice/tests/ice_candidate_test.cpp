#include <gtest/gtest.h>

#include "ice/agent/agent.hpp"
#include "ice/agent/candidate.hpp"
#include "ice/agent/check_list.hpp"
#include "ice/agent/consent.hpp"
#include "ice/agent/gathering.hpp"

using namespace floe;
using namespace floe::ice;

TEST(IceCandidate, PriorityFormula) {
  // §5.1.2.1 with type preference 126, local preference 65535, component 1.
  EXPECT_EQ(compute_priority(CandidateType::Host, 65535, 1), 2130706431u);
  EXPECT_EQ(compute_priority(CandidateType::ServerReflexive, 65535, 1),
            (100u << 24) + (65535u << 8) + 255u);
  EXPECT_EQ(compute_priority(CandidateType::Relayed, 0, 2), 254u);
  EXPECT_GT(compute_priority(CandidateType::PeerReflexive, 1, 1),
            compute_priority(CandidateType::ServerReflexive, 65535, 1));
  auto v6 = *IpAddress::parse("2001:db8::1");
  auto v4 = *IpAddress::parse("192.0.2.1");
  EXPECT_GT(local_preference_for(v6, 3), local_preference_for(v4, 0));
  EXPECT_NE(local_preference_for(v4, 0), local_preference_for(v4, 1));
}

TEST(IceCandidate, FoundationSameForSameTypeBaseAndServer) {
  auto a = *IpAddress::parse("10.0.0.1");
  auto b = *IpAddress::parse("10.0.0.2");
  auto s = *IpAddress::parse("198.51.100.1");
  EXPECT_EQ(compute_foundation(CandidateType::Host, a, {}),
            compute_foundation(CandidateType::Host, a, {}));
  EXPECT_NE(compute_foundation(CandidateType::Host, a, {}),
            compute_foundation(CandidateType::Host, b, {}));
  EXPECT_NE(compute_foundation(CandidateType::Host, a, {}),
            compute_foundation(CandidateType::ServerReflexive, a, s));
  EXPECT_LE(compute_foundation(CandidateType::Relayed, a, s).size(), 32u);
}

TEST(IceCandidate, ParsesChromeHostAndFormatsBack) {
  auto c = parse_candidate(
      "a=candidate:842163049 1 udp 1677729535 198.51.100.7 61665 typ srflx raddr 10.0.0.5 "
      "rport 61665 generation 0 ufrag EEtu network-id 3 network-cost 10\r\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->foundation, "842163049");
  EXPECT_EQ(c->component, 1);
  EXPECT_EQ(c->priority, 1677729535u);
  EXPECT_EQ(c->type, CandidateType::ServerReflexive);
  EXPECT_EQ(c->address.to_string(), "198.51.100.7:61665");
  ASSERT_TRUE(c->related);
  EXPECT_EQ(c->related->to_string(), "10.0.0.5:61665");
  EXPECT_EQ(c->ufrag, "EEtu");
  EXPECT_EQ(format_candidate(*c),
            "candidate:842163049 1 udp 1677729535 198.51.100.7 61665 typ srflx raddr 10.0.0.5 "
            "rport 61665");
  auto again = parse_candidate(format_candidate(*c));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *c);
}

TEST(IceCandidate, IPv6AndRelayFormatting) {
  auto c = parse_candidate("candidate:1 1 UDP 16777215 2001:db8::5 3478 typ relay raddr "
                           "0.0.0.0 rport 0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->type, CandidateType::Relayed);
  EXPECT_TRUE(c->address.ip().is_v6());
  EXPECT_FALSE(c->related);  // 0.0.0.0 hides the base
  EXPECT_NE(format_candidate(*c).find("raddr 0.0.0.0 rport 0"), std::string::npos);
  Candidate host;
  host.foundation = "7";
  host.priority = 2130706431;
  host.address = *SocketAddress::parse("[2001:db8::9]:5000");
  EXPECT_EQ(format_candidate(host), "candidate:7 1 udp 2130706431 2001:db8::9 5000 typ host");
}

TEST(IceCandidate, MdnsHostnameRecognised) {
  auto c = parse_candidate(
      "candidate:1 1 udp 2113937151 4b6e3c3e-47d3-4a5b-9f5e-3d1c1e6f2a10.local 54321 typ host "
      "generation 0");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->is_mdns());
  EXPECT_EQ(c->address.port(), 54321);
  EXPECT_EQ(format_candidate(*c).substr(0, 60),
            std::string("candidate:1 1 udp 2113937151 4b6e3c3e-47d3-4a5b-9f5e-3d1c1e6f2a10.local")
                .substr(0, 60));
  // Firefox/Safari may hide the related address behind mDNS too.
  EXPECT_TRUE(parse_candidate("candidate:2 1 udp 1686052607 203.0.113.4 40000 typ srflx raddr "
                              "abcd.local rport 9"));
}

TEST(IceCandidate, RejectsWithReasons) {
  CandidateParseError e;
  EXPECT_FALSE(parse_candidate("candidate:1 1 tcp 1518280447 10.0.0.1 9 typ host tcptype active",
                               &e));
  EXPECT_EQ(e, CandidateParseError::UnsupportedTransport);
  EXPECT_FALSE(parse_candidate("candidate:1 1 udp 2122260223 fe80::1 5000 typ host", &e));
  EXPECT_EQ(e, CandidateParseError::LinkLocalNoZone);
  EXPECT_FALSE(parse_candidate("candidate:1 1 udp 2122260223 fe80::1%eth0 5000 typ host", &e));
  EXPECT_EQ(e, CandidateParseError::LinkLocalNoZone);
  const char* bad[] = {
      "",
      "candidate:",
      "candidate:1 1 udp 100 10.0.0.1 5000",
      "candidate:1 1 udp 100 10.0.0.1 5000 typ",
      "candidate:1 1 udp 100 10.0.0.1 5000 typ bogus",
      "candidate:1 0 udp 100 10.0.0.1 5000 typ host",
      "candidate:1 1 udp x 10.0.0.1 5000 typ host",
      "candidate:1 1 udp 100 10.0.0.1 70000 typ host",
      "candidate:1 1 udp 100 not-an-ip 5000 typ host",
      "candidate:1 1 udp 100 0.0.0.0 5000 typ host",
      "candidate:1 1 udp 100 10.0.0.1 5000 typ host raddr",
      "candidate:1 1 udp 100 10.0.0.1 5000 typ srflx raddr 1.2.3.4 rport x",
      "candidate:f!o 1 udp 100 10.0.0.1 5000 typ host",
      "candidate:1 1 udp 0 10.0.0.1 5000 typ host",
  };
  for (auto* s : bad) {
    EXPECT_FALSE(parse_candidate(s, &e)) << s;
    EXPECT_EQ(e, CandidateParseError::Malformed) << s;
  }
}

TEST(IceCheckList, PairPriorityFormula) {
  // §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0).
  EXPECT_EQ(pair_priority(10, 20), (10ull << 32) + 40);
  EXPECT_EQ(pair_priority(20, 10), (10ull << 32) + 41);
}

namespace {
Candidate cand(const char* a, CandidateType t, std::uint32_t prio, const char* foundation) {
  Candidate c;
  c.type = t;
  c.priority = prio;
  c.foundation = foundation;
  c.address = *SocketAddress::parse(a);
  c.base = c.address;
  return c;
}
}  // namespace

TEST(IceCheckList, SortsPrunesFreezesAndUnfreezes) {
  CheckList cl;
  auto l1 = cand("10.0.0.1:1", CandidateType::Host, 2000, "L1");
  auto r1 = cand("10.0.1.1:1", CandidateType::Host, 1000, "R1");
  auto r2 = cand("10.0.1.2:1", CandidateType::Host, 3000, "R1");  // same foundation
  EXPECT_EQ(cl.add(l1, r1, true), CheckList::AddResult::Added);
  EXPECT_EQ(cl.add(l1, r2, true), CheckList::AddResult::Added);
  ASSERT_EQ(cl.size(), 2u);
  EXPECT_EQ(cl.pairs()[0].remote.address, r2.address);  // higher priority first
  // The first pair of a foundation waits; the next one is frozen (§6.1.2.6).
  EXPECT_EQ(cl.find(l1.base, r1.address)->state, PairState::Waiting);
  EXPECT_EQ(cl.find(l1.base, r2.address)->state, PairState::Frozen);
  // A redundant pair: same base, same remote address (§6.1.2.4).
  auto srflx = cand("198.51.100.1:9", CandidateType::ServerReflexive, 1500, "S1");
  srflx.base = l1.base;
  EXPECT_EQ(cl.add(srflx, r1, true), CheckList::AddResult::Redundant);
  // Success unfreezes the foundation (§7.2.5.3.3).
  cl.find(l1.base, r1.address)->state = PairState::Succeeded;
  cl.unfreeze_foundation("L1:R1");
  EXPECT_EQ(cl.find(l1.base, r2.address)->state, PairState::Waiting);
  // Role switch re-ranks: G and D swap.
  auto before = cl.pairs()[0].priority;
  cl.set_controlling(false);
  EXPECT_NE(cl.pairs()[0].priority, before);
}

TEST(IceCheckList, LimitKeepsHighestPriority) {
  CheckList cl(2);
  auto l = cand("10.0.0.1:1", CandidateType::Host, 5000, "L");
  cl.add(l, cand("10.0.1.1:1", CandidateType::Host, 100, "A"), true);
  cl.add(l, cand("10.0.1.2:1", CandidateType::Host, 200, "B"), true);
  EXPECT_EQ(cl.add(l, cand("10.0.1.3:1", CandidateType::Host, 50, "C"), true),
            CheckList::AddResult::OverLimit);
  EXPECT_EQ(cl.add(l, cand("10.0.1.4:1", CandidateType::Host, 300, "D"), true),
            CheckList::AddResult::Added);
  EXPECT_EQ(cl.size(), 2u);
  EXPECT_EQ(cl.find(l.base, *SocketAddress::parse("10.0.1.1:1")), nullptr);
}

TEST(IceGathering, FiltersNat1To1AndSrflx) {
  GatherConfig cfg;
  cfg.exclude.push_back(*IpPrefix::parse("172.17.0.0/16"));
  cfg.nat_1to1_address = *IpAddress::parse("203.0.113.10");
  cfg.stun_server = *SocketAddress::parse("198.51.100.1:3478");
  Gatherer g(cfg);
  Instant t0{};
  EXPECT_EQ(g.add_host(t0, *SocketAddress::parse("172.17.0.2:5000")), HostAddressResult::Filtered);
  EXPECT_EQ(g.add_host(t0, *SocketAddress::parse("[fe80::1]:5000")), HostAddressResult::LinkLocal);
  EXPECT_EQ(g.add_host(t0, *SocketAddress::parse("10.0.0.2:5000")), HostAddressResult::Added);
  g.end_of_addresses();
  auto host = g.poll_candidate();
  ASSERT_TRUE(host);
  EXPECT_EQ(host->address.to_string(), "203.0.113.10:5000");  // advertised
  EXPECT_EQ(host->base.to_string(), "10.0.0.2:5000");
  EXPECT_FALSE(g.complete());  // the STUN query is outstanding
  auto tx = g.poll_transmit();
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->remote.to_string(), "198.51.100.1:3478");
  auto req = stun::Message::parse(tx->bytes);
  ASSERT_TRUE(req);
  Bytes resp;
  stun::MessageBuilder(resp, stun::Class::Success, stun::method::Binding, req->transaction_id())
      .add_xor_address(stun::attr::XorMappedAddress, *SocketAddress::parse("203.0.113.10:6000"));
  auto m = stun::Message::parse(resp);
  ASSERT_TRUE(g.handle_response(t0, Datagram{tx->local, tx->remote, resp}, *m));
  auto srflx = g.poll_candidate();
  ASSERT_TRUE(srflx);
  EXPECT_EQ(srflx->type, CandidateType::ServerReflexive);
  ASSERT_TRUE(srflx->related);
  EXPECT_EQ(srflx->related->to_string(), "10.0.0.2:5000");
  EXPECT_TRUE(g.complete());
}

TEST(IceGathering, DeadStunServerDoesNotHoldUpGathering) {
  GatherConfig cfg;
  cfg.include.push_back(*IpPrefix::parse("10.0.0.0/8"));
  cfg.stun_server = *SocketAddress::parse("198.51.100.1:3478");
  Gatherer g(cfg);
  Instant now{};
  EXPECT_EQ(g.add_host(now, *SocketAddress::parse("192.168.0.2:5000")),
            HostAddressResult::Filtered);
  g.add_host(now, *SocketAddress::parse("10.1.2.3:5000"));
  g.end_of_addresses();
  int sent = 0;
  while (!g.complete()) {
    while (g.poll_transmit()) ++sent;
    now = g.next_timeout();
    ASSERT_NE(now, kNever);
    g.handle_timeout(now);
  }
  EXPECT_EQ(sent, 3);
  EXPECT_LE(now - Instant{}, seconds(4));
  EXPECT_EQ(g.stun_failures(), 1u);
}

TEST(IceConsent, JitteredIntervalAndExpiry) {
  // RFC 7675 §5.1: sends every 0.8-1.2 x 5 s; no answer for 30 s: expired.
  ConsentFreshness c;
  Instant t0{};
  c.start(t0);
  Instant now = t0;
  Duration min = seconds(100), max{};
  for (int i = 0; i < 200; ++i) {
    const Instant due = c.next_timeout(now);
    const Duration gap = due - now;
    if (gap > Duration::zero() && gap <= seconds(6)) {
      min = std::min(min, gap);
      max = std::max(max, gap);
    }
    now = due;
    if (c.send_due(now)) {
      c.on_sent(now);
      c.on_response(now);  // answered at once: stays fresh
    }
  }
  EXPECT_GE(min, milliseconds(4000));
  EXPECT_LE(max, milliseconds(6000));
  EXPECT_GT(max - min, milliseconds(200));  // it does vary
  EXPECT_EQ(c.status(now), ConsentFreshness::Status::Fresh);
  const Instant last = c.last_response();
  EXPECT_EQ(c.status(last + seconds(11)), ConsentFreshness::Status::Stale);
  EXPECT_EQ(c.status(last + seconds(30)), ConsentFreshness::Status::Expired);
  EXPECT_EQ(c.next_timeout(last + seconds(11)) <= last + seconds(30), true);
}

TEST(IceCounters, ForEachNamesEveryCounter) {
  IceCounters c;
  c.bad_integrity = 3;
  std::size_t n = 0;
  std::uint64_t bad = 0;
  c.for_each([&](std::string_view name, std::uint64_t v) {
    ++n;
    if (name == "bad_integrity") bad = v;
  });
  EXPECT_EQ(n * sizeof(std::uint64_t), sizeof(IceCounters));
  EXPECT_EQ(bad, 3u);
}
