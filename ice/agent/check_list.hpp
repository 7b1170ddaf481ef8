#pragma once
// Candidate pairs and the check list, RFC 8445 §6.1.2. One check list per
// agent: WebRTC bundles everything into one data stream with one component
// (rtcp-mux), so the "checklist set" has a single member.
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "ice/agent/candidate.hpp"

namespace floe::ice {

enum class PairState : std::uint8_t { Frozen, Waiting, InProgress, Succeeded, Failed };
const char* to_string(PairState s);

// §6.1.2.3: G is the controlling agent's candidate priority, D the
// controlled agent's.
std::uint64_t pair_priority(std::uint32_t controlling, std::uint32_t controlled);

struct CandidatePair {
  std::uint32_t id = 0;  // stable while the pair lives; indexes move on sort
  Candidate local;       // sends from local.base
  Candidate remote;
  std::string foundation;  // local foundation + ":" + remote foundation
  std::uint64_t priority = 0;
  PairState state = PairState::Frozen;
  // §7.2.5.3.2: a pair in the valid list. A check may succeed yet produce a
  // different valid pair when the mapped address is new (local prflx).
  bool valid = false;
  bool nominated = false;
  // Controlled agent: a USE-CANDIDATE request arrived before this pair was
  // valid; nominate when our own check on it succeeds (§7.3.1.5).
  bool nominate_on_success = false;
  // Controlling agent: the next check on this pair carries USE-CANDIDATE.
  bool nominating = false;
  std::uint8_t nomination_attempts = 0;
  std::uint64_t nominated_order = 0;  // later nominations win (re-nomination)
  Instant last_check{};
  std::uint32_t check_serial = 0;  // the newest check transaction on this pair

  const SocketAddress& route_local() const { return local.base; }
  const SocketAddress& route_remote() const { return remote.address; }
};

class CheckList {
 public:
  explicit CheckList(std::size_t max_pairs = 100) : max_pairs_(max_pairs) {}

  enum class AddResult : std::uint8_t { Added, Redundant, OverLimit };
  // Forms a pair (§6.1.2.2), keeps the list sorted by priority, prunes
  // redundant pairs (§6.1.2.4) and enforces the pair limit. The state of a
  // new pair follows §6.1.2.6 adapted to trickle (RFC 8838 §10): Frozen when
  // a pair of the same foundation is already Waiting or In-Progress.
  AddResult add(const Candidate& local, const Candidate& remote, bool controlling,
                CandidatePair** out = nullptr);
  // Adds a pair straight into the valid list (local peer-reflexive, §7.2.5.3.2).
  CandidatePair* add_valid(const Candidate& local, const Candidate& remote, bool controlling);

  CandidatePair* find(std::uint32_t id);
  CandidatePair* find(const SocketAddress& local_base, const SocketAddress& remote);
  // Prefers a valid pair among several sharing a route.
  CandidatePair* find_valid(const SocketAddress& local_base, const SocketAddress& remote);

  // Role change (§7.2.5.1, §7.3.1.1): pair priorities swap G and D.
  void set_controlling(bool controlling);
  // §7.2.5.3.3: a success unfreezes the Frozen pairs of its foundation.
  void unfreeze_foundation(const std::string& foundation);
  // §6.1.4.2: with nothing Waiting, unfreeze the best Frozen pair whose
  // foundation has nothing Waiting or In-Progress. Returns it or nullptr.
  CandidatePair* unfreeze_one();
  CandidatePair* best_waiting();
  CandidatePair* best_valid();

  bool has_pending() const;  // any Frozen, Waiting or In-Progress pair
  bool all_failed() const;   // non-empty and every pair Failed
  // Removes Frozen and Waiting pairs after nomination (§8.1.2).
  void drop_unchecked();
  void clear() { pairs_.clear(); }

  std::vector<CandidatePair>& pairs() { return pairs_; }
  const std::vector<CandidatePair>& pairs() const { return pairs_; }
  std::size_t size() const { return pairs_.size(); }

 private:
  void sort();
  CandidatePair* insert_sorted(CandidatePair p);
  std::uint64_t priority_of(const Candidate& local, const Candidate& remote,
                            bool controlling) const;
  std::vector<CandidatePair> pairs_;
  std::size_t max_pairs_;
  std::uint32_t next_id_ = 1;
};

}  // namespace floe::ice
