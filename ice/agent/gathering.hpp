#pragma once
// Local candidate gathering, RFC 8445 §5.1.1: host candidates from the
// interface addresses the driver hands in (filtered, optionally advertised
// under a static NAT 1:1 address), server-reflexive ones from a STUN server
// (§5.1.1.2), and relayed candidates handed in by a TURN client later.
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "ice/agent/candidate.hpp"
#include "ice/agent/io_types.hpp"
#include "ice/stun/message.hpp"
#include "ice/stun/transaction.hpp"

namespace floe::ice {

// An address prefix for include/exclude filters: "10.0.0.0/8", "::1/128"
// or a bare address (full length).
struct IpPrefix {
  IpAddress address;
  unsigned length = 0;
  static std::optional<IpPrefix> parse(std::string_view text);
  bool contains(const IpAddress& ip) const;
};

struct GatherConfig {
  // When non-empty, only addresses inside one of these are used.
  std::vector<IpPrefix> include;
  std::vector<IpPrefix> exclude;
  // A server behind a static NAT: advertise this address in host
  // candidates instead of the interface address (the base stays local).
  std::optional<IpAddress> nat_1to1_address;
  // Also advertise the real interface address next to the NAT 1:1 one.
  bool nat_1to1_keep_host = false;
  std::optional<SocketAddress> stun_server;
  // A slow or dead STUN server must not hold up gathering (DESIGN.md):
  // three tries, given up after 3.5 s.
  stun::TransactionConfig stun_transaction{.rto = milliseconds(500), .rc = 3, .rm = 4};
};

enum class HostAddressResult : std::uint8_t { Added, Filtered, LinkLocal, Duplicate, Unusable };

class Gatherer {
 public:
  explicit Gatherer(GatherConfig config = {}) : cfg_(std::move(config)) {}

  // Adds the host candidate(s) of one local socket address; starts a srflx
  // query for it when a STUN server of the same family is configured.
  HostAddressResult add_host(Instant now, const SocketAddress& base);
  // The extension point for TURN: a relayed candidate whose base is the
  // relayed transport address (io_types.hpp explains the Transmit rule).
  void add_relayed(const Candidate& c);
  // No more interface addresses will come; gathering completes once the
  // STUN queries have answered or given up.
  void end_of_addresses() { addresses_done_ = true; }
  bool complete() const { return addresses_done_ && queries_.empty(); }
  // Forgets everything (ICE restart keeps candidates, so this is for close).
  void reset();

  // True when the response belonged to one of our STUN queries.
  bool handle_response(Instant now, const Datagram& d, const stun::Message& m);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  std::optional<Transmit> poll_transmit();
  std::optional<Candidate> poll_candidate();

  std::uint64_t filtered() const { return filtered_; }
  std::uint64_t stun_failures() const { return stun_failures_; }

 private:
  struct Query {
    SocketAddress base;
    std::uint32_t local_preference;
    stun::ClientTransaction txn;
  };
  bool allowed(const IpAddress& ip) const;

  GatherConfig cfg_;
  std::vector<SocketAddress> bases_;
  std::vector<Query> queries_;
  std::deque<Candidate> ready_;
  bool addresses_done_ = false;
  std::uint64_t filtered_ = 0;
  std::uint64_t stun_failures_ = 0;
};

}  // namespace floe::ice
