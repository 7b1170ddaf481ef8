#pragma once
// Floe's ICE agent: RFC 8445 full agent with trickle (RFC 8838) and consent
// freshness (RFC 7675), as a sans-IO engine. One data stream, component 1
// (WebRTC with BUNDLE and rtcp-mux). The driver feeds datagrams and time in
// and sends what poll_output() yields.
//
// Application data: handle_input() returns InputResult::ApplicationData for a
// non-STUN datagram that came over a validated pair; the caller then hands
// the bytes it already holds to DTLS/SRTP, so nothing is copied per packet
// (IceConfig::data_as_events queues a copy as an event instead).
//
// Failed is only declared once both end_of_local_addresses() and
// end_of_remote_candidates() were called (trickle: more may come).
// send() queues a Transmit on the selected pair; selected_route() gives the
// addresses for a zero-copy send path.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/time.hpp"
#include "ice/agent/candidate.hpp"
#include "ice/agent/check_list.hpp"
#include "ice/agent/consent.hpp"
#include "ice/agent/gathering.hpp"
#include "ice/agent/io_types.hpp"
#include "ice/stun/message.hpp"
#include "ice/stun/transaction.hpp"

namespace floe::ice {

enum class IceRole : std::uint8_t { Controlling, Controlled };
enum class IceState : std::uint8_t {
  New, Checking, Connected, Completed, Disconnected, Failed, Closed
};
const char* to_string(IceRole r);
const char* to_string(IceState s);

struct IceCredentials {
  std::string ufrag;  // RFC 8445 §5.3: >= 4 ice-chars
  std::string pwd;    // >= 22 ice-chars
  static IceCredentials random();
};

struct IceConfig {
  Duration ta = milliseconds(50);  // §14.2 pacing of new checks
  // Connectivity check retransmissions (RFC 8489 rules); the RTO grows with
  // the number of active pairs as §14.3 asks, never below this one.
  stun::TransactionConfig check_transaction{.rto = milliseconds(500), .rc = 7, .rm = 16};
  std::size_t max_pairs = 100;  // §6.1.2.5
  // Signalled plus peer-reflexive remote candidates kept; bounds what an
  // authenticated but misbehaving peer can make us hold.
  std::size_t max_remote_candidates = 100;
  // Controlling: nominate the best valid pair at once when nothing of higher
  // priority is still being checked, else after this long (§8.1.1).
  Duration nomination_delay = milliseconds(250);
  // With an empty check list after end-of-candidates (e.g. only mDNS
  // candidates), wait this long for peer-reflexive discoveries before Failed.
  Duration empty_check_list_grace = seconds(10);
  Duration keepalive_interval = seconds(15);  // §11 Tr
  ConsentConfig consent;
  GatherConfig gather;
  // Fixed local credentials instead of random ones (tests, fuzzing, or a
  // signalling layer that picks them). Must satisfy the §5.3 lengths.
  std::optional<IceCredentials> local_credentials;
  // Also queue validated application data as ApplicationData events (one
  // copy per datagram). Off: the caller uses handle_input()'s result and
  // the bytes it already holds.
  bool data_as_events = false;
};

// Reasons for everything the agent ignored or dropped (DESIGN.md asks for
// counted drops). Exposed to the gateway's metrics.
struct IceCounters {
  std::uint64_t mdns_candidates_ignored = 0;
  std::uint64_t link_local_ignored = 0;
  std::uint64_t malformed_candidates = 0;
  std::uint64_t unsupported_candidates = 0;  // TCP, other components, family mismatch
  std::uint64_t stale_generation_candidates = 0;  // `ufrag` of another ICE generation
  std::uint64_t local_addresses_filtered = 0;
  std::uint64_t malformed_stun = 0;
  std::uint64_t bad_integrity = 0;
  std::uint64_t bad_fingerprint = 0;
  std::uint64_t unknown_ufrag = 0;
  std::uint64_t unknown_transaction = 0;
  std::uint64_t unknown_local_address = 0;
  std::uint64_t unsupported_stun_method = 0;
  std::uint64_t role_conflicts = 0;
  std::uint64_t asymmetric_responses = 0;
  std::uint64_t error_responses = 0;
  std::uint64_t data_unvalidated = 0;
  std::uint64_t data_after_failure = 0;
  std::uint64_t pairs_redundant = 0;
  std::uint64_t pairs_over_limit = 0;
  std::uint64_t remote_candidates_over_limit = 0;
  std::uint64_t remote_prflx_learned = 0;
  std::uint64_t local_prflx_learned = 0;
  std::uint64_t checks_sent = 0;
  std::uint64_t triggered_checks = 0;
  std::uint64_t consent_requests_sent = 0;
  std::uint64_t consent_responses = 0;
  std::uint64_t keepalives_sent = 0;
  std::uint64_t indications_received = 0;

