#include "gateway/media/rtp.hpp"

#include <cstring>

namespace floe::media {

const char* to_string(RtpParseError e) {
  switch (e) {
    case RtpParseError::None: return "none";
    case RtpParseError::TooShort: return "too_short";
    case RtpParseError::BadVersion: return "bad_version";
    case RtpParseError::CsrcOverrun: return "csrc_overrun";
    case RtpParseError::ExtensionOverrun: return "extension_overrun";
    case RtpParseError::BadPadding: return "bad_padding";
  }
  return "unknown";
}

std::optional<RtpPacket> RtpPacket::parse(std::span<std::uint8_t> b, RtpParseError* error) {
  auto fail = [&](RtpParseError e) -> std::optional<RtpPacket> {
    if (error) *error = e;
    return std::nullopt;
  };
  if (b.size() < kRtpFixedHeader) return fail(RtpParseError::TooShort);
  if ((b[0] >> 6) != kRtpVersion) return fail(RtpParseError::BadVersion);
  std::size_t header = kRtpFixedHeader + 4u * (b[0] & 0x0f);
  if (header > b.size()) return fail(RtpParseError::CsrcOverrun);
  if (b[0] & 0x10) {
    // §5.3.1: 16-bit profile word, 16-bit length in 32-bit words (not
    // counting this 4-byte header). RFC 8285 one- and two-byte forms share it.
    if (header + 4 > b.size()) return fail(RtpParseError::ExtensionOverrun);
    const std::size_t words = load_be16(&b[header + 2]);
    header += 4 + 4 * words;
    if (header > b.size()) return fail(RtpParseError::ExtensionOverrun);
  }
  std::size_t padding = 0;
  if (b[0] & 0x20) {
    // §5.1: the last octet counts the padding including itself.
    padding = b[b.size() - 1];
    if (padding == 0 || padding > b.size() - header) return fail(RtpParseError::BadPadding);
  }
  if (error) *error = RtpParseError::None;
  return RtpPacket(b, header, b.size() - header - padding);
}

std::uint16_t RtpPacket::extension_profile() const {
  if (!has_extension()) return 0;
  return load_be16(&bytes_[kRtpFixedHeader + 4u * csrc_count()]);
}

ByteView RtpPacket::extension_data() const {
  if (!has_extension()) return {};
  const std::size_t start = kRtpFixedHeader + 4u * csrc_count() + 4;
  return {bytes_.data() + start, header_size_ - start};
}

void RtpPacket::strip_extension() {
  if (!has_extension()) return;
  const std::size_t start = kRtpFixedHeader + 4u * csrc_count();
  const std::size_t removed = header_size_ - start;
  const std::size_t tail = bytes_.size() - header_size_;
  std::memmove(bytes_.data() + start, bytes_.data() + header_size_, tail);
  bytes_[0] &= static_cast<std::uint8_t>(~0x10);
  bytes_ = bytes_.first(bytes_.size() - removed);
  header_size_ = start;
}

std::size_t write_rtp_header(std::span<std::uint8_t> out, const RtpHeaderFields& f) {
  if (out.size() < kRtpFixedHeader) return 0;
  out[0] = kRtpVersion << 6;
  out[1] = static_cast<std::uint8_t>((f.marker ? 0x80 : 0) | (f.payload_type & 0x7f));
  store_be16(&out[2], f.sequence);
  store_be32(&out[4], f.timestamp);
  store_be32(&out[8], f.ssrc);
  return kRtpFixedHeader;
}

}  // namespace floe::media
