// Two Floe DTLS endpoints in memory on a virtual clock.
#include <gtest/gtest.h>

#include "dtls/tests/test_link.hpp"

namespace floe::dtls {
namespace {

using test::LinkParams;
using test::VirtualLink;

const Instant kT0 = Instant{} + seconds(1000);

struct Side {
  std::shared_ptr<Certificate> cert;
  std::shared_ptr<DtlsContext> ctx;
  std::unique_ptr<DtlsTransport> t;
  std::optional<DtlsTransport::Connected> connected;
  std::optional<std::string> failed;
  bool closed = false;
  std::vector<Bytes> received;
};

struct Pair {
  Side s[2];
  Pair(Role a_role, std::vector<SrtpProfile> a_profiles, std::vector<SrtpProfile> b_profiles,
       KeyType key = KeyType::EcdsaP256) {
    s[0].cert = Certificate::generate(key);
    s[1].cert = Certificate::generate(key);
    s[0].ctx = DtlsContext::create(s[0].cert, std::move(a_profiles));
    s[1].ctx = DtlsContext::create(s[1].cert, std::move(b_profiles));
    DtlsConfig ca, cb;
    ca.role = a_role;
    cb.role = a_role == Role::Client ? Role::Server : Role::Client;
    ca.remote_fingerprint = s[1].cert->fingerprint();
    cb.remote_fingerprint = s[0].cert->fingerprint();
    s[0].t = std::make_unique<DtlsTransport>(s[0].ctx, ca);
    s[1].t = std::make_unique<DtlsTransport>(s[1].ctx, cb);
  }
  std::unique_ptr<VirtualLink> link(LinkParams p) {
    auto l = std::make_unique<VirtualLink>(*s[0].t, *s[1].t, p, kT0);
    l->on_event = [this](int side, DtlsTransport::Output& o) {
      Side& x = s[side];
      if (auto* c = std::get_if<DtlsTransport::Connected>(&o)) x.connected = *c;
      if (auto* f = std::get_if<DtlsTransport::Failed>(&o)) x.failed = f->reason;
      if (std::get_if<DtlsTransport::Closed>(&o)) x.closed = true;
      if (auto* d = std::get_if<DtlsTransport::ApplicationData>(&o)) x.received.push_back(d->data);
    };
    return l;
  }
  bool both_connected() const { return s[0].connected && s[1].connected; }
  bool any_failed() const { return s[0].failed || s[1].failed; }
  void start(VirtualLink& l) {
    s[0].t->start(l.now());
    s[1].t->start(l.now());
  }
};

void expect_matching_keys(const Pair& p, SrtpProfile profile) {
  ASSERT_TRUE(p.s[0].connected->srtp);
  ASSERT_TRUE(p.s[1].connected->srtp);
  const SrtpKeys& a = *p.s[0].connected->srtp;
  const SrtpKeys& b = *p.s[1].connected->srtp;
  EXPECT_EQ(a.profile, profile);
  EXPECT_EQ(b.profile, profile);
  EXPECT_EQ(a.local.length, profile_info(profile).key_length + profile_info(profile).salt_length);
  EXPECT_TRUE(a.local == b.remote);
  EXPECT_TRUE(a.remote == b.local);
  EXPECT_FALSE(a.local == a.remote);
}

struct Case {
  SrtpProfile profile;
  Role a_role;
};

class HandshakeTest : public ::testing::TestWithParam<Case> {};

TEST_P(HandshakeTest, CleanLinkDerivesMatchingSrtpKeys) {
  auto c = GetParam();
  Pair p(c.a_role, {c.profile}, {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmSha1_80,
                                 SrtpProfile::Aes128CmSha1_32});
  auto link = p.link({});
  p.start(*link);
  link->run_until(kT0 + seconds(5), [&] { return p.both_connected() || p.any_failed(); });
  ASSERT_TRUE(p.both_connected()) << p.s[0].failed.value_or("") << p.s[1].failed.value_or("");
  expect_matching_keys(p, c.profile);
  EXPECT_EQ(p.s[0].connected->peer_fingerprint, p.s[1].cert->fingerprint());
  EXPECT_EQ(p.s[0].t->counters().retransmit_timeouts, 0u);
  EXPECT_EQ(p.s[1].t->counters().retransmit_timeouts, 0u);
  EXPECT_LE(link->largest_datagram(), 1200u);
  EXPECT_EQ(p.s[0].t->next_timeout(), kNever);
}

TEST_P(HandshakeTest, LossyReorderingLinkStillDerivesMatchingKeys) {
  auto c = GetParam();
  int retransmissions = 0;
  for (unsigned seed = 1; seed <= 8; ++seed) {
    Pair p(c.a_role, {c.profile}, {c.profile});
    auto link = p.link({.loss = 0.25, .max_delay = milliseconds(80), .seed = seed});
    p.start(*link);
    link->run_until(kT0 + seconds(60), [&] { return p.both_connected() || p.any_failed(); });
    // The side that finished last may still need the peer's final flight.
    link->run_until(kT0 + seconds(60), [&] { return p.both_connected() || p.any_failed(); });
    ASSERT_TRUE(p.both_connected()) << "seed " << seed << ": "
                                    << p.s[0].failed.value_or("") << " / "
                                    << p.s[1].failed.value_or("");
    expect_matching_keys(p, c.profile);
    retransmissions += static_cast<int>(p.s[0].t->counters().retransmit_timeouts +
                                        p.s[1].t->counters().retransmit_timeouts);
    EXPECT_GT(link->dropped(), 0u);
  }
  EXPECT_GT(retransmissions, 0);
}

INSTANTIATE_TEST_SUITE_P(
    ProfilesAndRoles, HandshakeTest,
    ::testing::Values(Case{SrtpProfile::AeadAes128Gcm, Role::Client},
                      Case{SrtpProfile::AeadAes128Gcm, Role::Server},
                      Case{SrtpProfile::Aes128CmSha1_80, Role::Client},
                      Case{SrtpProfile::Aes128CmSha1_80, Role::Server},
                      Case{SrtpProfile::Aes128CmSha1_32, Role::Client},
                      Case{SrtpProfile::Aes128CmSha1_32, Role::Server}),
    [](const ::testing::TestParamInfo<Case>& param_info) {
      std::string n = param_info.param.profile == SrtpProfile::AeadAes128Gcm   ? "Gcm"
                      : param_info.param.profile == SrtpProfile::Aes128CmSha1_80 ? "Cm80"
                                                                           : "Cm32";
      return n + (param_info.param.a_role == Role::Client ? "_AClient" : "_AServer");
    });

// RFC 6347 §4.2.4: the server's last flight (ChangeCipherSpec, Finished) is
// only resent when the client's retransmitted flight shows it was lost; the
// server is already connected by then.
TEST(DtlsTransport, LostFinalFlightIsRecoveredAfterTheServerConnected) {
  Pair p(Role::Client, {SrtpProfile::Aes128CmSha1_80}, {SrtpProfile::Aes128CmSha1_80});
  auto link = p.link({});
  int dropped_final = 0;
  link->drop_if = [&](int from, const Bytes&) {
    // Everything the server sends once it is connected, the first time.
    if (from == 1 && p.s[1].t->state() == DtlsTransport::State::Connected && dropped_final < 2)
      return ++dropped_final, true;
    return false;
  };
  p.start(*link);
  link->run_until(kT0 + seconds(10), [&] { return p.both_connected() || p.any_failed(); });
  ASSERT_TRUE(p.both_connected());
  EXPECT_EQ(dropped_final, 2);
  EXPECT_GE(p.s[0].t->counters().retransmit_timeouts, 1u);
  expect_matching_keys(p, SrtpProfile::Aes128CmSha1_80);
  // The client needed one retransmission timeout (1 s) to get the flight again.
  EXPECT_GE(link->now() - kT0, seconds(1));
}

TEST(DtlsTransport, PreferredProfileIsTheServersChoiceAmongOffered) {
  Pair p(Role::Client, {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmSha1_80},
         {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmSha1_80});
  auto link = p.link({});
  p.start(*link);
  link->run_until(kT0 + seconds(5), [&] { return p.both_connected() || p.any_failed(); });
  ASSERT_TRUE(p.both_connected());
  expect_matching_keys(p, SrtpProfile::AeadAes128Gcm);
}

TEST(DtlsTransport, SmallMtuFragmentsHandshakeMessages) {
  // RFC 6347 §4.2.3: handshake messages larger than the MTU are fragmented.
  // An RSA-2048 certificate (~800 bytes) cannot fit a 400-byte datagram.
  auto ca = Certificate::generate(KeyType::Rsa2048), cb = Certificate::generate(KeyType::Rsa2048);
  DtlsConfig a, b;
  a.role = Role::Client;
  b.role = Role::Server;
  a.mtu = b.mtu = 400;
  a.remote_fingerprint = cb->fingerprint();
  b.remote_fingerprint = ca->fingerprint();
  DtlsTransport ta(DtlsContext::create(ca), a), tb(DtlsContext::create(cb), b);
  VirtualLink link(ta, tb, {.loss = 0.1, .max_delay = milliseconds(30), .seed = 4}, kT0);
  int connected = 0;
  link.on_event = [&](int, DtlsTransport::Output& o) {
    connected += std::holds_alternative<DtlsTransport::Connected>(o);
  };
  ta.start(kT0);
  tb.start(kT0);
  link.run_until(kT0 + seconds(60), [&] { return connected == 2; });
  EXPECT_EQ(connected, 2);
  EXPECT_LE(link.largest_datagram(), 400u);
  EXPECT_GT(link.delivered(), 10u);
}

TEST(DtlsTransport, RsaCertificatesWork) {
  Pair p(Role::Server, {SrtpProfile::Aes128CmSha1_80}, {SrtpProfile::Aes128CmSha1_80},
         KeyType::Rsa2048);
  auto link = p.link({});
  p.start(*link);
  link->run_until(kT0 + seconds(5), [&] { return p.both_connected() || p.any_failed(); });
  ASSERT_TRUE(p.both_connected());
  expect_matching_keys(p, SrtpProfile::Aes128CmSha1_80);
}

TEST(DtlsTransport, FingerprintMismatchFailsWithReasonAndCounter) {
  Pair p(Role::Client, {SrtpProfile::Aes128CmSha1_80}, {SrtpProfile::Aes128CmSha1_80});
  auto other = Certificate::generate();
  p.s[1].t->set_remote_fingerprint(other->fingerprint());  // server expects someone else
  auto link = p.link({});
  p.start(*link);
  link->run_until(kT0 + seconds(5), [&] { return p.s[0].failed && p.s[1].failed; });
  ASSERT_TRUE(p.s[1].failed);
  EXPECT_NE(p.s[1].failed->find("does not match"), std::string::npos) << *p.s[1].failed;
  EXPECT_EQ(p.s[1].t->counters().fingerprint_mismatches, 1u);
  EXPECT_EQ(p.s[1].t->state(), DtlsTransport::State::Failed);
  ASSERT_TRUE(p.s[0].failed);  // the client hears the bad_certificate alert
  EXPECT_FALSE(p.s[0].connected);
}

TEST(DtlsTransport, ClientSideMismatchAcceptsOtherHashes) {
  for (const char* alg : {"sha-1", "sha-384", "sha-512"}) {
    Pair p(Role::Client, {SrtpProfile::Aes128CmSha1_80}, {SrtpProfile::Aes128CmSha1_80});
    p.s[0].t->set_remote_fingerprint(*Fingerprint::of(p.s[1].cert->x509(), alg));
    p.s[1].t->set_remote_fingerprint(*Fingerprint::of(p.s[0].cert->x509(), alg));
    auto link = p.link({});
    p.start(*link);
    link->run_until(kT0 + seconds(5), [&] { return p.both_connected() || p.any_failed(); });
    ASSERT_TRUE(p.both_connected()) << alg;
    EXPECT_EQ(p.s[0].connected->peer_fingerprint.algorithm, alg);
  }
  Pair p(Role::Client, {SrtpProfile::Aes128CmSha1_80}, {SrtpProfile::Aes128CmSha1_80});
  auto fp = *Fingerprint::of(p.s[1].cert->x509(), "sha-512");
  fp.digest[10] ^= 1;
  p.s[0].t->set_remote_fingerprint(fp);
  auto link = p.link({});
  p.start(*link);
  link->run_until(kT0 + seconds(5), [&] { return p.s[0].failed.has_value(); });
  ASSERT_TRUE(p.s[0].failed);
  EXPECT_EQ(p.s[0].t->counters().fingerprint_mismatches, 1u);
}

TEST(DtlsTransport, HandshakeTimeoutFiresOnVirtualClockWithBackoff) {
  Pair p(Role::Client, {SrtpProfile::Aes128CmSha1_80}, {SrtpProfile::Aes128CmSha1_80});
  auto link = p.link({});
  link->blackhole = true;
  std::vector<Instant> sends;
  p.s[0].t->start(link->now());
  DtlsTransport& t = *p.s[0].t;
  Instant now = link->now();
  while (t.state() == DtlsTransport::State::Handshaking) {
    while (auto o = t.poll_output())
      if (std::holds_alternative<DtlsTransport::Transmit>(*o)) sends.push_back(now);
    now = t.next_timeout();
    ASSERT_NE(now, kNever);
    t.handle_timeout(now);
  }
  while (auto o = t.poll_output())
    if (auto* f = std::get_if<DtlsTransport::Failed>(&*o)) p.s[0].failed = f->reason;
  ASSERT_TRUE(p.s[0].failed);
  EXPECT_NE(p.s[0].failed->find("timed out"), std::string::npos) << *p.s[0].failed;
  EXPECT_EQ(now - kT0, seconds(30));
  EXPECT_EQ(t.counters().handshake_timeouts, 1u);
  // ClientHello at 0 s, then resent at 1, 3, 7, 15 s (RFC 6347 §4.2.4.1 doubling).
  ASSERT_EQ(sends.size(), 5u);
  const int expect_s[] = {0, 1, 3, 7, 15};
  for (std::size_t i = 0; i < sends.size(); ++i) EXPECT_EQ(sends[i] - kT0, seconds(expect_s[i]));
  EXPECT_EQ(t.next_timeout(), kNever);
}

TEST(DtlsTransport, ApplicationDataBothWaysAndCloseNotify) {
  Pair p(Role::Client, {SrtpProfile::AeadAes128Gcm}, {SrtpProfile::AeadAes128Gcm});
  auto link = p.link({});
  p.start(*link);
  link->run_until(kT0 + seconds(5), [&] { return p.both_connected(); });
  ASSERT_TRUE(p.both_connected());
  Bytes big(1000, 0x5a);
  EXPECT_TRUE(p.s[0].t->send(as_bytes("hello")));
  EXPECT_TRUE(p.s[1].t->send(big));
  link->run_until(kT0 + seconds(6), [&] { return !p.s[0].received.empty() && !p.s[1].received.empty(); });
  ASSERT_EQ(p.s[1].received.size(), 1u);
  EXPECT_EQ(as_chars(p.s[1].received[0]), "hello");
  ASSERT_EQ(p.s[0].received.size(), 1u);
  EXPECT_EQ(p.s[0].received[0], big);
  p.s[0].t->close(link->now());
  link->run_until(kT0 + seconds(7), [&] { return p.s[1].closed; });
  EXPECT_TRUE(p.s[0].closed);
  EXPECT_TRUE(p.s[1].closed);
  EXPECT_EQ(p.s[1].t->state(), DtlsTransport::State::Closed);
  EXPECT_FALSE(p.s[0].t->send(as_bytes("late")));
}

TEST(DtlsTransport, GarbageBeforeAndAfterHandshakeIsHarmless) {
  Pair p(Role::Client, {SrtpProfile::Aes128CmSha1_80}, {SrtpProfile::Aes128CmSha1_80});
  auto link = p.link({});
  p.start(*link);
  const std::uint8_t junk[] = {22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50, 1, 2, 3};
  p.s[1].t->handle_input(link->now(), junk);
  link->run_until(kT0 + seconds(5), [&] { return p.both_connected() || p.any_failed(); });
  ASSERT_TRUE(p.both_connected());
  p.s[1].t->handle_input(link->now(), junk);
  EXPECT_EQ(p.s[1].t->state(), DtlsTransport::State::Connected);
}

TEST(Fingerprint, ParseAndFormat) {
  auto cert = Certificate::generate();
  std::string s = cert->fingerprint().to_string();
  EXPECT_EQ(s.rfind("sha-256 ", 0), 0u);
  EXPECT_EQ(s.size(), 8u + 32 * 3 - 1);
  auto parsed = Fingerprint::parse(s);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, cert->fingerprint());
  std::string lower = s;
  for (auto& c : lower) c = static_cast<char>(std::tolower(c));
  lower.replace(0, 7, "SHA-256");
  EXPECT_EQ(*Fingerprint::parse(lower), cert->fingerprint());
  EXPECT_FALSE(Fingerprint::parse("sha-256 AB:CD"));
  EXPECT_FALSE(Fingerprint::parse("md5 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"));
  EXPECT_FALSE(Fingerprint::parse("sha-256"));
  EXPECT_FALSE(Fingerprint::parse(s + ":"));
}

TEST(Setup, RolesFollowRfc8842) {
  EXPECT_EQ(answer_setup(Setup::ActPass), Setup::Active);
  EXPECT_EQ(role_from_setup(Setup::Active, Setup::ActPass), Role::Client);
  EXPECT_EQ(role_from_setup(Setup::ActPass, Setup::Active), Role::Server);
  EXPECT_EQ(role_from_setup(Setup::ActPass, Setup::Passive), Role::Client);
  EXPECT_EQ(role_from_setup(Setup::Passive, Setup::Active), Role::Server);
  EXPECT_FALSE(role_from_setup(Setup::Active, Setup::Active));
  EXPECT_FALSE(role_from_setup(Setup::ActPass, Setup::ActPass));
  EXPECT_EQ(parse_setup("passive"), Setup::Passive);
  EXPECT_FALSE(parse_setup("bogus"));
}

}  // namespace
}  // namespace floe::dtls
