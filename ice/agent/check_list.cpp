#include "ice/agent/check_list.hpp"

#include <algorithm>

namespace floe::ice {

const char* to_string(PairState s) {
  switch (s) {
    case PairState::Frozen: return "frozen";
    case PairState::Waiting: return "waiting";
    case PairState::InProgress: return "in-progress";
    case PairState::Succeeded: return "succeeded";
    case PairState::Failed: return "failed";
  }
  return "?";
}

std::uint64_t pair_priority(std::uint32_t g, std::uint32_t d) {
  const std::uint64_t lo = std::min(g, d), hi = std::max(g, d);
  return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

std::uint64_t CheckList::priority_of(const Candidate& local, const Candidate& remote,
                                     bool controlling) const {
  return controlling ? pair_priority(local.priority, remote.priority)
                     : pair_priority(remote.priority, local.priority);
}

void CheckList::sort() {
  std::stable_sort(pairs_.begin(), pairs_.end(),
                   [](const CandidatePair& a, const CandidatePair& b) {
                     return a.priority > b.priority;
                   });
}

CandidatePair* CheckList::insert_sorted(CandidatePair p) {
  // Equal priorities keep arrival order, like the stable sort.
  auto at = std::upper_bound(pairs_.begin(), pairs_.end(), p.priority,
                             [](std::uint64_t prio, const CandidatePair& q) {
                               return prio > q.priority;
                             });
  return &*pairs_.insert(at, std::move(p));
}

CheckList::AddResult CheckList::add(const Candidate& local, const Candidate& remote,
                                    bool controlling, CandidatePair** out) {
  if (out) *out = nullptr;
  const auto prio = priority_of(local, remote, controlling);
  // §6.1.2.4: same local base and same remote address is redundant; the
  // higher-priority pair stays.
  for (auto& p : pairs_) {
    if (p.local.base == local.base && p.remote.address == remote.address) {
      if (out) *out = &p;
      return AddResult::Redundant;
    }
  }
  if (pairs_.size() >= max_pairs_) {
    // §6.1.2.5: keep the highest-priority pairs; only an unchecked pair of
    // lower priority can make room.
    auto& last = pairs_.back();
    if (last.priority >= prio ||
        (last.state != PairState::Frozen && last.state != PairState::Waiting))
      return AddResult::OverLimit;
    pairs_.pop_back();
  }
  CandidatePair p;
  p.id = next_id_++;
  p.local = local;
  p.remote = remote;
  p.foundation = local.foundation + ":" + remote.foundation;
  p.priority = prio;
  bool busy = std::any_of(pairs_.begin(), pairs_.end(), [&](const CandidatePair& q) {
    return q.foundation == p.foundation &&
           (q.state == PairState::Waiting || q.state == PairState::InProgress);
  });
  p.state = busy ? PairState::Frozen : PairState::Waiting;
  auto* placed = insert_sorted(std::move(p));
  if (out) *out = placed;
  return AddResult::Added;
}

CandidatePair* CheckList::add_valid(const Candidate& local, const Candidate& remote,
                                    bool controlling) {
  for (auto& p : pairs_)
    if (p.local.address == local.address && p.local.base == local.base &&
        p.remote.address == remote.address)
      return &p;
  CandidatePair p;
  p.id = next_id_++;
  p.local = local;
  p.remote = remote;
  p.foundation = local.foundation + ":" + remote.foundation;
  p.priority = priority_of(local, remote, controlling);
  p.state = PairState::Succeeded;
  p.valid = true;
  return insert_sorted(std::move(p));
}

CandidatePair* CheckList::find(std::uint32_t id) {
  for (auto& p : pairs_)
    if (p.id == id) return &p;
  return nullptr;
}

CandidatePair* CheckList::find(const SocketAddress& local_base, const SocketAddress& remote) {
  for (auto& p : pairs_)
    if (p.local.base == local_base && p.remote.address == remote) return &p;
  return nullptr;
}

CandidatePair* CheckList::find_valid(const SocketAddress& local_base,
                                     const SocketAddress& remote) {
  CandidatePair* any = nullptr;
  for (auto& p : pairs_) {
    if (p.local.base != local_base || p.remote.address != remote) continue;
    if (p.valid) return &p;
    if (!any) any = &p;
  }
  return any;
}

void CheckList::set_controlling(bool controlling) {
  for (auto& p : pairs_) p.priority = priority_of(p.local, p.remote, controlling);
  sort();
}

void CheckList::unfreeze_foundation(const std::string& foundation) {
  for (auto& p : pairs_)
    if (p.state == PairState::Frozen && p.foundation == foundation) p.state = PairState::Waiting;
}

CandidatePair* CheckList::unfreeze_one() {
  for (auto& p : pairs_) {
    if (p.state != PairState::Frozen) continue;
    bool busy = std::any_of(pairs_.begin(), pairs_.end(), [&](const CandidatePair& q) {
      return q.foundation == p.foundation &&
             (q.state == PairState::Waiting || q.state == PairState::InProgress);
    });
    if (!busy) {
      p.state = PairState::Waiting;
      return &p;
    }
  }
  return nullptr;
}

CandidatePair* CheckList::best_waiting() {
  for (auto& p : pairs_)
    if (p.state == PairState::Waiting) return &p;
  return nullptr;
}

CandidatePair* CheckList::best_valid() {
  for (auto& p : pairs_)
    if (p.valid) return &p;
  return nullptr;
}

bool CheckList::has_pending() const {
  return std::any_of(pairs_.begin(), pairs_.end(), [](const CandidatePair& p) {
    return p.state == PairState::Frozen || p.state == PairState::Waiting ||
           p.state == PairState::InProgress;
  });
}

bool CheckList::all_failed() const {
  return !pairs_.empty() && std::all_of(pairs_.begin(), pairs_.end(), [](const CandidatePair& p) {
    return p.state == PairState::Failed;
  });
}

void CheckList::drop_unchecked() {
  std::erase_if(pairs_, [](const CandidatePair& p) {
    return (p.state == PairState::Frozen || p.state == PairState::Waiting) && !p.valid;
  });
}

}  // namespace floe::ice
