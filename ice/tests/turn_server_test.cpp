// TURN server engine (RFC 8656) on a virtual clock: authentication,
// allocation lifecycle, permissions, channels, peer policy and quotas.
#include <gtest/gtest.h>

#include <memory>

#include "ice/turn/channel_data.hpp"
#include "ice/turn/turn_server.hpp"
#include "turn_test_util.hpp"

namespace floe::turn::test {
namespace {

constexpr std::int64_t kUnix = 1'700'000'000;
const SocketAddress kPeer = addr("198.51.100.7:6000");

class TurnServerTest : public ::testing::Test {
 protected:
  TurnServerTest() {
    cfg.auth.realm = "floe";
    cfg.auth.users = {{"alice", "secret"}, {"bob", "pw"}};
    cfg.auth.rest_secret = "restsecret";
  }
  TurnServer& srv() {
    if (!server_) {
      const std::uint8_t key[4] = {1, 2, 3, 4};
      server_ = std::make_unique<TurnServer>(cfg, relays, WallClock{t0(), kUnix}, key);
    }
    return *server_;
  }
  static FiveTuple tuple(const char* client = "203.0.113.5:40000",
                         Transport tr = Transport::Udp) {
    return FiveTuple{addr(client), addr("192.0.2.1:3478"), tr};
  }
  // Sends one message and returns the single response to the client.
  Bytes exchange(const FiveTuple& t, const Bytes& req, Instant at) {
    srv().handle_client(at, t, req);
    Outputs o = drain(srv());
    EXPECT_EQ(o.to_client.size(), 1u);
    return o.to_client.empty() ? Bytes{} : o.to_client.front().data;
  }
  // The unauthenticated first Allocate: 401 with REALM and NONCE (§7.2, RFC 8489 §9.2.4).
  void challenge(ScriptedClient& c, const FiveTuple& t, Instant at) {
    c.with_auth = false;
    Bytes resp = exchange(t, c.request(stun::method::Allocate, ScriptedClient::udp), at);
    c.with_auth = true;
    auto m = stun::Message::parse(resp);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->cls(), stun::Class::Error);
    EXPECT_EQ(m->error_code()->code, 401);
    EXPECT_EQ(m->string(stun::attr::Realm), "floe");
    c.nonce = std::string(*m->string(stun::attr::Nonce));
  }
  Bytes allocate(ScriptedClient& c, const FiveTuple& t, Instant at,
                 const std::function<void(stun::MessageBuilder&)>& extra = {}) {
    if (c.nonce.empty()) challenge(c, t, at);
    return exchange(t, c.request(stun::method::Allocate, [&](stun::MessageBuilder& b) {
                      ScriptedClient::udp(b);
                      if (extra) extra(b);
                    }), at);
  }
  static int code_of(const Bytes& resp) {
    auto m = stun::Message::parse(resp);
    if (!m) return -1;
    if (m->cls() == stun::Class::Success) return 0;
    auto e = m->error_code();
    return e ? e->code : -2;
  }
  Bytes permission(ScriptedClient& c, const FiveTuple& t, Instant at, const SocketAddress& p) {
    return exchange(t, c.request(stun::method::CreatePermission, [&](stun::MessageBuilder& b) {
                      b.add_xor_address(stun::attr::XorPeerAddress, p);
                    }), at);
  }
  Bytes channel_bind(ScriptedClient& c, const FiveTuple& t, Instant at, std::uint16_t n,
                     const SocketAddress& p) {
    return exchange(t, c.request(stun::method::ChannelBind, [&](stun::MessageBuilder& b) {
                      b.add_u32(stun::attr::ChannelNumber, std::uint32_t{n} << 16);
                      b.add_xor_address(stun::attr::XorPeerAddress, p);
                    }), at);
  }
  Bytes refresh(ScriptedClient& c, const FiveTuple& t, Instant at, std::uint32_t lifetime) {
    return exchange(t, c.request(stun::method::Refresh, [&](stun::MessageBuilder& b) {
                      b.add_u32(stun::attr::Lifetime, lifetime);
                    }), at);
  }
  SocketAddress relay_of(const FiveTuple& t) { return srv().find_allocation(t)->relays.front(); }

