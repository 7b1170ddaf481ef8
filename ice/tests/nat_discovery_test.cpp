#include "ice/stun/nat_discovery.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "ice/stun/server.hpp"

using namespace floe;
using namespace floe::stun;

namespace {

SocketAddress addr(const char* text) { return *SocketAddress::parse(text); }

const SocketAddress kPrimary = addr("192.0.2.1:3478");
const SocketAddress kAlternate = addr("192.0.2.2:3479");
const IpAddress kPublicIp = *IpAddress::parse("203.0.113.1");
const std::array<SocketAddress, kProbeSockets> kLocal = {
    addr("10.0.0.2:5000"), addr("10.0.0.2:5001"), addr("10.0.0.2:5002")};

enum class Dep { Endpoint, Address, AddressAndPort };

// A scripted NAT (RFC 4787 behaviours) in front of the three probe sockets.
class Nat {
 public:
  Nat(Dep mapping, Dep filtering, bool hairpin)
      : mapping_(mapping), filtering_(filtering), hairpin_(hairpin) {}

  // Outbound: returns the public source address for this packet.
  SocketAddress translate(const SocketAddress& local, const SocketAddress& dst) {
    auto key = std::make_tuple(local, mapping_ == Dep::Endpoint ? IpAddress{} : dst.ip(),
                               mapping_ == Dep::AddressAndPort ? dst.port() : 0);
    auto it = mappings_.find(key);
    if (it == mappings_.end()) {
      it = mappings_.emplace(key, next_port_++).first;
      owner_[it->second] = local;
    }
    sent_.insert({local, dst});
    return SocketAddress(kPublicIp, it->second);
  }
  // Inbound to the public address: the local socket, if the filter lets it in.
  std::optional<SocketAddress> admit(const SocketAddress& from, const SocketAddress& to) {
    auto it = owner_.find(to.port());
    if (to.ip() != kPublicIp || it == owner_.end()) return std::nullopt;
    const SocketAddress& local = it->second;
    bool ok = filtering_ == Dep::Endpoint;
    for (const auto& [l, dst] : sent_) {
      if (l != local) continue;
      if (filtering_ == Dep::Address && dst.ip() == from.ip()) ok = true;
      if (filtering_ == Dep::AddressAndPort && dst == from) ok = true;
    }
    if (!ok) ++filtered_;
    return ok ? std::optional(local) : std::nullopt;
  }
  // Hairpinned packets skip the filter here: the test is about the NAT
  // looping them back at all (RFC 4787 §6).
  std::optional<SocketAddress> hairpin_target(const SocketAddress& to) const {
    auto it = owner_.find(to.port());
    if (!hairpin_ || to.ip() != kPublicIp || it == owner_.end()) return std::nullopt;
    return it->second;
  }
  int filtered() const { return filtered_; }

 private:
  Dep mapping_, filtering_;
  bool hairpin_;
  std::map<std::tuple<SocketAddress, IpAddress, std::uint16_t>, std::uint16_t> mappings_;
  std::map<std::uint16_t, SocketAddress> owner_;
  std::set<std::pair<SocketAddress, SocketAddress>> sent_;
  std::uint16_t next_port_ = 62000;
  int filtered_ = 0;
};

// A network of one NAT (or none), the probe's sockets and an RFC 5780 server.
struct Network {
  std::optional<Nat> nat;
  BindingServer server;
  bool server_silent = false;
  Instant now{};

  explicit Network(std::optional<Nat> n, bool rfc5780 = true) : nat(std::move(n)) {
    server.add_socket({kPrimary, Transport::Udp, 0, false, false});
    if (!rfc5780) return;
    server.add_socket({SocketAddress(kPrimary.ip(), kAlternate.port()), Transport::Udp, 0,
                       false, true});
    server.add_socket({SocketAddress(kAlternate.ip(), kPrimary.port()), Transport::Udp, 0,
                       true, false});
    server.add_socket({kAlternate, Transport::Udp, 0, true, true});
  }

  std::optional<SocketId> server_socket(const SocketAddress& a) {
    for (SocketId i = 0; i < server.socket_count(); ++i)
      if (server.socket(i).local == a) return i;
    return std::nullopt;
  }
  std::optional<ProbeSocket> probe_socket(const SocketAddress& a) {
    for (std::size_t i = 0; i < kProbeSockets; ++i)
      if (kLocal[i] == a) return static_cast<ProbeSocket>(i);
    return std::nullopt;
  }