  // Every counter with its name, for the metrics endpoint (Prometheus text
  // wants one line per counter; the gateway adds its own prefix and labels).
  template <typename F>
  void for_each(F&& f) const {
    f("mdns_candidates_ignored", mdns_candidates_ignored);
    f("link_local_ignored", link_local_ignored);
    f("malformed_candidates", malformed_candidates);
    f("unsupported_candidates", unsupported_candidates);
    f("stale_generation_candidates", stale_generation_candidates);
    f("local_addresses_filtered", local_addresses_filtered);
    f("malformed_stun", malformed_stun);
    f("bad_integrity", bad_integrity);
    f("bad_fingerprint", bad_fingerprint);
    f("unknown_ufrag", unknown_ufrag);
    f("unknown_transaction", unknown_transaction);
    f("unknown_local_address", unknown_local_address);
    f("unsupported_stun_method", unsupported_stun_method);
    f("role_conflicts", role_conflicts);
    f("asymmetric_responses", asymmetric_responses);
    f("error_responses", error_responses);
    f("data_unvalidated", data_unvalidated);
    f("data_after_failure", data_after_failure);
    f("pairs_redundant", pairs_redundant);
    f("pairs_over_limit", pairs_over_limit);
    f("remote_candidates_over_limit", remote_candidates_over_limit);
    f("remote_prflx_learned", remote_prflx_learned);
    f("local_prflx_learned", local_prflx_learned);
    f("checks_sent", checks_sent);
    f("triggered_checks", triggered_checks);
    f("consent_requests_sent", consent_requests_sent);
    f("consent_responses", consent_responses);
    f("keepalives_sent", keepalives_sent);
    f("indications_received", indications_received);
  }
};

struct LocalCandidate { Candidate candidate; };  // trickle it to the peer
struct GatheringComplete {};                      // send end-of-candidates
struct StateChanged { IceState state; };
struct SelectedPairChanged { Candidate local; Candidate remote; };
// Only with IceConfig::data_as_events: a copy of validated non-STUN input.
struct ApplicationData {
  SocketAddress local;
  SocketAddress remote;
  Bytes bytes;
};
using IceOutput = std::variant<Transmit, LocalCandidate, GatheringComplete, StateChanged,
                               SelectedPairChanged, ApplicationData>;

enum class InputResult : std::uint8_t {
  Stun,             // consumed by the agent
  ApplicationData,  // from a validated pair: pass the bytes up
  Dropped,          // counted in counters()
};

enum class RemoteCandidateResult : std::uint8_t {
  Added, Duplicate, IgnoredMdns, IgnoredLinkLocal, Unsupported, Malformed, AfterEnd, OverLimit,
  StaleGeneration
};

struct Route {
  SocketAddress local;
  SocketAddress remote;
};

class IceAgent {
 public:
  explicit IceAgent(IceConfig config = {});

  void set_role(IceRole role);
  IceRole role() const { return role_; }
  std::uint64_t tie_breaker() const { return tie_breaker_; }
  const IceCredentials& local_credentials() const { return local_; }
  // Remote credentials that differ from known ones mean the peer restarted
  // ICE (§9): the agent restarts too and gets new local credentials.
  void set_remote_credentials(std::string ufrag, std::string pwd);

  // Gathering: one call per local socket address (a candidate base).
  HostAddressResult add_local_address(Instant now, const SocketAddress& base);
  void add_relayed_candidate(const Candidate& relayed);  // TURN extension point
  void end_of_local_addresses();

