// Relayed candidates end to end, in memory on a virtual clock: two ICE
// agents, each with a RelayGlue whose TURN client talks to Floe's TURN
// server engine. When the direct paths are dropped (both hosts behind
// symmetric NATs, in effect) they connect relay to relay; when direct paths
// work, the host pair wins although relayed candidates exist (P2P first).
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>

#include "ice/agent/agent.hpp"
#include "ice/agent/relay_glue.hpp"
#include "ice/turn/turn_client.hpp"
#include "ice/turn/turn_server.hpp"
#include "turn_test_util.hpp"

namespace floe::ice {
namespace {

using turn::test::addr;

const SocketAddress kServer = addr("198.51.100.1:3478");

struct Side {
  std::string name;
  IceAgent agent;
  RelayGlue glue;
  SocketAddress host;      // host candidate base
  SocketAddress turn_src;  // the socket the allocation uses
  std::optional<SelectedPairChanged> selected;
  std::vector<Candidate> gathered;
  std::vector<Bytes> received;
  bool gathering_complete = false;
  Side* other = nullptr;
  Side(std::string n, IceConfig cfg, Duration deadline)
      : name(std::move(n)), agent(std::move(cfg)), glue(agent, deadline) {}
  bool connected() const {
    return agent.state() == IceState::Connected || agent.state() == IceState::Completed;
  }
};

class RelayNet {
 public:
  bool direct_ok = true;
  bool server_alive = true;
  Instant now = turn::test::t0();
  turn::test::FakeRelays relays;
  std::unique_ptr<turn::TurnServer> server;

  RelayNet() {
    turn::ServerConfig cfg;
    cfg.auth.users = {{"alice", "secret"}};
    const std::uint8_t key[] = {7};
    server = std::make_unique<turn::TurnServer>(cfg, relays, turn::WallClock{now, 1'700'000'000},
                                                key);
  }

  Side& add(const char* name, const char* host, const char* turn_src, bool relay_only = false,
            Duration deadline = seconds(5)) {
    IceConfig cfg;
    sides_.push_back(std::make_unique<Side>(name, cfg, deadline));
    Side& s = *sides_.back();
    s.host = addr(host);
    s.turn_src = addr(turn_src);
    if (!relay_only) s.agent.add_local_address(now, s.host);
    turn::ClientConfig tc;
    tc.server = kServer;
    tc.username = "alice";
    tc.password = "secret";
    s.glue.add_server(now, tc);
    s.glue.end_of_local_addresses(now);
    return s;
  }
  void link(Side& a, Side& b) {
    a.other = &b;
    b.other = &a;
    a.agent.set_role(IceRole::Controlling);
    b.agent.set_role(IceRole::Controlled);
    a.agent.set_remote_credentials(b.agent.local_credentials().ufrag, b.agent.local_credentials().pwd);
    b.agent.set_remote_credentials(a.agent.local_credentials().ufrag, a.agent.local_credentials().pwd);
  }

  bool run_until(const std::function<bool()>& pred, Duration limit) {
    const Instant end = now + limit;
    for (int spins = 0; spins < 1'000'000; ++spins) {
      pump();
      if (pred()) return true;
      Instant next = server->next_timeout();
      for (auto& s : sides_)
        next = std::min({next, s->agent.next_timeout(), s->glue.next_timeout()});
      if (next > end) {
        now = end;
        return pred();
      }
      // Datagrams take 5 ms; with nothing in flight, jump to the next timer.
      if (next > now) now = next;
      if (server->next_timeout() <= now) server->handle_timeout(now);
      for (auto& s : sides_) {
        if (s->glue.next_timeout() <= now) s->glue.handle_timeout(now);
        if (s->agent.next_timeout() <= now) s->agent.handle_timeout(now);
      }
    }
    return false;
  }

 private:
  Side* owner_of_host(const SocketAddress& a) {
    for (auto& s : sides_)
      if (s->host == a) return s.get();
    return nullptr;
  }
  Side* owner_of_turn_src(const SocketAddress& a) {
    for (auto& s : sides_)
      if (s->turn_src == a) return s.get();
    return nullptr;
  }

  // Delivers everything in flight, in order, until all engines are quiet.
  void pump() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      for (auto& up : sides_) {
        Side& s = *up;
        while (auto o = s.agent.poll_output()) {
          moved = true;
          if (auto* t = std::get_if<Transmit>(&*o)) {
            if (s.glue.route(now, *t)) continue;
            // Direct path: host to host (or to a relayed address).
            if (relays.open.count(t->remote)) {
              if (direct_ok) server->handle_relay(now, t->remote, t->local, t->bytes);
            } else if (Side* d = owner_of_host(t->remote); d && direct_ok) {
              auto r = d->agent.handle_input(now, Datagram{t->remote, t->local, t->bytes});
              if (r == InputResult::ApplicationData) d->received.emplace_back(t->bytes);
            }
          } else if (auto* c = std::get_if<LocalCandidate>(&*o)) {
            s.gathered.push_back(c->candidate);
            s.other->agent.add_remote_candidate(c->candidate);
          } else if (std::get_if<GatheringComplete>(&*o)) {
            s.gathering_complete = true;
            s.other->agent.end_of_remote_candidates();
          } else if (auto* sel = std::get_if<SelectedPairChanged>(&*o)) {
            s.selected = *sel;
            s.glue.on_selected(now, *sel);
          }
        }
        while (auto t = s.glue.poll_transmit()) {
          moved = true;
          Bytes copy(t->bytes.begin(), t->bytes.end());
          if (server_alive)
            server->handle_client(now, turn::FiveTuple{s.turn_src, kServer, turn::Transport::Udp},
                                  copy);
        }
      }
      while (const turn::ServerOutput* o = server->poll_output()) {
        moved = true;
        Bytes copy = o->data;
        if (o->kind == turn::ServerOutput::Kind::ToClient) {
          if (Side* s = owner_of_turn_src(o->tuple.client)) {
            auto in = s->glue.handle_server_input(now, 0, copy);
            if (in && in->result == InputResult::ApplicationData)
              s->received.emplace_back(in->data.begin(), in->data.end());
          }
          continue;
        }
        // From relay R to peer P: another relay on this server (hairpin
        // through the public internet), or a host only when direct paths work.
        const SocketAddress relay = o->relay, peer = o->peer;
        if (relays.open.count(peer)) {
          server->handle_relay(now, peer, relay, copy);
        } else if (Side* d = owner_of_host(peer); d && direct_ok) {
          d->agent.handle_input(now, Datagram{peer, relay, copy});
        }
      }
      if (!moved) return;
    }
  }