  ServerConfig cfg;
  FakeRelays relays;
  std::unique_ptr<TurnServer> server_;
};

TEST_F(TurnServerTest, ChallengeThenAuthenticatedAllocate) {
  ScriptedClient c;
  const auto t = tuple();
  Bytes resp = allocate(c, t, t0());
  auto m = stun::Message::parse(resp);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->cls(), stun::Class::Success) << m->error_code()->code;
  EXPECT_EQ(m->check_integrity(stun::long_term_key("alice", "floe", "secret")),
            stun::IntegrityResult::Ok);
  EXPECT_EQ(m->xor_address(stun::attr::XorRelayedAddress)->ip().to_string(), "192.0.2.1");
  EXPECT_EQ(m->xor_address(stun::attr::XorMappedAddress), t.client);
  EXPECT_EQ(m->u32(stun::attr::Lifetime), 600u);
  EXPECT_EQ(srv().allocation_count(), 1u);
  EXPECT_EQ(srv().counters().auth_challenges, 1u);
}

TEST_F(TurnServerTest, RetransmittedAllocateGetsSameAnswerOtherwise437) {
  ScriptedClient c;
  const auto t = tuple();
  challenge(c, t, t0());
  const Bytes req = c.request(stun::method::Allocate, ScriptedClient::udp);
  const Bytes first = exchange(t, req, t0());
  ASSERT_EQ(code_of(first), 0);
  EXPECT_EQ(exchange(t, req, t0() + milliseconds(500)), first);  // §7.2 retransmission
  EXPECT_EQ(srv().allocation_count(), 1u);
  EXPECT_EQ(code_of(exchange(t, c.request(stun::method::Allocate, ScriptedClient::udp), t0())),
            437);
  srv().handle_client(t0(), t, Bytes());  // empty datagram: counted drop
  EXPECT_EQ(srv().counters().dropped_malformed, 1u);
}

TEST_F(TurnServerTest, RefreshLifetimeAndDelete) {
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  const SocketAddress relay = relay_of(t);
  auto m_bytes = refresh(c, t, t0(), 99999);
  EXPECT_EQ(stun::Message::parse(m_bytes)->u32(stun::attr::Lifetime), 3600u);  // capped
  m_bytes = refresh(c, t, t0(), 10);
  EXPECT_EQ(stun::Message::parse(m_bytes)->u32(stun::attr::Lifetime), 600u);  // default floor
  m_bytes = refresh(c, t, t0(), 0);
  EXPECT_EQ(stun::Message::parse(m_bytes)->u32(stun::attr::Lifetime), 0u);
  EXPECT_EQ(srv().allocation_count(), 0u);
  EXPECT_EQ(relays.open.count(relay), 0u);
  EXPECT_EQ(code_of(refresh(c, t, t0(), 600)), 437);
  EXPECT_EQ(srv().counters().allocations_deleted, 1u);
}

TEST_F(TurnServerTest, AllocationExpires) {
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  EXPECT_LE(srv().next_timeout(), t0() + seconds(1));
  srv().handle_timeout(t0() + seconds(599));
  EXPECT_EQ(srv().allocation_count(), 1u);
  srv().handle_timeout(t0() + seconds(601));
  EXPECT_EQ(srv().allocation_count(), 0u);
  EXPECT_EQ(srv().counters().allocations_expired, 1u);
  EXPECT_TRUE(relays.open.empty());
  EXPECT_EQ(srv().next_timeout(), kNever);
}

TEST_F(TurnServerTest, StaleNonceIs438ThenRetrySucceeds) {
  ScriptedClient c;
  const auto t = tuple();
  challenge(c, t, t0());
  const Instant later = t0() + seconds(601);  // nonce lifetime 600 s
  Bytes resp = exchange(t, c.request(stun::method::Allocate, ScriptedClient::udp), later);
  auto m = stun::Message::parse(resp);
  ASSERT_EQ(code_of(resp), 438);
  ASSERT_TRUE(m->string(stun::attr::Nonce));
  c.nonce = std::string(*m->string(stun::attr::Nonce));
  EXPECT_EQ(code_of(exchange(t, c.request(stun::method::Allocate, ScriptedClient::udp), later)), 0);
  EXPECT_EQ(srv().counters().stale_nonces, 1u);
}

