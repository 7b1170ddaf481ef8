// Bad input from the wire is a counted drop or a clean failure, never a crash:
// random bytes into DTLS (before and after the handshake), SCTP and SRTP; and
// PEM certificates load or fail with a reason.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <cstdio>
#include <random>

#include "dtls/sctp/association.hpp"
#include "dtls/srtp/session.hpp"
#include "dtls/tests/test_link.hpp"

namespace floe::dtls {
namespace {

const Instant kT0 = Instant{} + seconds(9000);

Bytes random_datagram(std::mt19937& rng, std::uint8_t first) {
  Bytes b(1 + rng() % 300);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  b[0] = first;
  return b;
}

TEST(Robustness, RandomDatagramsIntoDtlsNeverConnectOrCrash) {
  std::mt19937 rng(7);
  auto cert = Certificate::generate();
  auto ctx = DtlsContext::create(cert);
  for (Role role : {Role::Client, Role::Server}) {
    DtlsConfig cfg;
    cfg.role = role;
    cfg.remote_fingerprint = cert->fingerprint();
    DtlsTransport t(ctx, cfg);
    t.start(kT0);
    for (int i = 0; i < 2000 && t.state() == DtlsTransport::State::Handshaking; ++i) {
      // Mostly DTLS-looking first bytes: content types 20-23 (RFC 6347 §4.1).
      t.handle_input(kT0 + milliseconds(i), random_datagram(rng, static_cast<std::uint8_t>(20 + i % 4)));
    }
    EXPECT_NE(t.state(), DtlsTransport::State::Connected);
    while (t.poll_output()) {
    }
  }
}

TEST(Robustness, RandomPacketsIntoSrtpAreCountedDrops) {
  std::mt19937 rng(11);
  Bytes material(60);
  for (auto& x : material) x = static_cast<std::uint8_t>(rng());
  srtp::SrtpSession s;
  ASSERT_TRUE(s.set_keys(*split_keying_material(SrtpProfile::Aes128CmSha1_80, material, true)));
  std::uint64_t total = 0;
  for (int i = 0; i < 5000; ++i) {
    Bytes b = random_datagram(rng, 0x80);
    bool rtcp = i % 2 == 1;
    auto r = rtcp ? s.unprotect_rtcp(b) : s.unprotect_rtp(b);
    EXPECT_FALSE(r);
    ++total;
  }
  std::uint64_t dropped = 0;
  for (auto d : s.counters().drops) dropped += d;
  EXPECT_EQ(dropped, total);
  EXPECT_GT(s.counters().drops_for(srtp::DropReason::Auth), 0u);
}

TEST(Robustness, RandomPacketsIntoSctpAreIgnored) {
  std::mt19937 rng(13);
  sctp::SctpAssociation a(sctp::SctpConfig{});
  a.start(kT0);
  for (int i = 0; i < 3000; ++i) {
    Bytes b = random_datagram(rng, static_cast<std::uint8_t>(rng()));
    if (b.size() >= 12 && i % 3 == 0) {  // right ports, so the checksum is what saves us
      store_be16(&b[0], 5000);
      store_be16(&b[2], 5000);
    }
    a.handle_input(kT0 + milliseconds(i), b);
    a.handle_timeout(kT0 + milliseconds(i));
  }
  EXPECT_NE(a.state(), sctp::SctpAssociation::State::Connected);
  while (a.poll_output()) {
  }
}

TEST(Certificate, LoadsPemFilesAndRejectsAMismatchedKey) {
  auto cert = Certificate::generate(KeyType::Rsa2048);
  auto other = Certificate::generate();
  std::string dir = ::testing::TempDir();
  std::string cert_path = dir + "/floe_cert.pem", key_path = dir + "/floe_key.pem",
              other_key = dir + "/floe_other_key.pem";
  auto write = [](const std::string& path, auto&& fn) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fn(f);
    std::fclose(f);
  };
  write(cert_path, [&](FILE* f) { PEM_write_X509(f, cert->x509()); });
  write(key_path, [&](FILE* f) { PEM_write_PrivateKey(f, cert->key(), nullptr, nullptr, 0, nullptr, nullptr); });
  write(other_key, [&](FILE* f) { PEM_write_PrivateKey(f, other->key(), nullptr, nullptr, 0, nullptr, nullptr); });
  std::string error;
  auto loaded = Certificate::load_pem(cert_path, key_path, &error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_EQ(loaded->fingerprint(), cert->fingerprint());
  EXPECT_FALSE(Certificate::load_pem(cert_path, other_key, &error));
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
  EXPECT_FALSE(Certificate::load_pem(dir + "/missing.pem", key_path, &error));
  std::remove(cert_path.c_str());
  std::remove(key_path.c_str());
  std::remove(other_key.c_str());
}

}  // namespace
}  // namespace floe::dtls
