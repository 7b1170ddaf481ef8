#pragma once
// NAT behaviour discovery, RFC 5780 §4, as a sans-IO engine. It runs the
// mapping tests (§4.3), the filtering tests (§4.4) and the hairpinning test
// (§4.5) one after the other against a server that supports RFC 5780, using
// three local sockets the driver owns:
//   Mapping   - tests I, II and III of §4.3 (and the target of the hairpin);
//   Filtering - §4.4 from a fresh mapping, so the mapping tests' traffic to
//               the alternate address has not opened the NAT's filter;
//   Hairpin   - sends to the Mapping socket's server-reflexive address.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "base/address.hpp"
#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ice/stun/message.hpp"
#include "ice/stun/transaction.hpp"

namespace floe::stun {

enum class MappingBehavior : std::uint8_t {
  Unknown, EndpointIndependent, AddressDependent, AddressAndPortDependent
};
enum class FilteringBehavior : std::uint8_t {
  Unknown, EndpointIndependent, AddressDependent, AddressAndPortDependent
};
enum class Hairpinning : std::uint8_t { Unknown, Supported, NotSupported };

// RFC 4787 terms, as printed: "endpoint-independent" etc.
const char* to_string(MappingBehavior b);
const char* to_string(FilteringBehavior b);
const char* to_string(Hairpinning h);

enum class ProbeSocket : std::uint8_t { Mapping = 0, Filtering = 1, Hairpin = 2 };
inline constexpr std::size_t kProbeSockets = 3;

enum class ProbeError : std::uint8_t {
  None,
  NoResponse,        // test I got no answer: server down or UDP blocked
  ErrorResponse,     // test I got a STUN error response
  NoMappedAddress,   // a success response without (XOR-)MAPPED-ADDRESS
  NoOtherAddress,    // the server does not support RFC 5780
  BadOtherAddress,   // OTHER-ADDRESS unusable: same IP as the server, other family
};
const char* to_string(ProbeError e);

struct NatProbeConfig {
  SocketAddress server;  // the primary address
  // The local transport addresses of the three sockets as the driver knows
  // them; a wildcard IP leaves "behind a NAT" undecided.
  std::array<SocketAddress, kProbeSockets> local;
  // How long each test waits for its answer; filtering tests that expect
  // silence on a restrictive NAT take this long.
  Duration test_timeout = milliseconds(2000);
  TransactionConfig transaction{milliseconds(100), 7, 16, false, milliseconds(39500)};
  bool hairpinning = true;
  std::string software = "floe";
};

struct NatProbeResult {
  ProbeError error = ProbeError::None;
  int error_code = 0;  // with ErrorResponse
  std::optional<SocketAddress> mapped;          // server-reflexive address, test I
  std::optional<SocketAddress> response_origin;
  std::optional<SocketAddress> other_address;
  std::optional<bool> behind_nat;               // mapped != local
  // XOR-MAPPED-ADDRESS from mapping tests I, II, III (empty if not run/answered).
  std::array<std::optional<SocketAddress>, 3> mapping_tests;
  // Whether filtering tests I, II, III were answered (nullopt if not run).
  std::array<std::optional<bool>, 3> filtering_tests;
  MappingBehavior mapping = MappingBehavior::Unknown;
  FilteringBehavior filtering = FilteringBehavior::Unknown;
  Hairpinning hairpinning = Hairpinning::Unknown;
  std::uint64_t ignored = 0;  // stray or stale datagrams
};

struct ProbeTransmit {
  ProbeSocket socket;
  SocketAddress to;
  ByteView data;  // valid until the next call into the engine
};

class NatProbe {
 public:
  NatProbe(Instant now, NatProbeConfig config);

  void handle_input(Instant now, ProbeSocket on, const SocketAddress& from, ByteView data);
  void handle_timeout(Instant now);
  std::optional<ProbeTransmit> poll_output();
  Instant next_timeout() const;

  bool done() const { return step_ == Step::Done; }
  const NatProbeResult& result() const { return result_; }

 private:
  enum class Step : std::uint8_t {
    MappingI, MappingII, MappingIII, FilteringI, FilteringII, FilteringIII, Hairpin, Done
  };
  struct Test {
    ProbeSocket socket;
    SocketAddress to;
    std::uint32_t change = 0;
  };

  void begin(Instant now, Step step);
  Test test_for(Step step) const;
  // Advances after the current test got `response` (null: timed out).
  void complete(Instant now, const Message* response, const SocketAddress* from);
  void after_mapping_i(Instant now, const Message* r);
  void finish_mapping(Instant now);
  void finish(ProbeError e = ProbeError::None);

  NatProbeConfig cfg_;
  NatProbeResult result_;
  Step step_ = Step::MappingI;
  std::optional<ClientTransaction> txn_;
  Test test_{};
  Instant test_deadline_ = kNever;
  Bytes out_;
};

}  // namespace floe::stun
