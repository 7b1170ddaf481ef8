#pragma once
// DTLS-SRTP keying (RFC 5764 §4.1.2, §4.2): the protection profiles Floe
// offers and the master keys and salts exported from the handshake.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.hpp"

namespace floe::dtls {

// Values are the IANA "DTLS-SRTP Protection Profiles" code points.
enum class SrtpProfile : std::uint16_t {
  Aes128CmSha1_80 = 0x0001,
  Aes128CmSha1_32 = 0x0002,
  AeadAes128Gcm = 0x0007,  // RFC 7714 §14.2
};

struct SrtpProfileInfo {
  std::size_t key_length;
  std::size_t salt_length;
  const char* openssl_name;  // as SSL_CTX_set_tlsext_use_srtp spells it
};

SrtpProfileInfo profile_info(SrtpProfile profile);
std::optional<SrtpProfile> profile_from_id(std::uint16_t id);
std::string_view to_string(SrtpProfile profile);

// One direction's master key followed by its master salt: the layout libsrtp
// expects in srtp_policy_t::key.
struct SrtpMasterKey {
  std::array<std::uint8_t, 32> bytes{};
  std::size_t length = 0;
  ByteView view() const { return {bytes.data(), length}; }
  bool operator==(const SrtpMasterKey& o) const {
    return length == o.length && view().size() == o.view().size() &&
           std::equal(bytes.begin(), bytes.begin() + length, o.bytes.begin());
  }
};

struct SrtpKeys {
  SrtpProfile profile = SrtpProfile::Aes128CmSha1_80;
  SrtpMasterKey local;   // protects what we send
  SrtpMasterKey remote;  // unprotects what we receive
};

// Splits the exporter output "client key | server key | client salt | server
// salt" (RFC 5764 §4.2) into local and remote keys for `is_client`.
std::optional<SrtpKeys> split_keying_material(SrtpProfile profile, ByteView material,
                                              bool is_client);

// RFC 5764 §4.2: the exporter label and the length it must produce.
inline constexpr std::string_view kDtlsSrtpExporterLabel = "EXTRACTOR-dtls_srtp";
inline std::size_t exporter_length(SrtpProfile profile) {
  auto i = profile_info(profile);
  return 2 * (i.key_length + i.salt_length);
}

}  // namespace floe::dtls
