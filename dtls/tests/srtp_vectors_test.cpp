// RFC 3711 Appendix B through Floe's SRTP wrapper. The keystream reference
// below is plain AES-128-CTR from OpenSSL, checked first against B.2; the
// wrapper (libsrtp underneath) is then checked against that reference keyed
// with the session keys B.3 lists for its master key and salt, which proves
// both the key derivation and the AES-CM transform end to end.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dtls/srtp/session.hpp"

namespace floe::srtp {
namespace {

Bytes hex(std::string_view s) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  return out;
}

// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).
Bytes aes_cm_keystream(const Bytes& key, const Bytes& salt14, std::uint32_t ssrc,
                       std::uint64_t index, std::size_t blocks) {
  std::uint8_t iv[16] = {};
  std::copy(salt14.begin(), salt14.end(), iv);
  for (int b = 0; b < 4; ++b) iv[4 + b] ^= static_cast<std::uint8_t>(ssrc >> (24 - 8 * b));
  for (int b = 0; b < 6; ++b) iv[8 + b] ^= static_cast<std::uint8_t>(index >> (40 - 8 * b));
  Bytes zeros(blocks * 16, 0), out(blocks * 16);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), nullptr, key.data(), iv);
  EVP_EncryptUpdate(c, out.data(), &len, zeros.data(), static_cast<int>(zeros.size()));
  EVP_CIPHER_CTX_free(c);
  return out;
}

TEST(Rfc3711, B2AesCmKeystreamReference) {
  auto key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
  auto salt = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  Bytes ks = aes_cm_keystream(key, salt, 0, 0, 0xff02);
  auto block = [&](std::size_t i) { return Bytes(ks.begin() + 16 * i, ks.begin() + 16 * i + 16); };
  EXPECT_EQ(block(0), hex("E03EAD0935C95E80E166B16DD92B4EB4"));
  EXPECT_EQ(block(1), hex("D23513162B02D0F72A43A2FE4A5F97AB"));
  EXPECT_EQ(block(2), hex("41E95B3BB0A2E8DD477901E4FCA894C0"));
  EXPECT_EQ(block(0xfeff), hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
  EXPECT_EQ(block(0xff00), hex("362B7C3C6773516318A077D7FC5073AE"));
  EXPECT_EQ(block(0xff01), hex("6A2CC3787889374FBEB4C81B17BA6C44"));
}

TEST(Rfc3711, B3KeyDerivationThroughTheWrapper) {
  // B.3 master key and salt, installed as our sending key.
  Bytes master = hex("E1F97A0D3E018BE0D64FA32C06DE4139" "0EC675AD498AFEEBB6960B3AABE6");
  dtls::SrtpKeys keys;
  keys.profile = dtls::SrtpProfile::Aes128CmSha1_80;
  std::copy(master.begin(), master.end(), keys.local.bytes.begin());
  keys.local.length = master.size();
  keys.remote = keys.local;
  SrtpSession s;
  ASSERT_TRUE(s.set_keys(keys));

  // The session keys B.3 lists for that master key (key derivation rate 0).
  const Bytes cipher_key = hex("C61E7A93744F39EE10734AFE3FF7A087");
  const Bytes cipher_salt = hex("30CBBC08863D8C85D49DB34A9AE1");
  const Bytes auth_key = hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");

  for (std::uint16_t seq : {0, 1, 65535}) {
    SrtpSession fresh;
    ASSERT_TRUE(fresh.set_keys(keys));
    const std::uint32_t ssrc = 0xDEADBEEF;
    std::array<std::uint8_t, 256> buf{};
    buf[0] = 0x80;
    buf[1] = 0x00;
    store_be16(&buf[2], seq);
    store_be32(&buf[4], 0x01020304);
    store_be32(&buf[8], ssrc);
    const std::size_t payload = 64;  // zeros: the ciphertext is the keystream
    auto n = fresh.protect_rtp(buf, 12 + payload);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, 12 + payload + 10);
    Bytes want = aes_cm_keystream(cipher_key, cipher_salt, ssrc, seq, payload / 16);
    EXPECT_EQ(Bytes(buf.begin() + 12, buf.begin() + 12 + payload), want) << "seq " << seq;
    // RFC 3711 §4.2: HMAC-SHA1 over the packet then the 32-bit ROC (0), first 80 bits.
    Bytes mac_input(buf.begin(), buf.begin() + 12 + payload);
    mac_input.insert(mac_input.end(), {0, 0, 0, 0});
    unsigned char mac[20];
    unsigned int mac_len = 0;
    HMAC(EVP_sha1(), auth_key.data(), static_cast<int>(auth_key.size()), mac_input.data(),
         mac_input.size(), mac, &mac_len);
    EXPECT_EQ(Bytes(buf.begin() + 12 + payload, buf.begin() + *n), Bytes(mac, mac + 10));
    // And the inbound side of the wrapper takes it back to zeros.
    auto u = fresh.unprotect_rtp({buf.data(), *n});
    ASSERT_TRUE(u);
    EXPECT_EQ(Bytes(buf.begin() + 12, buf.begin() + 12 + payload), Bytes(payload, 0));
  }
}

}  // namespace
}  // namespace floe::srtp
