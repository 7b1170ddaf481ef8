#include "ice/agent/agent.hpp"

#include <algorithm>

#include "base/random.hpp"

namespace floe::ice {

const char* to_string(IceRole r) {
  return r == IceRole::Controlling ? "controlling" : "controlled";
}

const char* to_string(IceState s) {
  switch (s) {
    case IceState::New: return "new";
    case IceState::Checking: return "checking";
    case IceState::Connected: return "connected";
    case IceState::Completed: return "completed";
    case IceState::Disconnected: return "disconnected";
    case IceState::Failed: return "failed";
    case IceState::Closed: return "closed";
  }
  return "?";
}

IceCredentials IceCredentials::random() {
  // 8 and 24 ice-chars: above the §5.3 minimums (4 and 22), 48 and 144 bits.
  return {random_ice_string(8), random_ice_string(24)};
}

IceAgent::IceAgent(IceConfig config)
    : cfg_(std::move(config)),
      tie_breaker_(random_u64()),
      local_(cfg_.local_credentials && cfg_.local_credentials->ufrag.size() >= 4 &&
                     cfg_.local_credentials->pwd.size() >= 22
                 ? *cfg_.local_credentials
                 : IceCredentials::random()),
      gatherer_(cfg_.gather),
      checks_(cfg_.max_pairs),
      consent_(cfg_.consent) {}

void IceAgent::set_role(IceRole role) {
  if (role != role_) switch_role(role);
}

void IceAgent::switch_role(IceRole role) {
  role_ = role;
  checks_.set_controlling(role == IceRole::Controlling);
  if (role == IceRole::Controlled)
    for (auto& p : checks_.pairs()) p.nominating = false;
}

void IceAgent::set_remote_credentials(std::string ufrag, std::string pwd) {
  if (remote_ && remote_->ufrag == ufrag && remote_->pwd == pwd) return;
  if (remote_) restart();  // §9: the peer restarted
  remote_ = IceCredentials{std::move(ufrag), std::move(pwd)};
  reevaluate_ = true;
}

HostAddressResult IceAgent::add_local_address(Instant now, const SocketAddress& base) {
  auto r = gatherer_.add_host(now, base);
  if (r == HostAddressResult::Filtered) ++counters_.local_addresses_filtered;
  if (r == HostAddressResult::LinkLocal) ++counters_.link_local_ignored;
  drain_gatherer();
  return r;
}

void IceAgent::add_relayed_candidate(const Candidate& relayed) {
  gatherer_.add_relayed(relayed);
  drain_gatherer();
}

void IceAgent::end_of_local_addresses() {
  reevaluate_ = true;
  gatherer_.end_of_addresses();
  drain_gatherer();
}

void IceAgent::drain_gatherer() {
  while (auto c = gatherer_.poll_candidate()) {
    local_candidates_.push_back(*c);
    out_.push_back(LocalCandidate{*c});
    pair_local(*c);
  }
  while (auto t = gatherer_.poll_transmit()) out_.push_back(std::move(*t));
  if (gatherer_.complete() && !local_end_emitted_) {
    local_end_emitted_ = true;
    out_.push_back(GatheringComplete{});
  }
}

void IceAgent::pair_local(const Candidate& local) {
  // §6.1.2.4: a srflx candidate pairs as its base, the host candidate, so
  // only host and relayed candidates form pairs.
  if (local.type != CandidateType::Host && local.type != CandidateType::Relayed) return;
  for (const auto& r : remote_candidates_) add_pair(local, r);
}

void IceAgent::pair_remote(const Candidate& remote) {
  for (const auto& l : local_candidates_)
    if (l.type == CandidateType::Host || l.type == CandidateType::Relayed) add_pair(l, remote);
}

void IceAgent::add_pair(const Candidate& local, const Candidate& remote) {
  if (local.base.family() != remote.address.family()) return;
  if (local.component != remote.component) return;
  switch (checks_.add(local, remote, role_ == IceRole::Controlling)) {
    case CheckList::AddResult::Added: break;
    case CheckList::AddResult::Redundant: ++counters_.pairs_redundant; break;
    case CheckList::AddResult::OverLimit: ++counters_.pairs_over_limit; break;
  }
}

RemoteCandidateResult IceAgent::add_remote_candidate(const Candidate& in) {
  using R = RemoteCandidateResult;
  if (state_ == IceState::Closed) return R::AfterEnd;
  if (!in.ufrag.empty() && remote_ && in.ufrag != remote_->ufrag) {
    // Signalled for the generation before (or after) an ICE restart.
    ++counters_.stale_generation_candidates;
    return R::StaleGeneration;
  }
  if (in.is_mdns()) {
    // No resolver here: the browser is learned as peer-reflexive when its
    // checks arrive (§7.3.1.3), which is what mDNS candidates are for.
    ++counters_.mdns_candidates_ignored;
    return R::IgnoredMdns;
  }
  if (in.address.ip().is_v6() && in.address.ip().is_link_local()) {
    ++counters_.link_local_ignored;
    return R::IgnoredLinkLocal;
  }
  if (in.component != 1) {
    ++counters_.unsupported_candidates;
    return R::Unsupported;
  }
  if (in.address.ip().is_unspecified() || in.address.port() == 0 || in.priority == 0) {
    ++counters_.malformed_candidates;
    return R::Malformed;
  }
  for (auto& r : remote_candidates_) {
    if (r.address != in.address) continue;
    // A signalled candidate for an address first seen as prflx keeps the
    // learned pair; only the type and foundation become the signalled ones.
    if (r.type == CandidateType::PeerReflexive) {
      r.type = in.type;
      r.foundation = in.foundation;
      r.related = in.related;
    }
    return R::Duplicate;
  }
  if (remote_candidates_.size() >= cfg_.max_remote_candidates) {
    ++counters_.remote_candidates_over_limit;
    return R::OverLimit;
  }
  Candidate c = in;
  c.base = c.address;
  reevaluate_ = true;
  remote_candidates_.push_back(c);
  pair_remote(c);
  return R::Added;
}

RemoteCandidateResult IceAgent::add_remote_candidate(std::string_view sdp) {
  CandidateParseError err;
  auto c = parse_candidate(sdp, &err);
  if (!c) {
    switch (err) {
      case CandidateParseError::LinkLocalNoZone:
        ++counters_.link_local_ignored;
        return RemoteCandidateResult::IgnoredLinkLocal;
      case CandidateParseError::UnsupportedTransport:
        ++counters_.unsupported_candidates;
        return RemoteCandidateResult::Unsupported;
      default:
        ++counters_.malformed_candidates;
        return RemoteCandidateResult::Malformed;
    }
  }
  return add_remote_candidate(*c);
}

void IceAgent::end_of_remote_candidates() {
  remote_end_ = true;
  reevaluate_ = true;
}

void IceAgent::restart() {
  if (state_ == IceState::Closed) return;
  if (selected_) prev_local_ = local_;  // the old pair keeps answering consent
  local_ = IceCredentials::random();
  remote_.reset();
  remote_candidates_.clear();
  checks_.clear();
  triggered_.clear();
  std::erase_if(txns_, [](const Txn& t) { return t.kind == Txn::Kind::Check; });
  std::erase_if(local_candidates_,
                [](const Candidate& c) { return c.type == CandidateType::PeerReflexive; });
  first_valid_at_.reset();
  remote_end_ = false;
  remote_end_at_.reset();
  // Trickle the same candidates again under the new credentials.
  for (const auto& c : local_candidates_) out_.push_back(LocalCandidate{c});
  if (gatherer_.complete()) out_.push_back(GatheringComplete{});
  if (!selected_) set_state(IceState::New);
}

void IceAgent::close() {
  set_state(IceState::Closed);
  txns_.clear();
  triggered_.clear();
  checks_.clear();
  selected_.reset();
  consent_.stop();
  gatherer_.reset();
}

InputResult IceAgent::handle_input(Instant now, const Datagram& d) {
  last_now_ = now;
  if (state_ == IceState::Closed) {
    ++counters_.data_after_failure;
    return InputResult::Dropped;
  }
  if (d.bytes.empty()) {
    ++counters_.malformed_stun;
    return InputResult::Dropped;
  }
  // RFC 7983 §7: first byte 0-3 is STUN; everything else is the caller's.
  if (d.bytes[0] < 4) {
    stun::ParseError err;
    auto m = stun::Message::parse(d.bytes, &err);
    if (!m) {
      ++counters_.malformed_stun;
      return InputResult::Dropped;
    }
    switch (m->cls()) {
      case stun::Class::Request: handle_request(now, d, *m); break;
      case stun::Class::Success:
      case stun::Class::Error: handle_response(now, d, *m); break;
      case stun::Class::Indication: ++counters_.indications_received; break;
    }
    update_state(now);
    return InputResult::Stun;
  }
  if (state_ == IceState::Failed) {
    ++counters_.data_after_failure;
    return InputResult::Dropped;
  }
  if (!(selected_ && selected_->local.base == d.local && selected_->remote.address == d.remote)) {
    auto* p = checks_.find_valid(d.local, d.remote);
    if (!p || !p->valid) {
      ++counters_.data_unvalidated;
      return InputResult::Dropped;
    }
    // Chrome may nominate several pairs; media shows which one it settled on.
    if (p->nominated && role_ == IceRole::Controlled) {
      p->nominated_order = ++nomination_order_;
      select(now, *p);
    }
  }
  if (cfg_.data_as_events)
    out_.push_back(ApplicationData{d.local, d.remote, Bytes(d.bytes.begin(), d.bytes.end())});
  return InputResult::ApplicationData;
}

void IceAgent::handle_timeout(Instant now) {
  last_now_ = now;
  reevaluate_ = false;
  if (state_ == IceState::Closed) return;
  gatherer_.handle_timeout(now);
  drain_gatherer();
  process_transactions(now);
  if (can_check() && now >= next_check_at_) send_next_check(now);
  maybe_nominate(now);
  if (selected_ && state_ != IceState::Failed) {
    if (consent_.send_due(now)) send_consent(now);
    if (now - selected_->last_sent >= cfg_.keepalive_interval) send_keepalive(now);
  }
  update_state(now);
}

std::optional<IceOutput> IceAgent::poll_output() {
  if (out_.empty()) return std::nullopt;
  auto o = std::move(out_.front());
  out_.pop_front();
  return o;
}

bool IceAgent::has_check_work() const {
  if (!triggered_.empty()) return true;
  for (const auto& p : checks_.pairs())
    if (p.state == PairState::Waiting || p.state == PairState::Frozen) return true;
  return false;
}

Instant IceAgent::next_timeout() const {
  if (state_ == IceState::Closed) return kNever;
  Instant t = gatherer_.next_timeout();
  if (reevaluate_) t = std::min(t, last_now_);
  for (const auto& x : txns_) t = std::min(t, x.txn.next_timeout());
  if (can_check() && has_check_work()) t = std::min(t, next_check_at_);
  if (selected_ && state_ != IceState::Failed) {
    t = std::min(t, consent_.next_timeout(last_now_));
    t = std::min(t, selected_->last_sent + cfg_.keepalive_interval);
  }
  if (role_ == IceRole::Controlling && first_valid_at_ && (!selected_ || prev_local_)) {
    auto at = *first_valid_at_ + cfg_.nomination_delay;
    if (at > last_now_) t = std::min(t, at);
  }
  if (remote_end_at_ && checks_.size() == 0 && !selected_ && state_ != IceState::Failed) {
    // Only while ahead: past it, Failed waits on gathering, not on time.
    auto at = *remote_end_at_ + cfg_.empty_check_list_grace;
    if (at > last_now_) t = std::min(t, at);
  }
  return t;
}

void IceAgent::maybe_nominate(Instant now) {
  if (role_ != IceRole::Controlling || !can_check()) return;
  for (const auto& p : checks_.pairs())
    if (p.nominating || p.nominated) return;
  auto* best = checks_.best_valid();
  if (!best) return;
  bool better_pending = false;
  for (const auto& p : checks_.pairs()) {
    if (p.priority <= best->priority) break;  // sorted by priority
    if (p.state != PairState::Failed && p.state != PairState::Succeeded) better_pending = true;
  }
  if (better_pending && first_valid_at_ && now < *first_valid_at_ + cfg_.nomination_delay)
    return;
  // §8.1.1 regular nomination: re-check the valid pair with USE-CANDIDATE.
  best->nominating = true;
  trigger(*best);
}

void IceAgent::select(Instant now, CandidatePair& pair) {
  const bool changed = !selected_ || prev_local_ || selected_->local.base != pair.local.base ||
                       selected_->remote.address != pair.remote.address;
  Selected s{pair.local, pair.remote, local_, remote_.value_or(IceCredentials{}), now};
  if (selected_ && !changed) s.last_sent = selected_->last_sent;
  selected_ = std::move(s);
  prev_local_.reset();
  if (changed) {
    out_.push_back(SelectedPairChanged{pair.local, pair.remote});
    consent_.start(now);
  }
  // §8.1.2: once a pair is nominated, unchecked pairs are no longer needed
  // (a later re-nomination recreates its pair from the incoming check).
  // `pair` is not used after this.
  checks_.drop_unchecked();
}

void IceAgent::set_state(IceState s) {
  if (s == state_) return;
  state_ = s;
  out_.push_back(StateChanged{s});
}

void IceAgent::update_state(Instant now) {
  if (state_ == IceState::Closed) return;
  if (remote_end_ && !remote_end_at_) remote_end_at_ = now;
  if (selected_) {
    switch (consent_.status(now)) {
      case ConsentFreshness::Status::Expired:
        // RFC 7675 §5.1: stop sending on the pair.
        selected_.reset();
        consent_.stop();
        set_state(IceState::Failed);
        return;
      case ConsentFreshness::Status::Stale: set_state(IceState::Disconnected); return;
      case ConsentFreshness::Status::Fresh: break;
    }
    bool done = remote_end_ && !prev_local_ && triggered_.empty() && !checks_.has_pending();
    set_state(done ? IceState::Completed : IceState::Connected);
    return;
  }
  if (can_check() && (checks_.has_pending() || !triggered_.empty())) {
    set_state(IceState::Checking);
    return;
  }
  if (state_ == IceState::Failed || !remote_end_ || !gatherer_.complete()) return;
  for (const auto& t : txns_)
    if (t.kind == Txn::Kind::Check) return;
  if (checks_.best_valid()) return;  // valid, waiting for the nomination
  if (checks_.size() > 0 || now >= *remote_end_at_ + cfg_.empty_check_list_grace)
    set_state(IceState::Failed);
}

bool IceAgent::send(Instant now, ByteView data) {
  if (!selected_ || state_ == IceState::Failed || state_ == IceState::Closed) return false;
  out_.push_back(Transmit{selected_->local.base, selected_->remote.address,
                          Bytes(data.begin(), data.end())});
  selected_->last_sent = now;
  return true;
}

std::optional<Route> IceAgent::selected_route() const {
  if (!selected_ || state_ == IceState::Failed || state_ == IceState::Closed) return std::nullopt;
  return Route{selected_->local.base, selected_->remote.address};
}

void IceAgent::note_sent(Instant now) {
  if (selected_) selected_->last_sent = now;
}

const Candidate* IceAgent::local_by_base(const SocketAddress& base) const {
  for (const auto& c : local_candidates_)
    if (c.base == base && (c.type == CandidateType::Host || c.type == CandidateType::Relayed))
      return &c;
  return nullptr;
}

}  // namespace floe::ice