TEST_F(TurnServerTest, ForgedNonceIsStale) {
  ScriptedClient c;
  const auto t = tuple();
  challenge(c, t, t0());
  c.nonce[31] = c.nonce[31] == '0' ? '1' : '0';
  EXPECT_EQ(code_of(exchange(t, c.request(stun::method::Allocate, ScriptedClient::udp), t0())), 438);
}

TEST_F(TurnServerTest, WrongPasswordAndUnknownUserAre401) {
  ScriptedClient c;
  const auto t = tuple();
  challenge(c, t, t0());
  c.password = "wrong";
  EXPECT_EQ(code_of(exchange(t, c.request(stun::method::Allocate, ScriptedClient::udp), t0())), 401);
  c.user = "mallory";
  EXPECT_EQ(code_of(exchange(t, c.request(stun::method::Allocate, ScriptedClient::udp), t0())), 401);
  EXPECT_EQ(srv().counters().auth_failures, 2u);
  EXPECT_EQ(srv().counters().errors_by_code[1], 3u);  // 401: challenge + two failures
  EXPECT_EQ(kErrorCodes[1], 401);
  EXPECT_EQ(srv().allocation_count(), 0u);
}

TEST_F(TurnServerTest, OtherUserOnExistingAllocationIs441) {
  ScriptedClient alice;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(alice, t, t0())), 0);
  ScriptedClient bob;
  bob.user = "bob";
  bob.password = "pw";
  bob.nonce = alice.nonce;
  EXPECT_EQ(code_of(refresh(bob, t, t0(), 600)), 441);
}

TEST_F(TurnServerTest, RestCredentialsAcceptedAndExpired) {
  ScriptedClient c;
  c.user = std::to_string(kUnix + 3600) + ":carol";
  c.password = rest_password("restsecret", c.user);
  EXPECT_EQ(code_of(allocate(c, tuple(), t0())), 0);

  ScriptedClient old;
  old.user = std::to_string(kUnix - 10) + ":carol";
  old.password = rest_password("restsecret", old.user);
  EXPECT_EQ(code_of(allocate(old, tuple("203.0.113.5:40001"), t0())), 401);
  EXPECT_EQ(srv().counters().rest_expired, 1u);

  // Valid now, expired an hour later by the wall clock the driver anchors.
  ScriptedClient soon;
  soon.user = std::to_string(kUnix + 60) + ":dave";
  soon.password = rest_password("restsecret", soon.user);
  const Instant later = t0() + seconds(120);
  EXPECT_EQ(code_of(allocate(soon, tuple("203.0.113.5:40002"), later)), 401);
}

TEST_F(TurnServerTest, SendAndDataIndicationsNeedPermission) {
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  const SocketAddress relay = relay_of(t);
  const std::uint8_t payload[] = {1, 2, 3, 4, 5};

  // No permission yet: the peer's datagram is dropped.
  srv().handle_relay(t0(), relay, kPeer, payload);
  EXPECT_TRUE(drain(srv()).to_client.empty());
  EXPECT_EQ(srv().counters().dropped_no_permission, 1u);

  ASSERT_EQ(code_of(permission(c, t, t0(), kPeer)), 0);
  srv().handle_relay(t0(), relay, kPeer, payload);
  Outputs o = drain(srv());
  ASSERT_EQ(o.to_client.size(), 1u);
  auto data = stun::Message::parse(o.to_client[0].data);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->cls(), stun::Class::Indication);
  EXPECT_EQ(data->method(), stun::method::Data);
  EXPECT_EQ(data->xor_address(stun::attr::XorPeerAddress), kPeer);
  EXPECT_EQ(data->find(stun::attr::Data)->value.size(), 5u);

  Bytes send;
  stun::MessageBuilder b(send, stun::Class::Indication, stun::method::Send,
                         stun::random_transaction_id());
  b.add_xor_address(stun::attr::XorPeerAddress, kPeer);
  b.add_empty(stun::attr::DontFragment);
  b.add(stun::attr::Data, payload);
  srv().handle_client(t0(), t, send);
  o = drain(srv());
  ASSERT_EQ(o.to_peer.size(), 1u);
  EXPECT_EQ(o.to_peer[0].relay, relay);
  EXPECT_EQ(o.to_peer[0].peer, kPeer);
  EXPECT_EQ(o.to_peer[0].data, Bytes(payload, payload + 5));

  // §9: the permission lapses after 300 s unless refreshed.
  ASSERT_EQ(code_of(refresh(c, t, t0() + seconds(200), 600)), 0);
  srv().handle_timeout(t0() + seconds(301));
  srv().handle_relay(t0() + seconds(301), relay, kPeer, payload);
  srv().handle_client(t0() + seconds(301), t, send);
  o = drain(srv());
  EXPECT_TRUE(o.to_client.empty());
  EXPECT_TRUE(o.to_peer.empty());
  EXPECT_EQ(srv().counters().dropped_no_permission, 3u);
}