  // Delivers one packet from a probe socket; replies flow back at once.
  void send(NatProbe& probe, const ProbeTransmit& tx) {
    const SocketAddress local = kLocal[static_cast<std::size_t>(tx.socket)];
    const SocketAddress src = nat ? nat->translate(local, tx.to) : local;
    Bytes data(tx.data.begin(), tx.data.end());
    if (tx.to.ip() == kPublicIp || probe_socket(tx.to)) {
      // §4.5 hairpin: to our own public (or, without NAT, local) address.
      auto to_local = nat ? nat->hairpin_target(tx.to) : std::optional(tx.to);
      if (auto s = to_local ? probe_socket(*to_local) : std::nullopt)
        probe.handle_input(now, *s, src, data);
      return;
    }
    auto sid = server_socket(tx.to);
    if (!sid || server_silent) return;
    server.handle_input(now, *sid, src, data);
    auto reply = server.poll_output();
    if (!reply) return;
    const SocketAddress from = server.socket(reply->socket).local;
    Bytes bytes(reply->data.begin(), reply->data.end());
    auto to_local = nat ? nat->admit(from, reply->to) : std::optional(reply->to);
    if (auto s = to_local ? probe_socket(*to_local) : std::nullopt)
      probe.handle_input(now, *s, from, bytes);
  }

  NatProbeResult run(NatProbeConfig cfg = {}) {
    cfg.server = kPrimary;
    cfg.local = kLocal;
    NatProbe probe(now, cfg);
    for (int guard = 0; !probe.done() && guard < 10000; ++guard) {
      while (auto tx = probe.poll_output()) send(probe, *tx);
      if (probe.done()) break;
      now = probe.next_timeout();
      probe.handle_timeout(now);
    }
    EXPECT_TRUE(probe.done());
    EXPECT_EQ(probe.next_timeout(), kNever);
    return probe.result();
  }
};

MappingBehavior expected_mapping(Dep d) {
  switch (d) {
    case Dep::Endpoint: return MappingBehavior::EndpointIndependent;
    case Dep::Address: return MappingBehavior::AddressDependent;
    case Dep::AddressAndPort: return MappingBehavior::AddressAndPortDependent;
  }
  return MappingBehavior::Unknown;
}
FilteringBehavior expected_filtering(Dep d) {
  switch (d) {
    case Dep::Endpoint: return FilteringBehavior::EndpointIndependent;
    case Dep::Address: return FilteringBehavior::AddressDependent;
    case Dep::AddressAndPort: return FilteringBehavior::AddressAndPortDependent;
  }
  return FilteringBehavior::Unknown;
}

std::string matrix_name(const ::testing::TestParamInfo<std::tuple<Dep, Dep>>& p) {
  const char* dep[] = {"Endpoint", "Address", "AddressAndPort"};
  return std::string("Mapping") + dep[static_cast<int>(std::get<0>(p.param))] + "_Filtering" +
         dep[static_cast<int>(std::get<1>(p.param))];
}

class NatProbeMatrix : public ::testing::TestWithParam<std::tuple<Dep, Dep>> {};

}  // namespace

TEST_P(NatProbeMatrix, ClassifiesMappingAndFiltering) {
  auto [mapping, filtering] = GetParam();
  Network net(Nat(mapping, filtering, true));
  const Instant start = net.now;
  NatProbeResult r = net.run();
  EXPECT_EQ(r.error, ProbeError::None);
  EXPECT_EQ(r.mapping, expected_mapping(mapping));
  EXPECT_EQ(r.filtering, expected_filtering(filtering));
  ASSERT_TRUE(r.mapped);
  EXPECT_EQ(r.mapped->ip(), kPublicIp);
  EXPECT_EQ(r.behind_nat, true);
  EXPECT_EQ(r.other_address, kAlternate);
  EXPECT_EQ(r.response_origin, kPrimary);
  EXPECT_EQ(r.hairpinning, Hairpinning::Supported);
  // Filtering tests that expect silence each wait one test timeout.
  const int silent = filtering == Dep::Endpoint ? 0 : filtering == Dep::Address ? 1 : 2;
  EXPECT_EQ(net.now - start, silent * NatProbeConfig{}.test_timeout);
}

INSTANTIATE_TEST_SUITE_P(
    AllBehaviours, NatProbeMatrix,
    ::testing::Combine(::testing::Values(Dep::Endpoint, Dep::Address, Dep::AddressAndPort),
                       ::testing::Values(Dep::Endpoint, Dep::Address, Dep::AddressAndPort)),
    matrix_name);

TEST(NatProbe, ReportsNoNatAndHairpinWithoutNat) {
  Network net(std::nullopt);
  NatProbeResult r = net.run();
  EXPECT_EQ(r.error, ProbeError::None);
  EXPECT_EQ(r.behind_nat, false);
  EXPECT_EQ(r.mapped, kLocal[0]);
  EXPECT_EQ(r.mapping, MappingBehavior::EndpointIndependent);
  EXPECT_EQ(r.filtering, FilteringBehavior::EndpointIndependent);
  EXPECT_EQ(r.hairpinning, Hairpinning::Supported);
}

TEST(NatProbe, DetectsMissingHairpinning) {
  Network net(Nat(Dep::Endpoint, Dep::Endpoint, false));
  NatProbeConfig cfg;
  cfg.test_timeout = milliseconds(700);
  NatProbeResult r = net.run(cfg);
  EXPECT_EQ(r.error, ProbeError::None);
  EXPECT_EQ(r.hairpinning, Hairpinning::NotSupported);
  // Hairpin test skipped on request.
  Network net2(Nat(Dep::Endpoint, Dep::Endpoint, false));
  cfg.hairpinning = false;
  EXPECT_EQ(net2.run(cfg).hairpinning, Hairpinning::Unknown);
}

