#include "ice/agent/relay_glue.hpp"

namespace floe::ice {

RelayGlue::RelayGlue(IceAgent& agent, Duration gather_deadline)
    : agent_(agent), deadline_(gather_deadline) {}

std::size_t RelayGlue::add_server(Instant now, turn::ClientConfig cfg) {
  if (deadline_at_ == kNever) deadline_at_ = now + deadline_;
  servers_.push_back(std::make_unique<turn::Allocation>(now, std::move(cfg)));
  resolved_.push_back(false);
  return servers_.size() - 1;
}

void RelayGlue::end_of_local_addresses(Instant now) {
  end_wanted_ = true;
  maybe_end(now);
}

bool RelayGlue::settled() const {
  if (deadline_passed_) return true;
  for (bool r : resolved_)
    if (!r) return false;
  return true;
}

void RelayGlue::maybe_end(Instant) {
  if (!end_wanted_ || end_sent_ || !settled()) return;
  end_sent_ = true;
  agent_.end_of_local_addresses();
}

turn::Allocation* RelayGlue::find(const SocketAddress& relayed) const {
  for (const auto& a : servers_)
    if (a->state() == turn::ClientState::Allocated && a->relayed_address() == relayed)
      return a.get();
  return nullptr;
}

void RelayGlue::drain_events(Instant now, std::size_t i) {
  auto& a = *servers_[i];
  while (auto e = a.poll_event()) {
    using K = turn::ClientEvent::Kind;
    if (e->kind == K::Allocated) {
      resolved_[i] = true;
      const auto relayed = a.relayed_address();
      // A relayed candidate found after end-of-candidates would not be
      // paired by the peer; the deadline already gave up on this server.
      if (!relayed || end_sent_) continue;
      Candidate c;
      c.type = CandidateType::Relayed;
      c.address = *relayed;
      c.base = *relayed;
      c.related = a.mapped_address();
      // §5.1.2.1: UDP to the server before TCP (TCP adds head-of-line
      // blocking), then the order the servers were configured in.
      const std::uint32_t pref =
          (a.config().transport == turn::Transport::Udp ? 65535u : 32767u) -
          static_cast<std::uint32_t>(i);
      c.priority = compute_priority(CandidateType::Relayed, pref, 1);
      c.foundation = compute_foundation(CandidateType::Relayed, relayed->ip(),
                                        a.config().server.ip());
      agent_.add_relayed_candidate(c);
    } else if (e->kind == K::AllocateFailed || e->kind == K::RefreshFailed) {
      resolved_[i] = true;
      ++counters_.allocations_failed;
    } else if (e->kind == K::ChannelBound) {
      ++counters_.channels_bound;
    }
  }
  maybe_end(now);
}

std::optional<RelayInput> RelayGlue::handle_server_input(Instant now, std::size_t i,
                                                         ByteView bytes) {
  if (i >= servers_.size()) return std::nullopt;
  auto& a = *servers_[i];
  auto r = a.handle_input(now, bytes);
  drain_events(now, i);
  if (!r) return std::nullopt;
  const auto relayed = a.relayed_address();
  if (!relayed) return std::nullopt;
  RelayInput in{InputResult::Dropped, *relayed, r->peer, r->data};
  in.result = agent_.handle_input(now, Datagram{*relayed, r->peer, r->data});
  return in;
}

bool RelayGlue::route(Instant now, const Transmit& t) {
  auto* a = find(t.local);
  if (!a) return false;
  ++counters_.relayed_transmits;
  // send_to installs the permission (§9) first and queues meanwhile; a
  // refusal is a lost datagram, which ICE retransmissions cover.
  if (!a->send_to(now, t.remote, t.bytes)) ++counters_.relayed_sends_refused;
  return true;
}

bool RelayGlue::send(Instant now, const Route& route, ByteView data) {
  auto* a = find(route.local);
  if (!a) return false;
  agent_.note_sent(now);
  if (a->send_to(now, route.remote, data)) return true;
  ++counters_.relayed_sends_refused;
  return false;
}

void RelayGlue::on_selected(Instant now, const SelectedPairChanged& s) {
  if (s.local.type != CandidateType::Relayed) return;
  auto* a = find(s.local.base);
  if (a && !a->channel_for(s.remote.address)) a->bind_channel(now, s.remote.address);
}

void RelayGlue::close(Instant now) {
  for (auto& a : servers_) a->close(now);
}

void RelayGlue::handle_timeout(Instant now) {
  if (!deadline_passed_ && now >= deadline_at_) {
    deadline_passed_ = true;
    for (bool r : resolved_)
      if (!r) {
        ++counters_.gather_deadline_hit;
        break;
      }
  }
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i]->next_timeout() <= now) servers_[i]->handle_timeout(now);
    drain_events(now, i);
  }
  maybe_end(now);
}

Instant RelayGlue::next_timeout() const {
  Instant next = deadline_passed_ || end_sent_ ? kNever : deadline_at_;
  for (const auto& a : servers_) next = std::min(next, a->next_timeout());
  return next;
}

std::optional<RelayServerTransmit> RelayGlue::poll_transmit() {
  for (std::size_t n = 0; n < servers_.size(); ++n) {
    const std::size_t i = (next_poll_ + n) % servers_.size();
    ByteView b = servers_[i]->poll_transmit();
    if (!b.empty()) {
      next_poll_ = i;
      return RelayServerTransmit{i, b};
    }
  }
  return std::nullopt;
}

}  // namespace floe::ice
