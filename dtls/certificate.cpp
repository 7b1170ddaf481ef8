#include "dtls/certificate.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cctype>
#include <cstdio>

#include "base/random.hpp"

namespace floe::dtls {
namespace {

const EVP_MD* digest_for(std::string_view algorithm) {
  // RFC 8122 §5 hash-func tokens; MD5/MD2 are refused on purpose.
  if (algorithm == "sha-1") return EVP_sha1();
  if (algorithm == "sha-224") return EVP_sha224();
  if (algorithm == "sha-256") return EVP_sha256();
  if (algorithm == "sha-384") return EVP_sha384();
  if (algorithm == "sha-512") return EVP_sha512();
  return nullptr;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Fingerprint> Fingerprint::parse(std::string_view text) {
  auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  Fingerprint fp;
  for (char c : text.substr(0, space))
    fp.algorithm.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  const EVP_MD* md = digest_for(fp.algorithm);
  if (md == nullptr) return std::nullopt;
  std::string_view hex = text.substr(space + 1);
  while (!hex.empty() && hex.front() == ' ') hex.remove_prefix(1);
  while (!hex.empty() && (hex.back() == ' ' || hex.back() == '\r' || hex.back() == '\n'))
    hex.remove_suffix(1);
  // 2 hex digits per byte, separated by ':' (RFC 8122 §5 fingerprint rule).
  for (std::size_t i = 0; i < hex.size();) {
    if (i + 2 > hex.size()) return std::nullopt;
    int hi = hex_value(hex[i]);
    int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    fp.digest.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    i += 2;
    if (i < hex.size()) {
      if (hex[i] != ':') return std::nullopt;
      ++i;
      if (i == hex.size()) return std::nullopt;
    }
  }
  if (fp.digest.size() != static_cast<std::size_t>(EVP_MD_get_size(md))) return std::nullopt;
  return fp;
}

std::optional<Fingerprint> Fingerprint::of(X509* cert, std::string_view algorithm) {
  const EVP_MD* md = digest_for(algorithm);
  if (md == nullptr || cert == nullptr) return std::nullopt;
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, md, buf, &len) != 1) return std::nullopt;
  return Fingerprint{std::string(algorithm), Bytes(buf, buf + len)};
}

std::string Fingerprint::to_string() const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = algorithm;
  out.push_back(' ');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    if (i) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

bool Fingerprint::operator==(const Fingerprint& other) const {
  return algorithm == other.algorithm && digest.size() == other.digest.size() &&
         CRYPTO_memcmp(digest.data(), other.digest.data(), digest.size()) == 0;
}

Certificate::Certificate(X509* cert, EVP_PKEY* key) : cert_(cert), key_(key) {
  fingerprint_ = Fingerprint::of(cert_, "sha-256").value_or(Fingerprint{});
}

Certificate::~Certificate() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

std::shared_ptr<Certificate> Certificate::generate(KeyType type) {
  EVP_PKEY* key = type == KeyType::EcdsaP256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  if (key == nullptr) return nullptr;
  X509* cert = X509_new();
  if (cert == nullptr) {
    EVP_PKEY_free(key);
    return nullptr;
  }
  bool ok = X509_set_version(cert, 2) == 1;
  // A random 63-bit serial keeps certificates from different runs distinct.
  ok = ok && ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert),
                                     random_u64() & 0x7fffffffffffffffULL) == 1;
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), -86400) != nullptr;
  ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 86400) != nullptr;
  ok = ok && X509_set_pubkey(cert, key) == 1;
  X509_NAME* name = X509_get_subject_name(cert);
  std::string cn = "floe-" + random_ice_string(8);
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>(cn.c_str()),
                                        -1, -1, 0) == 1;
  ok = ok && X509_set_issuer_name(cert, name) == 1;
  ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
  if (!ok) {
    X509_free(cert);
    EVP_PKEY_free(key);
    return nullptr;
  }
  return std::shared_ptr<Certificate>(new Certificate(cert, key));
}

std::shared_ptr<Certificate> Certificate::load_pem(const std::string& cert_path,
                                                   const std::string& key_path,
                                                   std::string* error) {
  auto fail = [&](const char* what) -> std::shared_ptr<Certificate> {
    if (error) *error = std::string(what);
    return nullptr;
  };
  FILE* cf = std::fopen(cert_path.c_str(), "r");
  if (cf == nullptr) return fail("cannot open certificate file");
  X509* cert = PEM_read_X509(cf, nullptr, nullptr, nullptr);
  std::fclose(cf);
  if (cert == nullptr) return fail("no PEM certificate in file");
  FILE* kf = std::fopen(key_path.c_str(), "r");
  if (kf == nullptr) {
    X509_free(cert);
    return fail("cannot open key file");
  }
  EVP_PKEY* key = PEM_read_PrivateKey(kf, nullptr, nullptr, nullptr);
  std::fclose(kf);
  if (key == nullptr) {
    X509_free(cert);
    return fail("no PEM private key in file");
  }
  if (X509_check_private_key(cert, key) != 1) {
    X509_free(cert);
    EVP_PKEY_free(key);
    return fail("private key does not match certificate");
  }
  return std::shared_ptr<Certificate>(new Certificate(cert, key));
}

}  // namespace floe::dtls