TEST_F(TurnServerTest, ChannelBindRulesAndLifetime) {
  cfg.auth.nonce_lifetime = seconds(3600);
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  const SocketAddress relay = relay_of(t);
  const SocketAddress other = addr("198.51.100.8:7000");
  EXPECT_EQ(code_of(channel_bind(c, t, t0(), 0x3FFF, kPeer)), 400);
  EXPECT_EQ(code_of(channel_bind(c, t, t0(), 0x5000, kPeer)), 400);
  ASSERT_EQ(code_of(channel_bind(c, t, t0(), 0x4000, kPeer)), 0);
  EXPECT_EQ(code_of(channel_bind(c, t, t0(), 0x4000, kPeer)), 0);   // refresh is fine
  EXPECT_EQ(code_of(channel_bind(c, t, t0(), 0x4000, other)), 400); // number taken
  EXPECT_EQ(code_of(channel_bind(c, t, t0(), 0x4001, kPeer)), 400); // peer taken

  Bytes cd;
  const std::uint8_t payload[] = {9, 8, 7};
  write_channel_data(cd, 0x4000, payload, false);
  srv().handle_client(t0(), t, cd);
  Outputs o = drain(srv());
  ASSERT_EQ(o.to_peer.size(), 1u);
  EXPECT_EQ(o.to_peer[0].peer, kPeer);
  EXPECT_EQ(o.to_peer[0].data, Bytes(payload, payload + 3));

  srv().handle_relay(t0(), relay, kPeer, payload);
  o = drain(srv());
  ASSERT_EQ(o.to_client.size(), 1u);
  EXPECT_EQ(o.to_client[0].data.size(), 7u);  // UDP: no padding
  auto back = parse_channel_data(o.to_client[0].data);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->channel, 0x4000);

  // Keep allocation and permission alive, let the channel lapse at 600 s.
  for (int s = 250; s <= 750; s += 250) {
    ASSERT_EQ(code_of(refresh(c, t, t0() + seconds(s), 600)), 0);
    ASSERT_EQ(code_of(permission(c, t, t0() + seconds(s), kPeer)), 0);
  }
  const Instant after = t0() + seconds(760);
  srv().handle_timeout(after);
  srv().handle_client(after, t, cd);
  EXPECT_TRUE(drain(srv()).to_peer.empty());
  EXPECT_EQ(srv().counters().dropped_no_channel, 1u);
  srv().handle_relay(after, relay, kPeer, payload);
  o = drain(srv());
  ASSERT_EQ(o.to_client.size(), 1u);
  EXPECT_TRUE(stun::Message::looks_like_stun(o.to_client[0].data));  // Data indication again
  // §12.2: the number stays reserved for the old peer for 5 more minutes.
  EXPECT_EQ(code_of(channel_bind(c, t, after, 0x4000, other)), 400);
  ASSERT_EQ(code_of(refresh(c, t, t0() + seconds(900), 600)), 0);
  srv().handle_timeout(t0() + seconds(905));
  EXPECT_EQ(code_of(channel_bind(c, t, t0() + seconds(905), 0x4000, other)), 0);
}

