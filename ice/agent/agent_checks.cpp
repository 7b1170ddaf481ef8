// The STUN side of the ICE agent: sending connectivity checks (§7.2.4),
// answering them (§7.3), processing responses (§7.2.5), consent (RFC 7675)
// and keepalives (§11).
#include <algorithm>

#include "ice/agent/agent.hpp"
#include "ice/stun/credentials.hpp"

namespace floe::ice {

namespace {

constexpr std::uint8_t kNominationAttempts = 3;

// §7.1.1: the PRIORITY attribute carries the priority the local candidate
// would have as peer-reflexive, with the same local preference.
std::uint32_t prflx_priority(const Candidate& local) {
  return compute_priority(CandidateType::PeerReflexive, (local.priority >> 8) & 0xffff,
                          local.component);
}

}  // namespace

void IceAgent::trigger(CandidatePair& pair) {
  if (!pair.valid) pair.state = PairState::Waiting;
  if (std::find(triggered_.begin(), triggered_.end(), pair.id) == triggered_.end()) {
    triggered_.push_back(pair.id);
    ++counters_.triggered_checks;
  }
}

void IceAgent::send_next_check(Instant now) {
  // §6.1.4.2: the triggered-check queue first, then the best Waiting pair,
  // then unfreeze one. One new check per Ta.
  CandidatePair* pair = nullptr;
  while (!pair && !triggered_.empty()) {
    pair = checks_.find(triggered_.front());
    triggered_.pop_front();
    // Succeeded meanwhile (an earlier check's answer came): nothing to learn
    // unless this check is to carry the nomination.
    if (pair && pair->state == PairState::Succeeded && !pair->nominating) pair = nullptr;
  }
  if (!pair) pair = checks_.best_waiting();
  if (!pair) pair = checks_.unfreeze_one();
  // Even when nothing could be sent (Frozen pairs wait on an In-Progress one
  // of their foundation), look again only one Ta later: no busy timer.
  next_check_at_ = now + cfg_.ta;
  if (pair) send_check(now, *pair);
}

void IceAgent::send_check(Instant now, CandidatePair& pair) {
  if (!remote_) return;
  const bool controlling = role_ == IceRole::Controlling;
  const bool use_candidate = controlling && pair.nominating;
  const auto priority = prflx_priority(pair.local);
  Bytes req;
  {
    stun::MessageBuilder b(req, stun::Class::Request, stun::method::Binding,
                           stun::random_transaction_id());
    // §7.2.2: USERNAME is "remote ufrag:local ufrag".
    std::string username = remote_->ufrag + ":" + local_.ufrag;
    b.add_string(stun::attr::Username, username);
    b.add_u32(stun::attr::Priority, priority);
    b.add_u64(controlling ? stun::attr::IceControlling : stun::attr::IceControlled, tie_breaker_);
    if (use_candidate) b.add_empty(stun::attr::UseCandidate);
    b.add_integrity(stun::short_term_key(remote_->pwd));
    b.add_fingerprint();
  }
  // §14.3: RTO = MAX(500 ms, N * Ta * (Num-Waiting + Num-In-Progress)),
  // N = 1 component, so every pair gets its first check before retransmits.
  auto txn_cfg = cfg_.check_transaction;
  std::size_t active = 0;
  for (const auto& p : checks_.pairs())
    if (p.state == PairState::Waiting || p.state == PairState::InProgress) ++active;
  txn_cfg.rto = std::max(txn_cfg.rto, cfg_.ta * static_cast<Duration::rep>(active));
  Txn t{Txn::Kind::Check, stun::ClientTransaction(now, std::move(req), txn_cfg)};
  t.pair_id = pair.id;
  t.serial = next_serial_++;
  t.local = pair.local.base;
  t.remote = pair.remote.address;
  t.pwd = remote_->pwd;
  t.use_candidate = use_candidate;
  t.sent_controlling = controlling;
  t.priority_sent = priority;
  pair.check_serial = t.serial;
  pair.last_check = now;
  if (!pair.valid) pair.state = PairState::InProgress;
  auto bytes = t.txn.poll_transmit();
  out_.push_back(Transmit{t.local, t.remote, Bytes(bytes.begin(), bytes.end())});
  txns_.push_back(std::move(t));
  ++counters_.checks_sent;
}

void IceAgent::process_transactions(Instant now) {
  for (auto& t : txns_) {
    t.txn.handle_timeout(now);
    auto bytes = t.txn.poll_transmit();
    if (!bytes.empty()) out_.push_back(Transmit{t.local, t.remote, Bytes(bytes.begin(), bytes.end())});
    if (t.txn.state() != stun::ClientTransaction::State::TimedOut || t.kind != Txn::Kind::Check)
      continue;
    auto* pair = checks_.find(t.pair_id);
    if (!pair || pair->check_serial != t.serial) continue;  // a newer check supersedes it
    if (t.use_candidate) {
      pair->nominating = false;
      // The pair did work a moment ago; a lossy path can eat a whole
      // transaction, so the nomination is retried before the pair is given
      // up and leaves the valid list.
      if (pair->valid && ++pair->nomination_attempts < kNominationAttempts) continue;
      pair->valid = false;
    }
    // §7.2.5.4: no response at all fails the pair.
    pair->state = PairState::Failed;
  }
  std::erase_if(txns_, [](const Txn& t) { return t.txn.done(); });
}

void IceAgent::send_consent(Instant now) {
  const auto& s = *selected_;
  Bytes req;
  {
    stun::MessageBuilder b(req, stun::Class::Request, stun::method::Binding,
                           stun::random_transaction_id());
    std::string username = s.remote_creds.ufrag + ":" + s.local_creds.ufrag;
    b.add_string(stun::attr::Username, username);
    b.add_u32(stun::attr::Priority, prflx_priority(s.local));
    const bool controlling = role_ == IceRole::Controlling;
    b.add_u64(controlling ? stun::attr::IceControlling : stun::attr::IceControlled, tie_breaker_);
    b.add_integrity(stun::short_term_key(s.remote_creds.pwd));
    b.add_fingerprint();
  }
  // RFC 7675 §5.1: a new transaction each time. It is retransmitted by the
  // RFC 8489 rules (0, 0.5, 1.5 s) so that a lossy path does not lose
  // consent by bad luck; answers count until the next request is due.
  stun::TransactionConfig consent_txn{.rto = milliseconds(500), .rc = 3, .rm = 8};
  Txn t{Txn::Kind::Consent, stun::ClientTransaction(now, std::move(req), consent_txn)};
  t.local = s.local.base;
  t.remote = s.remote.address;
  t.pwd = s.remote_creds.pwd;
  auto bytes = t.txn.poll_transmit();
  out_.push_back(Transmit{t.local, t.remote, Bytes(bytes.begin(), bytes.end())});
  txns_.push_back(std::move(t));
  consent_.on_sent(now);
  selected_->last_sent = now;
  ++counters_.consent_requests_sent;
}

void IceAgent::send_keepalive(Instant now) {
  // §11: a Binding indication, no integrity, FINGERPRINT for demultiplexing.
  Bytes ind;
  stun::MessageBuilder(ind, stun::Class::Indication, stun::method::Binding,
                       stun::random_transaction_id())
      .add_fingerprint();
  out_.push_back(Transmit{selected_->local.base, selected_->remote.address, std::move(ind)});
  selected_->last_sent = now;
  ++counters_.keepalives_sent;
}

void IceAgent::respond(const Datagram& d, const stun::Message& req, const std::string& pwd,
                       int error_code) {
  Bytes out;
  stun::MessageBuilder b(out, error_code ? stun::Class::Error : stun::Class::Success,
                         stun::method::Binding, req.transaction_id());
  if (error_code)
    b.add_error_code(error_code, stun::reason_phrase(error_code));
  else
    b.add_xor_address(stun::attr::XorMappedAddress, d.remote);  // §7.3.1.2
  b.add_integrity(stun::short_term_key(pwd));
  b.add_fingerprint();
  out_.push_back(Transmit{d.local, d.remote, std::move(out)});
}

bool IceAgent::resolve_role_conflict(const stun::Message& m) {
  // §7.3.1.1: the larger tie-breaker keeps (or takes) the controlling role.
  if (role_ == IceRole::Controlling) {
    auto theirs = m.u64(stun::attr::IceControlling);
    if (!theirs) return true;
    ++counters_.role_conflicts;
    if (tie_breaker_ >= *theirs) return false;
    switch_role(IceRole::Controlled);
    return true;
  }
  auto theirs = m.u64(stun::attr::IceControlled);
  if (!theirs) return true;
  ++counters_.role_conflicts;
  if (tie_breaker_ >= *theirs) {
    switch_role(IceRole::Controlling);
    return true;
  }
  return false;
}

void IceAgent::handle_request(Instant now, const Datagram& d, const stun::Message& m) {
  if (m.method() != stun::method::Binding) {
    ++counters_.unsupported_stun_method;
    return;
  }
  if (m.check_fingerprint() == stun::IntegrityResult::Mismatch) {
    ++counters_.bad_fingerprint;
    return;
  }
  auto username = m.string(stun::attr::Username);
  auto colon = username ? username->find(':') : std::string_view::npos;
  if (colon == std::string_view::npos) {
    ++counters_.malformed_stun;
    return;
  }
  // §7.3: the part before the colon is our ufrag. During a restart the old
  // one still answers (consent on the old pair).
  auto lfrag = username->substr(0, colon);
  const IceCredentials* creds = nullptr;
  if (lfrag == local_.ufrag) creds = &local_;
  else if (prev_local_ && lfrag == prev_local_->ufrag) creds = &*prev_local_;
  if (!creds) {
    ++counters_.unknown_ufrag;
    return;
  }
  if (m.check_integrity(stun::short_term_key(creds->pwd)) != stun::IntegrityResult::Ok) {
    ++counters_.bad_integrity;
    return;
  }
  auto priority = m.u32(stun::attr::Priority);
  if (!priority) {
    ++counters_.malformed_stun;
    return;
  }
  const std::string pwd = creds->pwd;
  const bool old_generation = creds != &local_;
  if (!resolve_role_conflict(m)) {
    respond(d, m, pwd, 487);
    return;
  }
  respond(d, m, pwd, 0);
  if (old_generation) return;

  const Candidate* local = local_by_base(d.local);
  if (!local) {
    ++counters_.unknown_local_address;
    return;
  }
  auto known = std::find_if(remote_candidates_.begin(), remote_candidates_.end(),
                            [&](const Candidate& c) { return c.address == d.remote; });
  if (known == remote_candidates_.end()) {
    if (remote_candidates_.size() >= cfg_.max_remote_candidates) {
      ++counters_.remote_candidates_over_limit;
      return;
    }
    // §7.3.1.3: learn a peer-reflexive remote candidate. Its foundation only
    // has to be unique among the remote ones.
    Candidate c;
    c.type = CandidateType::PeerReflexive;
    c.priority = *priority;
    c.foundation = "prflx" + std::to_string(++prflx_seq_);
    c.address = d.remote;
    c.base = d.remote;
    remote_candidates_.push_back(c);
    ++counters_.remote_prflx_learned;
    known = remote_candidates_.end() - 1;
  }
  auto* pair = checks_.find(d.local, d.remote);
  if (!pair) {
    // §7.3.1.4: a pair not (or no longer, §8.1.2) on the list is added
    // Waiting and gets a triggered check.
    add_pair(*local, *known);
    pair = checks_.find(d.local, d.remote);
  }
  if (!pair) return;
  const bool use_candidate = m.has(stun::attr::UseCandidate) && role_ == IceRole::Controlled;
  if (pair->state == PairState::Succeeded) {
    if (!use_candidate) return;
    // §7.3.1.5: USE-CANDIDATE on a valid pair nominates it. A later
    // nomination of another pair wins (Chrome re-nominates).
    auto* valid = checks_.find_valid(d.local, d.remote);
    if (!valid || !valid->valid) return;
    valid->nominated = true;
    valid->nominated_order = ++nomination_order_;
    select(now, *valid);
    return;
  }
  // §7.3.1.4 triggered check; with USE-CANDIDATE the pair is nominated once
  // our own check on it succeeds.
  if (use_candidate) pair->nominate_on_success = true;
  trigger(*pair);
}

void IceAgent::handle_response(Instant now, const Datagram& d, const stun::Message& m) {
  if (gatherer_.handle_response(now, d, m)) {
    drain_gatherer();
    return;
  }
  auto it = std::find_if(txns_.begin(), txns_.end(), [&](const Txn& t) {
    return t.txn.id() == m.transaction_id();
  });
  if (it == txns_.end()) {
    ++counters_.unknown_transaction;
    return;
  }
  if (m.check_fingerprint() == stun::IntegrityResult::Mismatch) {
    ++counters_.bad_fingerprint;
    return;
  }
  // A response that fails integrity is dropped without ending the
  // transaction, so a forged answer cannot fail a pair.
  if (m.check_integrity(stun::short_term_key(it->pwd)) != stun::IntegrityResult::Ok) {
    ++counters_.bad_integrity;
    return;
  }
  Txn t = std::move(*it);
  txns_.erase(it);
  t.txn.handle_response(now);
  auto* pair = t.kind == Txn::Kind::Check ? checks_.find(t.pair_id) : nullptr;
  // §7.2.5.2.1: the response must come back on the reverse path.
  if (d.remote != t.remote || d.local != t.local) {
    ++counters_.asymmetric_responses;
    if (pair) pair->state = PairState::Failed;
    return;
  }
  if (t.kind == Txn::Kind::Consent) {
    if (m.cls() != stun::Class::Success) return;
    ++counters_.consent_responses;
    if (selected_ && selected_->local.base == t.local && selected_->remote.address == t.remote)
      consent_.on_response(now);
    return;
  }
  if (!pair) return;  // pruned meanwhile
  if (m.cls() == stun::Class::Error) {
    auto err = m.error_code();
    if (err && err->code == 487) {
      // §7.2.5.1: take the role opposite to the one the request claimed,
      // then check the pair again.
      ++counters_.role_conflicts;
      switch_role(t.sent_controlling ? IceRole::Controlled : IceRole::Controlling);
      if (auto* p = checks_.find(t.pair_id)) trigger(*p);
      return;
    }
    ++counters_.error_responses;
    if (pair->check_serial == t.serial) pair->state = PairState::Failed;
    return;
  }
  on_check_success(now, t, m);
}

void IceAgent::on_check_success(Instant now, Txn& t, const stun::Message& m) {
  auto* pair = checks_.find(t.pair_id);
  auto mapped = m.xor_address(stun::attr::XorMappedAddress);
  if (!mapped) {
    ++counters_.malformed_stun;
    pair->state = PairState::Failed;
    return;
  }
  pair->state = PairState::Succeeded;
  const auto pair_id = pair->id;
  const auto foundation = pair->foundation;
  const auto remote = pair->remote;
  const auto base = pair->local.base;
  // §7.2.5.3.2: the valid pair's local candidate is the one whose address
  // is the mapped address; a new mapped address is a local prflx candidate.
  const bool known = std::any_of(local_candidates_.begin(), local_candidates_.end(),
                                 [&](const Candidate& c) {
                                   return c.address == *mapped && c.base == base;
                                 });
  std::uint32_t valid_id = pair_id;
  // Past the cap, a new mapped address validates the checked pair itself:
  // same route, and the peer cannot make the candidate list grow.
  if (known || local_candidates_.size() >= cfg_.max_remote_candidates) {
    pair->valid = true;
  } else {
    Candidate prflx;
    prflx.type = CandidateType::PeerReflexive;
    prflx.priority = t.priority_sent;
    prflx.foundation = compute_foundation(CandidateType::PeerReflexive, base.ip(), std::nullopt);
    prflx.address = *mapped;
    prflx.base = base;
    local_candidates_.push_back(prflx);
    ++counters_.local_prflx_learned;
    valid_id = checks_.add_valid(prflx, remote, role_ == IceRole::Controlling)->id;
  }
  // §7.2.5.3.3: the success unfreezes the pairs of the same foundation.
  checks_.unfreeze_foundation(foundation);
  if (!first_valid_at_) first_valid_at_ = now;

  auto* checked = checks_.find(pair_id);
  auto* valid = checks_.find(valid_id);
  const bool nominate = (t.use_candidate && role_ == IceRole::Controlling) ||
                        (checked->nominate_on_success && role_ == IceRole::Controlled);
  if (nominate) {
    checked->nominating = false;
    valid->nominated = true;
    valid->nominated_order = ++nomination_order_;
    select(now, *valid);
    return;
  }
  maybe_nominate(now);
}

}  // namespace floe::ice
