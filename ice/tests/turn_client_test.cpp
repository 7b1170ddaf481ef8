// The TURN client engine against the TURN server engine, in memory, on a
// virtual clock: allocate (with the 401 challenge), permissions, channels,
// data both ways, refreshes over an hour, stale nonces, loss, TCP framing.
#include <gtest/gtest.h>

#include <memory>

#include "ice/turn/channel_data.hpp"
#include "ice/turn/turn_client.hpp"
#include "ice/turn/turn_server.hpp"
#include "turn_test_util.hpp"

namespace floe::turn::test {
namespace {

const SocketAddress kPeer = addr("198.51.100.7:6000");

class TurnClientTest : public ::testing::Test {
 protected:
  TurnClientTest() {
    cfg.auth.users = {{"alice", "secret"}};
    ccfg.server = addr("192.0.2.1:3478");
    ccfg.username = "alice";
    ccfg.password = "secret";
  }
  void make(Transport tr = Transport::Udp) {
    ccfg.transport = tr;
    const std::uint8_t key[] = {42};
    server = std::make_unique<TurnServer>(cfg, relays, WallClock{now, 1'700'000'000}, key);
    client = std::make_unique<Allocation>(now, ccfg);
    tuple = FiveTuple{addr("203.0.113.5:40000"), ccfg.server, tr};
  }
  // Moves everything in flight until quiet. Client->server packets are
  // dropped while drop_to_server > 0.
  void pump() {
    for (int round = 0; round < 50; ++round) {
      bool moved = false;
      while (true) {
        ByteView b = client->poll_transmit();
        if (b.empty()) break;
        moved = true;
        if (drop_to_server > 0) {
          --drop_to_server;
          continue;
        }
        if (is_stream(tuple.transport)) {
          to_server_stream.append(b);
          FrameKind k;
          bool invalid;
          for (ByteView f; !(f = to_server_stream.front(&k, &invalid)).empty();) {
            Bytes copy(f.begin(), f.end());
            to_server_stream.pop();
            server->handle_client(now, tuple, copy);
          }
          ASSERT_FALSE(invalid);
        } else {
          Bytes copy(b.begin(), b.end());
          server->handle_client(now, tuple, copy);
        }
      }
      while (const ServerOutput* o = server->poll_output()) {
        moved = true;
        if (o->kind == ServerOutput::Kind::ToPeer) {
          at_peer.push_back(*o);
          continue;
        }
        Bytes copy = o->data;
        if (is_stream(tuple.transport)) {
          EXPECT_EQ(copy.size() % 4, 0u);
        }
        if (auto r = client->handle_input(now, copy))
          received.push_back({r->peer, Bytes(r->data.begin(), r->data.end()), r->via_channel});
      }
      while (auto e = client->poll_event()) events.push_back(*e);
      if (!moved) return;
    }
  }
  void advance_to(Instant t) {
    while (now < t) {
      Instant next = std::min({client->next_timeout(), server->next_timeout(), t});
      now = std::max(next, now);
      client->handle_timeout(now);
      server->handle_timeout(now);
      pump();
      if (next == t) break;
    }
  }
  bool has_event(ClientEvent::Kind k) const {
    for (const auto& e : events)
      if (e.kind == k) return true;
    return false;
  }
  void allocate() {
    make();
    pump();
    ASSERT_TRUE(has_event(ClientEvent::Kind::Allocated));
  }
  void peer_sends(const Bytes& data) {
    server->handle_relay(now, *client->relayed_address(), kPeer, data);
    pump();
  }

  struct Got {
    SocketAddress peer;
    Bytes data;
    bool via_channel;
  };
  Instant now = t0();
  ServerConfig cfg;
  ClientConfig ccfg;
  FakeRelays relays;
  std::unique_ptr<TurnServer> server;
  std::unique_ptr<Allocation> client;
  FiveTuple tuple;
  StreamFramer to_server_stream;
  int drop_to_server = 0;
  std::vector<ServerOutput> at_peer;
  std::vector<Got> received;
  std::vector<ClientEvent> events;
};

TEST_F(TurnClientTest, AllocatesAfterChallenge) {
  allocate();
  EXPECT_EQ(client->state(), ClientState::Allocated);
  EXPECT_EQ(client->stats().retries_after_challenge, 1u);
  ASSERT_TRUE(client->relayed_address());
  EXPECT_EQ(*client->relayed_address(), server->find_allocation(tuple)->relays.front());
  EXPECT_EQ(client->mapped_address(), tuple.client);
}

TEST_F(TurnClientTest, SendIndicationBothWaysAfterImplicitPermission) {
  allocate();
  EXPECT_TRUE(client->send_to(now, kPeer, Bytes{1, 2, 3}));  // queued behind CreatePermission
  pump();
  EXPECT_TRUE(has_event(ClientEvent::Kind::PermissionCreated));
  ASSERT_EQ(at_peer.size(), 1u);
  EXPECT_EQ(at_peer[0].peer, kPeer);
  EXPECT_EQ(at_peer[0].data, (Bytes{1, 2, 3}));
  peer_sends(Bytes{4, 5});
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].peer, kPeer);
  EXPECT_EQ(received[0].data, (Bytes{4, 5}));
  EXPECT_FALSE(received[0].via_channel);
  EXPECT_EQ(client->stats().sent_indications, 1u);
}

TEST_F(TurnClientTest, ChannelCarriesDataBothWays) {
  allocate();
  ASSERT_TRUE(client->bind_channel(now, kPeer));
  pump();
  ASSERT_TRUE(has_event(ClientEvent::Kind::ChannelBound));
  EXPECT_EQ(client->channel_for(kPeer), 0x4000);
  EXPECT_TRUE(client->has_permission(kPeer.ip()));
  client->send_to(now, kPeer, Bytes{9, 9});
  pump();
  ASSERT_EQ(at_peer.size(), 1u);
  EXPECT_EQ(client->stats().sent_channel_data, 1u);
  peer_sends(Bytes{7});
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].via_channel);
  EXPECT_EQ(received[0].data, (Bytes{7}));
}