TEST_F(TurnServerTest, Rfc5766ChannelRangeOnlyWhenAllowed) {
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  EXPECT_EQ(code_of(channel_bind(c, t, t0(), 0x6574, kPeer)), 400);
  cfg.limits.allow_rfc5766_channels = true;
  server_.reset();
  ScriptedClient c2;
  ASSERT_EQ(code_of(allocate(c2, t, t0())), 0);
  ASSERT_EQ(code_of(channel_bind(c2, t, t0(), 0x6574, kPeer)), 0);
  Bytes cd;
  write_channel_data(cd, 0x6574, Bytes{1}, false);
  srv().handle_client(t0(), t, cd);
  EXPECT_EQ(drain(srv()).to_peer.size(), 1u);
  EXPECT_EQ(code_of(channel_bind(c2, t, t0(), 0x8000, addr("198.51.100.9:1"))), 400);
}

TEST_F(TurnServerTest, DeniedPeersRefusedAndCounted) {
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("127.0.0.1:5000"))), 403);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("10.1.2.3:5000"))), 403);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("192.168.1.1:5000"))), 403);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("169.254.0.9:5000"))), 403);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("224.0.0.251:5000"))), 403);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("0.0.0.0:5000"))), 403);
  EXPECT_EQ(code_of(channel_bind(c, t, t0(), 0x4000, addr("172.16.0.1:5000"))), 403);
  const auto& d = srv().counters().denied_peers;
  EXPECT_EQ(d[static_cast<int>(PeerDenial::Loopback)], 1u);
  EXPECT_EQ(d[static_cast<int>(PeerDenial::Private)], 3u);
  EXPECT_EQ(d[static_cast<int>(PeerDenial::LinkLocal)], 1u);
  EXPECT_EQ(d[static_cast<int>(PeerDenial::Multicast)], 1u);
  EXPECT_EQ(d[static_cast<int>(PeerDenial::Unspecified)], 1u);
  // IPv4-mapped IPv6 loopback is judged as IPv4 (and mismatches the family first).
  EXPECT_EQ(check_peer(cfg.limits, *IpAddress::parse("::ffff:127.0.0.1")), PeerDenial::Loopback);
  EXPECT_EQ(check_peer(cfg.limits, *IpAddress::parse("fd00::1")), PeerDenial::Private);
  EXPECT_EQ(check_peer(cfg.limits, *IpAddress::parse("::1")), PeerDenial::Loopback);
}

TEST_F(TurnServerTest, AllowedByConfig) {
  cfg.limits.allow_loopback_peers = true;
  cfg.limits.allowed_peers.push_back(*IpRange::parse("10.9.0.0/16"));
  cfg.limits.denied_peers.push_back(*IpRange::parse("198.51.100.0/24"));
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("127.0.0.1:5000"))), 0);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("10.9.3.3:5000"))), 0);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("10.8.3.3:5000"))), 403);
  EXPECT_EQ(code_of(permission(c, t, t0(), kPeer)), 403);
  EXPECT_EQ(srv().counters().denied_peers[static_cast<int>(PeerDenial::Configured)], 1u);
}

// The gateway's embedded TURN: relays reach the gateway's own addresses
// (loopback and private included) and nothing else.
TEST(TurnLimits, AllowedPeersOnly) {
  Limits l;
  l.allowed_peers_only = true;
  l.allowed_peers.push_back(*IpRange::parse("127.0.0.1/32"));
  l.allowed_peers.push_back(*IpRange::parse("10.0.0.7/32"));
  EXPECT_EQ(check_peer(l, *IpAddress::parse("127.0.0.1")), PeerDenial::None);
  EXPECT_EQ(check_peer(l, *IpAddress::parse("10.0.0.7")), PeerDenial::None);
  EXPECT_EQ(check_peer(l, *IpAddress::parse("10.0.0.8")), PeerDenial::Configured);
  EXPECT_EQ(check_peer(l, *IpAddress::parse("198.51.100.1")), PeerDenial::Configured);
  EXPECT_EQ(check_peer(l, *IpAddress::parse("::1")), PeerDenial::Configured);
}