  std::vector<std::unique_ptr<Side>> sides_;
};

TEST(IceRelay, ConnectsOverTurnWhenNoDirectPathExists) {
  RelayNet net;
  net.direct_ok = false;
  Side& a = net.add("a", "10.0.0.1:5000", "10.0.0.1:6000");
  Side& b = net.add("b", "10.1.0.1:5000", "10.1.0.1:6000");
  net.link(a, b);
  ASSERT_TRUE(net.run_until([&] { return a.connected() && b.connected() && a.selected && b.selected; },
                            seconds(30)));
  EXPECT_EQ(a.selected->local.type, CandidateType::Relayed);
  EXPECT_EQ(a.selected->remote.type, CandidateType::Relayed);
  EXPECT_EQ(b.selected->local.type, CandidateType::Relayed);
  // The relayed candidate carries the mapped address as raddr (RFC 8839 §5.1).
  ASSERT_TRUE(a.selected->local.related.has_value());
  EXPECT_EQ(*a.selected->local.related, addr("10.0.0.1:6000"));

  // Application data both ways through the relay, then over the channel.
  ASSERT_TRUE(a.agent.send(net.now, as_bytes(std::string_view("hello b"))));
  net.run_until([&] { return !b.received.empty(); }, seconds(1));
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(std::string(as_chars(b.received[0])), "hello b");
  net.run_until([] { return false; }, seconds(2));
  EXPECT_GE(a.glue.counters().channels_bound, 1u);
  ASSERT_TRUE(b.agent.send(net.now, as_bytes(std::string_view("hello a"))));
  net.run_until([&] { return !a.received.empty(); }, seconds(1));
  ASSERT_EQ(a.received.size(), 1u);
  EXPECT_GE(a.glue.allocation(0).stats().received_channel_data, 1u);
  EXPECT_TRUE(a.connected());
}

TEST(IceRelay, DirectPathWinsOverRelayWhenItWorks) {
  RelayNet net;
  Side& a = net.add("a", "203.0.113.1:5000", "203.0.113.1:6000");
  Side& b = net.add("b", "203.0.113.2:5000", "203.0.113.2:6000");
  net.link(a, b);
  ASSERT_TRUE(net.run_until([&] { return a.connected() && b.connected() && a.selected && b.selected; },
                            seconds(30)));
  // Relayed candidates were gathered and signalled...
  auto has_relay = [](const std::vector<Candidate>& v) {
    return std::any_of(v.begin(), v.end(),
                       [](const Candidate& c) { return c.type == CandidateType::Relayed; });
  };
  EXPECT_TRUE(has_relay(a.gathered));
  EXPECT_TRUE(has_relay(b.gathered));
  // ...yet the host pair was selected: P2P first.
  net.run_until([] { return false; }, seconds(3));
  EXPECT_EQ(a.selected->local.type, CandidateType::Host);
  EXPECT_EQ(a.selected->remote.type, CandidateType::Host);
  EXPECT_EQ(b.selected->local.type, CandidateType::Host);
}

TEST(IceRelay, RelayOnlyPolicyUsesTheRelayEvenWhenDirectWorks) {
  RelayNet net;
  Side& a = net.add("a", "203.0.113.1:5000", "203.0.113.1:6000", /*relay_only=*/true);
  Side& b = net.add("b", "203.0.113.2:5000", "203.0.113.2:6000");
  net.link(a, b);
  ASSERT_TRUE(net.run_until([&] { return a.connected() && b.connected() && a.selected; },
                            seconds(30)));
  EXPECT_EQ(a.selected->local.type, CandidateType::Relayed);
  for (const auto& c : a.gathered) EXPECT_EQ(c.type, CandidateType::Relayed);
}

TEST(IceRelay, DeadTurnServerDoesNotHoldUpGathering) {
  RelayNet net;
  net.server_alive = false;
  Side& a = net.add("a", "203.0.113.1:5000", "203.0.113.1:6000", false, seconds(2));
  Side& b = net.add("b", "203.0.113.2:5000", "203.0.113.2:6000", false, seconds(2));
  net.link(a, b);
  const Instant start = net.now;
  ASSERT_TRUE(net.run_until([&] { return a.gathering_complete && b.gathering_complete; },
                            seconds(10)));
  EXPECT_LE(net.now - start, seconds(2) + milliseconds(1));
  EXPECT_EQ(a.glue.counters().gather_deadline_hit, 1u);
  ASSERT_TRUE(net.run_until([&] { return a.connected() && b.connected(); }, seconds(10)));
  EXPECT_EQ(a.selected->local.type, CandidateType::Host);
}

// A call that ends frees its relays at once (Refresh 0, RFC 8656 §8): the
// server's allocations, and the user's quota, do not wait for expiry.
TEST(IceRelay, CloseReleasesTheAllocations) {
  RelayNet net;
  net.direct_ok = false;
  Side& a = net.add("a", "10.0.0.1:5000", "10.0.0.1:6000");
  Side& b = net.add("b", "10.1.0.1:5000", "10.1.0.1:6000");
  net.link(a, b);
  ASSERT_TRUE(net.run_until([&] { return a.connected() && b.connected(); }, seconds(30)));
  EXPECT_EQ(net.server->allocation_count(), 2u);
  a.glue.close(net.now);
  net.run_until([&] { return net.server->allocation_count() == 1; }, seconds(1));
  EXPECT_EQ(net.server->allocation_count(), 1u);
  EXPECT_EQ(a.glue.allocation(0).state(), turn::ClientState::Closed);
  b.glue.close(net.now);
  net.run_until([&] { return net.server->allocation_count() == 0; }, seconds(1));
  EXPECT_EQ(net.server->allocation_count(), 0u);
  EXPECT_EQ(net.server->counters().allocations_deleted, 2u);
}

}  // namespace
}  // namespace floe::ice