TEST_F(TurnClientTest, RefreshesKeepEverythingAliveForAnHour) {
  cfg.auth.nonce_lifetime = seconds(100);  // forces 438 on every refresh
  allocate();
  client->bind_channel(now, kPeer);
  client->create_permission(now, addr("198.51.100.9:1").ip());
  pump();
  advance_to(t0() + seconds(3600));
  EXPECT_EQ(client->state(), ClientState::Allocated);
  EXPECT_EQ(server->allocation_count(), 1u);
  EXPECT_GT(server->counters().stale_nonces, 5u);
  EXPECT_FALSE(has_event(ClientEvent::Kind::RefreshFailed));
  EXPECT_FALSE(has_event(ClientEvent::Kind::ChannelFailed));
  EXPECT_FALSE(has_event(ClientEvent::Kind::PermissionFailed));
  client->send_to(now, kPeer, Bytes{1});
  pump();
  ASSERT_EQ(at_peer.size(), 1u);
  peer_sends(Bytes{2});
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].via_channel);
  // Permission for the other peer is alive too.
  server->handle_relay(now, *client->relayed_address(), addr("198.51.100.9:1"), Bytes{3});
  pump();
  EXPECT_EQ(received.size(), 2u);
}

TEST_F(TurnClientTest, CloseDeletesAllocation) {
  allocate();
  client->close(now);
  pump();
  EXPECT_TRUE(has_event(ClientEvent::Kind::Closed));
  EXPECT_EQ(client->state(), ClientState::Closed);
  EXPECT_EQ(server->allocation_count(), 0u);
  EXPECT_TRUE(relays.open.empty());
}

TEST_F(TurnClientTest, WrongPasswordFailsWith401) {
  ccfg.password = "nope";
  make();
  pump();
  ASSERT_TRUE(has_event(ClientEvent::Kind::AllocateFailed));
  EXPECT_EQ(events.back().error_code, 401);
  EXPECT_EQ(client->state(), ClientState::Failed);
}

TEST_F(TurnClientTest, RetransmitsThroughLoss) {
  make();
  drop_to_server = 2;
  pump();
  advance_to(t0() + seconds(5));
  EXPECT_EQ(client->state(), ClientState::Allocated);
}

TEST_F(TurnClientTest, ServerUnreachableTimesOut) {
  make();
  drop_to_server = 1000;
  advance_to(t0() + seconds(60));
  ASSERT_TRUE(has_event(ClientEvent::Kind::AllocateFailed));
  EXPECT_EQ(events.back().error_code, 0);
}

TEST_F(TurnClientTest, DeniedPeerFailsPermissionAndDropsQueue) {
  allocate();
  const SocketAddress lan = addr("10.0.0.5:5000");
  EXPECT_TRUE(client->send_to(now, lan, Bytes{1}));
  pump();
  ASSERT_TRUE(has_event(ClientEvent::Kind::PermissionFailed));
  EXPECT_EQ(events.back().error_code, 403);
  EXPECT_TRUE(at_peer.empty());
}

TEST_F(TurnClientTest, TcpFramingWithPaddedChannelData) {
  make(Transport::Tcp);
  pump();
  ASSERT_TRUE(has_event(ClientEvent::Kind::Allocated));
  client->bind_channel(now, kPeer);
  pump();
  client->send_to(now, kPeer, Bytes{1, 2, 3, 4, 5});
  client->send_to(now, kPeer, Bytes{6});
  pump();
  ASSERT_EQ(at_peer.size(), 2u);
  EXPECT_EQ(at_peer[0].data, (Bytes{1, 2, 3, 4, 5}));
  EXPECT_EQ(at_peer[1].data, (Bytes{6}));
  peer_sends(Bytes{7, 7, 7});
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].data, (Bytes{7, 7, 7}));
}

TEST_F(TurnClientTest, Ipv6Relay) {
  ccfg.family = Family::V6;
  make();
  pump();
  ASSERT_TRUE(has_event(ClientEvent::Kind::Allocated));
  EXPECT_TRUE(client->relayed_address()->ip().is_v6());
}

}  // namespace
}  // namespace floe::turn::test