TEST_F(TurnServerTest, QuotasPerUserTotalAndPorts) {
  cfg.limits.max_allocations_per_user = 1;
  cfg.limits.max_allocations_total = 2;
  ScriptedClient a;
  ASSERT_EQ(code_of(allocate(a, tuple("203.0.113.5:1"), t0())), 0);
  EXPECT_EQ(code_of(allocate(a, tuple("203.0.113.5:2"), t0())), 486);
  ScriptedClient b;
  b.user = "bob";
  b.password = "pw";
  ASSERT_EQ(code_of(allocate(b, tuple("203.0.113.5:3"), t0())), 0);
  ScriptedClient r;
  r.user = std::to_string(kUnix + 99) + ":carol";
  r.password = rest_password("restsecret", r.user);
  EXPECT_EQ(code_of(allocate(r, tuple("203.0.113.5:4"), t0())), 508);
  EXPECT_EQ(srv().counters().quota_user, 1u);
  EXPECT_EQ(srv().counters().quota_total, 1u);
  // Freed quota is reusable.
  ASSERT_EQ(code_of(refresh(a, tuple("203.0.113.5:1"), t0(), 0)), 0);
  EXPECT_EQ(code_of(allocate(a, tuple("203.0.113.5:2"), t0())), 0);
}

TEST_F(TurnServerTest, PermissionAndChannelCapsAre508) {
  cfg.limits.max_permissions_per_allocation = 2;
  cfg.limits.max_channels_per_allocation = 1;
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  ASSERT_EQ(code_of(permission(c, t, t0(), addr("198.51.100.1:1"))), 0);
  ASSERT_EQ(code_of(permission(c, t, t0(), addr("198.51.100.2:1"))), 0);
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("198.51.100.2:9"))), 0);  // refresh
  EXPECT_EQ(code_of(permission(c, t, t0(), addr("198.51.100.3:1"))), 508);
  ASSERT_EQ(code_of(channel_bind(c, t, t0(), 0x4000, addr("198.51.100.1:1"))), 0);
  EXPECT_EQ(code_of(channel_bind(c, t, t0(), 0x4000, addr("198.51.100.1:1"))), 0);  // refresh
  EXPECT_EQ(code_of(channel_bind(c, t, t0(), 0x4001, addr("198.51.100.2:1"))), 508);
  // Once permissions lapse, room frees up.
  ASSERT_EQ(code_of(refresh(c, t, t0() + seconds(200), 600)), 0);
  EXPECT_EQ(code_of(permission(c, t, t0() + seconds(400), addr("198.51.100.3:1"))), 0);
}

TEST_F(TurnServerTest, RelayPortsExhaustedIs508) {
  relays.capacity = 1;
  ScriptedClient a;
  ASSERT_EQ(code_of(allocate(a, tuple("203.0.113.5:1"), t0())), 0);
  EXPECT_EQ(code_of(allocate(a, tuple("203.0.113.5:2"), t0())), 508);
  EXPECT_EQ(srv().counters().relay_unavailable, 1u);
}

TEST_F(TurnServerTest, TransportAndFamilyChecks) {
  ScriptedClient c;
  const auto t = tuple();
  challenge(c, t, t0());
  auto alloc_with = [&](const std::function<void(stun::MessageBuilder&)>& f) {
    return code_of(exchange(t, c.request(stun::method::Allocate, f), t0()));
  };
  EXPECT_EQ(alloc_with([](auto& b) { b.add_u32(stun::attr::RequestedTransport, 6u << 24); }), 442);
  EXPECT_EQ(alloc_with([](auto& b) { b.add_u32(stun::attr::Lifetime, 600); }), 400);
  EXPECT_EQ(alloc_with([](auto& b) {
              ScriptedClient::udp(b);
              b.add_u32(stun::attr::RequestedAddressFamily, 0x03u << 24);
            }), 440);
  EXPECT_EQ(alloc_with([](auto& b) {
              ScriptedClient::udp(b);
              b.add_u32(stun::attr::RequestedAddressFamily, 0x02u << 24);
              b.add_u32(stun::attr::AdditionalAddressFamily, 0x02u << 24);
            }), 400);
  EXPECT_EQ(alloc_with([](auto& b) {
              ScriptedClient::udp(b);
              b.add_u32(0x7ABC, 1);  // unknown comprehension-required
            }), 420);
  EXPECT_EQ(srv().allocation_count(), 0u);
  Bytes ok = exchange(t, c.request(stun::method::Allocate, [](auto& b) {
                        ScriptedClient::udp(b);
                        b.add_u32(stun::attr::RequestedAddressFamily, 0x02u << 24);
                        b.add_empty(stun::attr::DontFragment);
                      }), t0());
  ASSERT_EQ(code_of(ok), 0);
  EXPECT_TRUE(stun::Message::parse(ok)->xor_address(stun::attr::XorRelayedAddress)->ip().is_v6());
  // §10.2: an IPv4 peer on an IPv6-only allocation.
  EXPECT_EQ(code_of(permission(c, t, t0(), kPeer)), 443);
}

