#pragma once
// A scripted network between two DTLS transports on a virtual clock: each
// datagram is dropped with probability `loss` and otherwise delivered after a
// random delay in [0, max_delay], so later datagrams can overtake earlier ones.
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <vector>

#include "dtls/transport.hpp"

namespace floe::dtls::test {

struct LinkParams {
  double loss = 0.0;
  Duration max_delay = milliseconds(0);
  Duration base_delay = milliseconds(5);
  unsigned seed = 1;
};

class VirtualLink {
 public:
  using Event = DtlsTransport::Output;
  // Called for every non-datagram output, with the side (0 = a, 1 = b).
  std::function<void(int, Event&)> on_event;

  VirtualLink(DtlsTransport& a, DtlsTransport& b, LinkParams p, Instant start)
      : ends_{&a, &b}, p_(p), rng_(p.seed), now_(start) {}

  Instant now() const { return now_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t dropped() const { return dropped_; }
  std::size_t largest_datagram() const { return largest_; }
  // Drops everything either side sends while true.
  bool blackhole = false;
  // Drops a datagram when it returns true (side that sent it, bytes).
  std::function<bool(int, const Bytes&)> drop_if;
  // Optional layer above DTLS (SCTP): its timer, its timeout handler, and a
  // pump that moves its output into the transports before each collect.
  std::function<Instant()> upper_next;
  std::function<void(Instant)> upper_timeout;
  std::function<void()> upper_pump;

  // Moves outputs into flight and advances to the next event; false when idle
  // or past `until`.
  bool step(Instant until) {
    collect();
    Instant next = kNever;
    if (!flight_.empty()) next = flight_.begin()->first;
    for (auto* e : ends_) next = std::min(next, e->next_timeout());
    if (upper_next) next = std::min(next, upper_next());
    if (next == kNever || next > until) return false;
    now_ = std::max(now_, next);
    while (!flight_.empty() && flight_.begin()->first <= now_) {
      auto node = flight_.extract(flight_.begin());
      ++delivered_;
      ends_[node.mapped().to]->handle_input(now_, node.mapped().data);
    }
    for (auto* e : ends_)
      if (e->next_timeout() <= now_) e->handle_timeout(now_);
    if (upper_next && upper_next() <= now_) upper_timeout(now_);
    collect();
    return true;
  }

  void run_until(Instant until, const std::function<bool()>& done) {
    while (!done() && step(until)) {
    }
  }

  void collect() {
    if (upper_pump) upper_pump();
    for (int side = 0; side < 2; ++side) {
      while (auto o = ends_[side]->poll_output()) {
        if (auto* t = std::get_if<DtlsTransport::Transmit>(&*o)) {
          send(side, std::move(t->data));
        } else if (on_event) {
          on_event(side, *o);
        }
      }
    }
  }

 private:
  struct InFlight {
    int to;
    Bytes data;
  };
  void send(int from, Bytes data) {
    largest_ = std::max(largest_, data.size());
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (blackhole || (drop_if && drop_if(from, data)) || u(rng_) < p_.loss) {
      ++dropped_;
      return;
    }
    auto jitter = std::chrono::duration_cast<Duration>(p_.max_delay * u(rng_));
    // Tie-break on a sequence so equal times keep a stable order.
    Instant at = now_ + p_.base_delay + jitter + Duration(seq_++ % 1000);
    flight_.emplace(at, InFlight{1 - from, std::move(data)});
  }

  DtlsTransport* ends_[2];
  LinkParams p_;
  std::mt19937 rng_;
  Instant now_;
  std::multimap<Instant, InFlight> flight_;
  std::uint64_t seq_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t dropped_ = 0;
  std::size_t largest_ = 0;
};

}  // namespace floe::dtls::test
