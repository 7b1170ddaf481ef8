#include "ice/stun/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace floe::stun {
namespace {

// Fetching an algorithm is costly in OpenSSL 3; do it once per process.
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}
const EVP_MD* digest(const char* name) {
  if (name[0] == 'M') {
    static const EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return md;
  }
  static const EVP_MD* sha = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return sha;
}

// One MAC context per thread per digest, re-initialised with each key.
struct MacContext {
  EVP_MAC_CTX* ctx;
  explicit MacContext() : ctx(EVP_MAC_CTX_new(hmac_algorithm())) {}
  ~MacContext() { EVP_MAC_CTX_free(ctx); }
};

template <std::size_t N>
std::array<std::uint8_t, N> hmac(const char* md_name, ByteView key,
                                 std::initializer_list<ByteView> pieces) {
  thread_local MacContext sha1_ctx, sha256_ctx;
  EVP_MAC_CTX* ctx = (N == 20 ? sha1_ctx : sha256_ctx).ctx;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(md_name), 0),
      OSSL_PARAM_construct_end()};
  // OpenSSL rejects a NULL key pointer even with length 0.
  static const std::uint8_t kEmpty = 0;
  const std::uint8_t* k = key.empty() ? &kEmpty : key.data();
  if (EVP_MAC_init(ctx, k, key.size(), params) != 1) throw std::runtime_error("HMAC init");
  for (auto p : pieces)
    if (!p.empty()) EVP_MAC_update(ctx, p.data(), p.size());
  std::array<std::uint8_t, N> out{};
  std::size_t len = 0;
  EVP_MAC_final(ctx, out.data(), &len, out.size());
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> plain_digest(const EVP_MD* md, std::initializer_list<ByteView> pieces) {
  thread_local EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  for (auto p : pieces)
    if (!p.empty()) EVP_DigestUpdate(ctx, p.data(), p.size());
  std::array<std::uint8_t, N> out{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  return out;
}

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

}  // namespace

Sha1Digest hmac_sha1(ByteView key, std::initializer_list<ByteView> pieces) {
  return hmac<20>("SHA1", key, pieces);
}
Sha256Digest hmac_sha256(ByteView key, std::initializer_list<ByteView> pieces) {
  return hmac<32>("SHA256", key, pieces);
}
Md5Digest md5(std::initializer_list<ByteView> pieces) {
  return plain_digest<16>(digest("MD5"), pieces);
}
Sha256Digest sha256(std::initializer_list<ByteView> pieces) {
  return plain_digest<32>(digest("SHA256"), pieces);
}

std::uint32_t crc32(std::initializer_list<ByteView> pieces) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (auto p : pieces)
    for (auto b : p) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool equal_ct(ByteView a, ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace floe::stun
