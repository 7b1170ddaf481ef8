#pragma once
// A scripted network for agent-vs-agent tests: a virtual clock, delivery
// delay with jitter (so reordering), seeded loss, drop rules, a static NAT
// rewrite, and signalling (credentials, trickled candidates) with its own
// delay. Deterministic for a given seed.
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <vector>

#include "ice/agent/agent.hpp"

namespace floe::ice::testing {

struct Peer {
  std::string name;
  IceAgent agent;
  Peer* other = nullptr;
  bool auto_trickle = true;
  std::vector<IceState> states;
  std::vector<SelectedPairChanged> selections;
  std::vector<Bytes> received;  // application data
  std::vector<Candidate> gathered;
  bool gathering_complete = false;
  std::uint64_t transmits = 0;
  std::uint64_t data_events = 0;  // ApplicationData events (data_as_events)

  Peer(std::string n, IceConfig cfg) : name(std::move(n)), agent(std::move(cfg)) {}
  bool connected() const {
    auto s = agent.state();
    return s == IceState::Connected || s == IceState::Completed;
  }
};

class Network {
 public:
  explicit Network(std::uint32_t seed = 1) : rng_(seed) {}

  Instant now() const { return now_; }
  Duration delay = milliseconds(10);
  Duration jitter = Duration::zero();  // uniform extra delay: reorders
  double loss = 0.0;
  Duration signalling_delay = milliseconds(30);
  // Returns true to drop a datagram (from, to).
  std::function<bool(const SocketAddress&, const SocketAddress&)> drop;
  // Static NAT: inner address -> outer address as others see it.
  std::map<SocketAddress, SocketAddress> nat;
  // With port-restricted filtering (RFC 4787 "address and port-dependent
  // filtering"), an outer address only lets in datagrams from destinations
  // its inner address has sent to: ICE must punch holes from both sides.
  bool nat_port_restricted = false;
  std::uint64_t filtered = 0;
  std::uint64_t delivered = 0, lost = 0;
  bool stalled = false;
  std::uint64_t past_timers = 0;

  Peer& add_peer(std::string name, IceConfig cfg = {}) {
    peers_.push_back(std::make_unique<Peer>(std::move(name), std::move(cfg)));
    return *peers_.back();
  }
  // Binds `addr` to `peer` and gives it to the agent as a host address.
  void bind(Peer& p, const SocketAddress& addr) {
    owners_[addr] = &p;
    p.agent.add_local_address(now_, addr);
  }
  static void link(Peer& a, Peer& b) {
    a.other = &b;
    b.other = &a;
  }
  void exchange_credentials(Peer& a, Peer& b) {
    a.agent.set_remote_credentials(b.agent.local_credentials().ufrag,
                                   b.agent.local_credentials().pwd);
    b.agent.set_remote_credentials(a.agent.local_credentials().ufrag,
                                   a.agent.local_credentials().pwd);
  }
  void at(Instant t, std::function<void()> fn) { events_.push({t, seq_++, std::move(fn)}); }
  void after(Duration d, std::function<void()> fn) { at(now_ + d, std::move(fn)); }

  // Runs until `pred` holds or virtual time passes `limit`.
  bool run_until(const std::function<bool()>& pred, Duration limit) {
    const Instant end = now_ + limit;
    for (std::uint64_t spins = 0;; ++spins) {
      if (spins > 5'000'000) {
        stalled = true;  // an engine keeps asking for a timer it does not consume
        return false;
      }
      pump();
      if (pred()) return true;
      Instant next = events_.empty() ? kNever : events_.top().at;
      for (auto& p : peers_) next = std::min(next, p->agent.next_timeout());
      if (next > end) {
        now_ = end;
        return pred();
      }
      if (next > now_) now_ = next;
      while (!events_.empty() && events_.top().at <= now_) {
        auto fn = events_.top().fn;
        events_.pop();
        fn();
        pump();
      }
      for (auto& p : peers_) {
        if (p->agent.next_timeout() > now_) continue;
        p->agent.handle_timeout(now_);
        // Everything due was just done: a timer still not in the future
        // would make a real driver spin.
        if (p->agent.next_timeout() <= now_) ++past_timers;
      }
    }
  }
  void run_for(Duration d) {
    run_until([] { return false; }, d);
  }

