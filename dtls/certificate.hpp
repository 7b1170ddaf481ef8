#pragma once
// The local DTLS identity and the fingerprints that bind it to the SDP
// (RFC 8122 §5: a=fingerprint carries a hash of the certificate; RFC 8827 §6.5
// has WebRTC endpoints use self-signed certificates checked only that way).
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace floe::dtls {

// "sha-256 AB:CD:..." as in a=fingerprint (RFC 8122 §5).
struct Fingerprint {
  std::string algorithm;  // lower case hash name: sha-1, sha-256, sha-384, sha-512
  Bytes digest;

  static std::optional<Fingerprint> parse(std::string_view text);
  // Hash of a DER certificate with `algorithm`; nullopt for an unknown hash.
  static std::optional<Fingerprint> of(X509* cert, std::string_view algorithm);
  std::string to_string() const;  // "sha-256 AB:CD:..."
  bool operator==(const Fingerprint& other) const;
  bool empty() const { return digest.empty(); }
};

enum class KeyType { EcdsaP256, Rsa2048 };

class Certificate {
 public:
  // Self-signed, valid from yesterday for 30 days, random serial and CN.
  static std::shared_ptr<Certificate> generate(KeyType type = KeyType::EcdsaP256);
  // PEM certificate and private key; nullptr and `error` set on failure.
  static std::shared_ptr<Certificate> load_pem(const std::string& cert_path,
                                               const std::string& key_path,
                                               std::string* error = nullptr);
  ~Certificate();
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  X509* x509() const { return cert_; }
  EVP_PKEY* key() const { return key_; }
  // The SHA-256 fingerprint for a=fingerprint.
  const Fingerprint& fingerprint() const { return fingerprint_; }

 private:
  Certificate(X509* cert, EVP_PKEY* key);
  X509* cert_;
  EVP_PKEY* key_;
  Fingerprint fingerprint_;
};

}  // namespace floe::dtls