TEST(NatProbe, TimesOutCleanlyWhenTheServerIsSilent) {
  Network net(std::nullopt);
  net.server_silent = true;
  NatProbeConfig cfg;
  cfg.test_timeout = milliseconds(1500);
  const Instant start = net.now;
  NatProbeResult r = net.run(cfg);
  EXPECT_EQ(r.error, ProbeError::NoResponse);
  EXPECT_FALSE(r.mapped);
  EXPECT_EQ(r.mapping, MappingBehavior::Unknown);
  EXPECT_EQ(r.filtering, FilteringBehavior::Unknown);
  EXPECT_EQ(net.now - start, cfg.test_timeout);
}

TEST(NatProbe, ServerWithoutRfc5780IsReported) {
  Network net(Nat(Dep::Endpoint, Dep::Endpoint, true), /*rfc5780=*/false);
  NatProbeResult r = net.run();
  EXPECT_EQ(r.error, ProbeError::NoOtherAddress);
  ASSERT_TRUE(r.mapped);  // still worth printing
  EXPECT_EQ(r.mapped->ip(), kPublicIp);
  EXPECT_FALSE(r.other_address);
}

TEST(NatProbe, IgnoresStrayAndForgedDatagrams) {
  NatProbeConfig cfg;
  cfg.server = kPrimary;
  cfg.local = kLocal;
  Instant now{};
  NatProbe probe(now, cfg);
  auto tx = probe.poll_output();
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->socket, ProbeSocket::Mapping);
  EXPECT_EQ(tx->to, kPrimary);
  // A success response with another transaction id, and garbage.
  Bytes other;
  MessageBuilder(other, Class::Success, method::Binding, random_transaction_id())
      .add_xor_address(attr::XorMappedAddress, kLocal[0]);
  probe.handle_input(now, ProbeSocket::Mapping, kPrimary, other);
  const std::uint8_t junk[] = {1, 2, 3};
  probe.handle_input(now, ProbeSocket::Mapping, kPrimary, junk);
  EXPECT_EQ(probe.result().ignored, 2u);
  EXPECT_FALSE(probe.done());
  // Retransmissions follow RFC 8489 §6.2.1 with the configured RTO.
  now = probe.next_timeout();
  EXPECT_EQ(now - Instant{}, milliseconds(100));
  probe.handle_timeout(now);
  EXPECT_TRUE(probe.poll_output());
}

TEST(NatProbe, ErrorResponseToTestOneIsReported) {
  NatProbeConfig cfg;
  cfg.server = kPrimary;
  cfg.local = kLocal;
  NatProbe probe(Instant{}, cfg);
  auto tx = probe.poll_output();
  ASSERT_TRUE(tx);
  auto req = Message::parse(tx->data);
  ASSERT_TRUE(req);
  Bytes err;
  MessageBuilder b(err, Class::Error, method::Binding, req->transaction_id());
  b.add_error_code(420, {});
  probe.handle_input(Instant{}, ProbeSocket::Mapping, kPrimary, err);
  ASSERT_TRUE(probe.done());
  EXPECT_EQ(probe.result().error, ProbeError::ErrorResponse);
  EXPECT_EQ(probe.result().error_code, 420);
}

// Mutated and truncated answers are ignored or taken as answers, never a
// crash, and the probe still ends on time.
TEST(NatProbe, SurvivesMutatedResponses) {
  std::uint64_t state = 0x2545F4914F6CDD1Dull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int run = 0; run < 200; ++run) {
    NatProbeConfig cfg;
    cfg.server = kPrimary;
    cfg.local = kLocal;
    cfg.test_timeout = milliseconds(300);
    Instant now{};
    NatProbe probe(now, cfg);
    for (int guard = 0; !probe.done() && guard < 1000; ++guard) {
      while (auto tx = probe.poll_output()) {
        auto req = Message::parse(tx->data);
        ASSERT_TRUE(req);
        Bytes r;
        MessageBuilder b(r, Class::Success, method::Binding, req->transaction_id());
        b.add_xor_address(attr::XorMappedAddress, kLocal[0]);
        b.add_address(attr::OtherAddress, kAlternate);
        b.add_fingerprint();
        for (int e = 0; e < 3; ++e) {
          if (next() % 2) r[next() % r.size()] ^= static_cast<std::uint8_t>(1u << (next() % 8));
          else r.resize(1 + next() % r.size());
        }
        probe.handle_input(now, tx->socket, tx->to, r);
      }
      if (probe.done()) break;
      now = probe.next_timeout();
      probe.handle_timeout(now);
    }
    ASSERT_TRUE(probe.done());
    EXPECT_LE(now - Instant{}, 8 * cfg.test_timeout);
  }
}