  // Injects raw bytes as if `from` had sent them to `to`.
  InputResult inject(Peer& p, const SocketAddress& to, const SocketAddress& from, ByteView b) {
    return p.agent.handle_input(now_, Datagram{to, from, b});
  }

 private:
  struct Event {
    Instant at;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void pump() {
    for (auto& up : peers_) {
      Peer& p = *up;
      while (auto o = p.agent.poll_output()) {
        if (auto* t = std::get_if<Transmit>(&*o)) send(p, std::move(*t));
        else if (auto* c = std::get_if<LocalCandidate>(&*o)) {
          p.gathered.push_back(c->candidate);
          if (p.auto_trickle && p.other) {
            Peer* other = p.other;
            auto cand = c->candidate;
            after(signalling_delay, [other, cand] { other->agent.add_remote_candidate(cand); });
          }
        } else if (std::get_if<GatheringComplete>(&*o)) {
          p.gathering_complete = true;
          if (p.auto_trickle && p.other) {
            Peer* other = p.other;
            after(signalling_delay, [other] { other->agent.end_of_remote_candidates(); });
          }
        } else if (auto* s = std::get_if<StateChanged>(&*o)) {
          p.states.push_back(s->state);
        } else if (auto* sel = std::get_if<SelectedPairChanged>(&*o)) {
          p.selections.push_back(*sel);
        } else if (std::get_if<ApplicationData>(&*o)) {
          ++p.data_events;
        }
      }
    }
  }

  void send(Peer& from, Transmit t) {
    ++from.transmits;
    route(t.local, t.remote, std::move(t.bytes));
  }

 public:
  // Something that is not an agent (a STUN server...) at `at`: it gets the
  // datagrams sent there and answers with route().
  using Endpoint = std::function<void(const SocketAddress& from, const SocketAddress& to,
                                      ByteView bytes)>;
  void add_endpoint(const SocketAddress& at, Endpoint e) { endpoints_[at] = std::move(e); }

  // Sends a datagram from `src` (an inner address if NATed) to `dst`.
  void route(const SocketAddress& src_in, const SocketAddress& dst_in, Bytes bytes) {
    SocketAddress src = src_in;
    if (auto it = nat.find(src); it != nat.end()) {
      permissions_.insert({src_in, dst_in});
      src = it->second;
    }
    SocketAddress dst = dst_in;
    if (nat.count(dst)) return;  // inner addresses are not reachable from outside
    for (auto& [inner, outer] : nat) {
      if (outer != dst) continue;
      if (nat_port_restricted && !permissions_.count({inner, src})) {
        ++filtered;
        return;
      }
      dst = inner;
    }
    if (drop && drop(src, dst)) return;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (loss > 0 && u(rng_) < loss) {
      ++lost;
      return;
    }
    Duration d = delay;
    if (jitter > Duration::zero())
      d += Duration(static_cast<Duration::rep>(u(rng_) * static_cast<double>(jitter.count())));
    if (auto ep = endpoints_.find(dst); ep != endpoints_.end()) {
      auto shared = std::make_shared<Bytes>(std::move(bytes));
      Endpoint* e = &ep->second;
      after(d, [e, src, dst, shared] { (*e)(src, dst, *shared); });
      return;
    }
    auto owner = owners_.find(dst);
    if (owner == owners_.end()) return;  // nobody there
    Peer* to = owner->second;
    auto shared = std::make_shared<Bytes>(std::move(bytes));
    after(d, [this, to, dst, src, shared] {
      ++delivered;
      auto r = to->agent.handle_input(now_, Datagram{dst, src, *shared});
      if (r == InputResult::ApplicationData) to->received.push_back(*shared);
    });
  }

 private:

  std::mt19937 rng_;
  Instant now_{};
  std::uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::map<SocketAddress, Peer*> owners_;
  std::map<SocketAddress, Endpoint> endpoints_;
  std::set<std::pair<SocketAddress, SocketAddress>> permissions_;  // (inner, remote)
};

inline SocketAddress addr(const char* s) { return *SocketAddress::parse(s); }

}  // namespace floe::ice::testing