  RemoteCandidateResult add_remote_candidate(const Candidate& c);
  RemoteCandidateResult add_remote_candidate(std::string_view sdp);
  void end_of_remote_candidates();

  // §9: new local credentials and a fresh check list; the selected pair
  // keeps carrying media (and consent) until a new pair is selected.
  void restart();
  void close();

  InputResult handle_input(Instant now, const Datagram& d);
  void handle_timeout(Instant now);
  std::optional<IceOutput> poll_output();
  // May lie in the past: then call handle_timeout() at once.
  Instant next_timeout() const;

  // Queues application data on the selected pair; false when there is none
  // or consent is lost.
  bool send(Instant now, ByteView data);
  std::optional<Route> selected_route() const;
  void note_sent(Instant now);  // a zero-copy send went out on selected_route()

  IceState state() const { return state_; }
  const IceCounters& counters() const { return counters_; }
  const CheckList& check_list() const { return checks_; }
  const std::vector<Candidate>& local_candidates() const { return local_candidates_; }
  const std::vector<Candidate>& remote_candidates() const { return remote_candidates_; }
  bool gathering_complete() const { return gatherer_.complete(); }

 private:
  struct Txn {
    enum class Kind : std::uint8_t { Check, Consent } kind;
    stun::ClientTransaction txn;
    std::uint32_t pair_id = 0;
    std::uint32_t serial = 0;
    SocketAddress local, remote;
    std::string pwd;  // the remote password it was protected with
    bool use_candidate = false;
    bool sent_controlling = false;
    std::uint32_t priority_sent = 0;
  };
  struct Selected {
    Candidate local, remote;
    IceCredentials local_creds, remote_creds;
    Instant last_sent{};
  };

  // agent.cpp
  void pair_local(const Candidate& local);
  void pair_remote(const Candidate& remote);
  void add_pair(const Candidate& local, const Candidate& remote);
  void drain_gatherer();
  void select(Instant now, CandidatePair& pair);
  void update_state(Instant now);
  void set_state(IceState s);
  bool can_check() const { return remote_.has_value() && state_ != IceState::Closed; }
  bool has_check_work() const;
  void maybe_nominate(Instant now);
  const Candidate* local_by_base(const SocketAddress& base) const;

  // agent_checks.cpp
  void send_next_check(Instant now);
  void send_check(Instant now, CandidatePair& pair);
  void send_consent(Instant now);
  void send_keepalive(Instant now);
  void handle_request(Instant now, const Datagram& d, const stun::Message& m);
  void handle_response(Instant now, const Datagram& d, const stun::Message& m);
  void on_check_success(Instant now, Txn& t, const stun::Message& m);
  void respond(const Datagram& d, const stun::Message& req, const std::string& pwd,
               int error_code);
  bool resolve_role_conflict(const stun::Message& m);
  void switch_role(IceRole role);
  void trigger(CandidatePair& pair);
  void process_transactions(Instant now);

  IceConfig cfg_;
  IceRole role_ = IceRole::Controlling;
  std::uint64_t tie_breaker_;
  IceCredentials local_;
  std::optional<IceCredentials> prev_local_;  // during a restart
  std::optional<IceCredentials> remote_;
  Gatherer gatherer_;
  std::vector<Candidate> local_candidates_;
  std::vector<Candidate> remote_candidates_;
  CheckList checks_;
  std::deque<std::uint32_t> triggered_;
  std::vector<Txn> txns_;
  std::deque<IceOutput> out_;
  std::optional<Selected> selected_;
  ConsentFreshness consent_;
  IceState state_ = IceState::New;
  Instant last_now_{};
  Instant next_check_at_{};
  std::optional<Instant> first_valid_at_;
  std::optional<Instant> remote_end_at_;
  bool remote_end_ = false;
  bool local_end_emitted_ = false;
  // An API call changed what the state depends on: next_timeout() asks for
  // one handle_timeout() so update_state() runs.
  bool reevaluate_ = false;
  std::uint32_t next_serial_ = 1;
  std::uint64_t nomination_order_ = 0;
  std::uint32_t prflx_seq_ = 0;
  IceCounters counters_;
};

}  // namespace floe::ice