TEST_F(TurnServerTest, Ipv6UnsupportedIs440AndDualAllocation) {
  ScriptedClient c;
  Bytes dual = allocate(c, tuple("203.0.113.5:1"), t0(), [](auto& b) {
    b.add_u32(stun::attr::AdditionalAddressFamily, 0x02u << 24);
  });
  ASSERT_EQ(code_of(dual), 0);
  auto m = stun::Message::parse(dual);
  bool bad = false;
  auto relayed = xor_addresses(*m, stun::attr::XorRelayedAddress, &bad);
  ASSERT_EQ(relayed.size(), 2u);
  EXPECT_TRUE(relayed[0].ip().is_v4());
  EXPECT_TRUE(relayed[1].ip().is_v6());

  // The draft attribute number coturn's uclient -Z sends.
  Bytes draft = allocate(c, tuple("203.0.113.5:9"), t0(), [](auto& b) {
    b.add_u32(kAdditionalAddressFamilyDraft, 0x02u << 24);
  });
  ASSERT_EQ(code_of(draft), 0);
  EXPECT_EQ(xor_addresses(*stun::Message::parse(draft), stun::attr::XorRelayedAddress, &bad).size(),
            2u);

  relays.v6 = false;
  Bytes v6 = allocate(c, tuple("203.0.113.5:2"), t0(), [](auto& b) {
    b.add_u32(stun::attr::RequestedAddressFamily, 0x02u << 24);
  });
  EXPECT_EQ(code_of(v6), 440);
  Bytes partial = allocate(c, tuple("203.0.113.5:3"), t0(), [](auto& b) {
    b.add_u32(stun::attr::AdditionalAddressFamily, 0x02u << 24);
  });
  ASSERT_EQ(code_of(partial), 0);
  m = stun::Message::parse(partial);
  EXPECT_EQ(xor_addresses(*m, stun::attr::XorRelayedAddress, &bad).size(), 1u);
  const stun::Attribute* aec = m->find(stun::attr::AddressErrorCode);
  ASSERT_TRUE(aec);
  EXPECT_EQ(aec->value[0], kFamilyV6);
  EXPECT_EQ(aec->value[2] * 100 + aec->value[3], 440);
}

TEST_F(TurnServerTest, EvenPortReservationToken) {
  ScriptedClient c;
  relays.next_port = 50001;
  Bytes first = allocate(c, tuple("203.0.113.5:1"), t0(), [](auto& b) {
    const std::uint8_t r = 0x80;
    b.add(stun::attr::EvenPort, ByteView(&r, 1));
  });
  ASSERT_EQ(code_of(first), 0);
  auto m = stun::Message::parse(first);
  const auto relay = *m->xor_address(stun::attr::XorRelayedAddress);
  EXPECT_EQ(relay.port() % 2, 0);
  const stun::Attribute* tok = m->find(stun::attr::ReservationToken);
  ASSERT_TRUE(tok);
  const Bytes token(tok->value.begin(), tok->value.end());

  auto with_token = [&](const char* client, bool even) {
    return allocate(c, tuple(client), t0(), [&](auto& b) {
      b.add(stun::attr::ReservationToken, token);
      if (even) b.add(stun::attr::EvenPort, Bytes{0});
    });
  };
  EXPECT_EQ(code_of(with_token("203.0.113.5:2", true)), 400);
  Bytes second = with_token("203.0.113.5:3", false);
  ASSERT_EQ(code_of(second), 0);
  EXPECT_EQ(stun::Message::parse(second)->xor_address(stun::attr::XorRelayedAddress)->port(),
            relay.port() + 1);
  EXPECT_EQ(code_of(with_token("203.0.113.5:4", false)), 508);  // used up

  // An unused reservation is released after 30 s.
  Bytes third = allocate(c, tuple("203.0.113.5:5"), t0(), [](auto& b) {
    b.add(stun::attr::EvenPort, Bytes{0x80});
  });
  ASSERT_EQ(code_of(third), 0);
  const std::size_t open_before = relays.open.size();
  srv().handle_timeout(t0() + seconds(31));
  EXPECT_EQ(relays.open.size(), open_before - 1);
}

