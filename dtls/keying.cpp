#include "dtls/keying.hpp"

#include <algorithm>

namespace floe::dtls {

SrtpProfileInfo profile_info(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::Aes128CmSha1_80: return {16, 14, "SRTP_AES128_CM_SHA1_80"};
    case SrtpProfile::Aes128CmSha1_32: return {16, 14, "SRTP_AES128_CM_SHA1_32"};
    case SrtpProfile::AeadAes128Gcm: return {16, 12, "SRTP_AEAD_AES_128_GCM"};
  }
  return {16, 14, "SRTP_AES128_CM_SHA1_80"};
}

std::optional<SrtpProfile> profile_from_id(std::uint16_t id) {
  switch (id) {
    case 0x0001: return SrtpProfile::Aes128CmSha1_80;
    case 0x0002: return SrtpProfile::Aes128CmSha1_32;
    case 0x0007: return SrtpProfile::AeadAes128Gcm;
    default: return std::nullopt;
  }
}

std::string_view to_string(SrtpProfile profile) { return profile_info(profile).openssl_name; }

std::optional<SrtpKeys> split_keying_material(SrtpProfile profile, ByteView material,
                                              bool is_client) {
  const auto info = profile_info(profile);
  const std::size_t k = info.key_length;
  const std::size_t s = info.salt_length;
  if (material.size() != 2 * (k + s)) return std::nullopt;
  SrtpMasterKey client, server;
  auto fill = [&](SrtpMasterKey& out, std::size_t key_at, std::size_t salt_at) {
    std::copy_n(material.begin() + key_at, k, out.bytes.begin());
    std::copy_n(material.begin() + salt_at, s, out.bytes.begin() + k);
    out.length = k + s;
  };
  fill(client, 0, 2 * k);
  fill(server, k, 2 * k + s);
  SrtpKeys keys;
  keys.profile = profile;
  keys.local = is_client ? client : server;
  keys.remote = is_client ? server : client;
  return keys;
}

}  // namespace floe::dtls