TEST_F(TurnServerTest, TcpChannelDataPaddedAndConnectionCloseDeletes) {
  ScriptedClient c;
  const auto t = tuple("203.0.113.5:40000", Transport::Tcp);
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  ASSERT_EQ(code_of(channel_bind(c, t, t0(), 0x4ABC, kPeer)), 0);
  const std::uint8_t payload[] = {1, 2, 3, 4, 5};
  srv().handle_relay(t0(), relay_of(t), kPeer, payload);
  Outputs o = drain(srv());
  ASSERT_EQ(o.to_client.size(), 1u);
  EXPECT_EQ(o.to_client[0].data.size(), 12u);  // 4 + 5 padded to 8
  EXPECT_EQ(o.to_client[0].tuple, t);
  srv().handle_connection_closed(t0(), t);
  EXPECT_EQ(srv().allocation_count(), 0u);
  EXPECT_TRUE(relays.open.empty());
}

TEST_F(TurnServerTest, MalformedChannelDataDropped) {
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  ASSERT_EQ(code_of(channel_bind(c, t, t0(), 0x4000, kPeer)), 0);
  const Bytes truncated = {0x40, 0x00, 0x00, 0x10, 1, 2};   // claims 16 bytes
  const Bytes reserved = {0x50, 0x00, 0x00, 0x01, 1};       // reserved number
  const Bytes unbound = {0x40, 0x01, 0x00, 0x01, 1};
  srv().handle_client(t0(), t, truncated);
  srv().handle_client(t0(), t, reserved);
  srv().handle_client(t0(), t, unbound);
  srv().handle_client(t0(), t, Bytes{0x40});
  EXPECT_TRUE(drain(srv()).to_peer.empty());
  EXPECT_EQ(srv().counters().dropped_malformed, 2u);
  EXPECT_EQ(srv().counters().dropped_no_channel, 2u);
}

TEST_F(TurnServerTest, BandwidthLimitDropsExcess) {
  cfg.limits.max_bytes_per_second = 1000;
  ScriptedClient c;
  const auto t = tuple();
  ASSERT_EQ(code_of(allocate(c, t, t0())), 0);
  ASSERT_EQ(code_of(channel_bind(c, t, t0(), 0x4000, kPeer)), 0);
  Bytes cd;
  write_channel_data(cd, 0x4000, Bytes(200, 0xAA), false);
  for (int i = 0; i < 10; ++i) srv().handle_client(t0(), t, cd);
  EXPECT_EQ(drain(srv()).to_peer.size(), 5u);
  EXPECT_EQ(srv().counters().dropped_bandwidth, 5u);
  // A second later the bucket has refilled.
  for (int i = 0; i < 5; ++i) srv().handle_client(t0() + seconds(1), t, cd);
  EXPECT_EQ(drain(srv()).to_peer.size(), 5u);
}

TEST_F(TurnServerTest, BindingRequestAnsweredWithoutAuth) {
  Bytes req;
  stun::MessageBuilder b(req, stun::Class::Request, stun::method::Binding,
                         stun::random_transaction_id());
  const auto t = tuple();
  Bytes resp = exchange(t, req, t0());
  auto m = stun::Message::parse(resp);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cls(), stun::Class::Success);
  EXPECT_EQ(m->mapped_address(), t.client);
}

}  // namespace
}  // namespace floe::turn::test
