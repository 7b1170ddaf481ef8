#pragma once
// A view over one RTP packet held in caller memory (RFC 3550 §5.1). Parsing
// checks every length against the buffer (the validity checks of RFC 3550
// Appendix A.1 that need no state); setters rewrite header fields in place,
// so the bridge forwards a packet without copying its payload.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/bytes.hpp"

namespace floe::media {

inline constexpr std::size_t kRtpFixedHeader = 12;
inline constexpr std::uint8_t kRtpVersion = 2;

// Why a datagram is not an RTP packet; one counter per reason.
enum class RtpParseError : std::uint8_t {
  None = 0,
  TooShort,          // < 12 bytes
  BadVersion,        // V != 2
  CsrcOverrun,       // CC * 4 runs past the end
  ExtensionOverrun,  // X set and the extension header/length runs past the end
  BadPadding,        // P set and the count is 0 or covers the header
};
inline constexpr std::size_t kRtpParseErrorCount = 6;
const char* to_string(RtpParseError e);

// RFC 5761 §4: with rtcp-mux the second byte tells RTP from RTCP. RTCP packet
// types 192-223 (FIR..XR range) read as marker + payload type 64-95, which
// RTP must not use; so a second byte in [192, 223] is RTCP.
inline bool looks_like_rtcp(ByteView datagram) {
  return datagram.size() >= 2 && (datagram[0] >> 6) == kRtpVersion && datagram[1] >= 192 &&
         datagram[1] <= 223;
}
// RFC 7983 first-byte range 128-191 and not RTCP per RFC 5761.
inline bool looks_like_rtp(ByteView datagram) {
  return datagram.size() >= kRtpFixedHeader && (datagram[0] >> 6) == kRtpVersion &&
         !looks_like_rtcp(datagram);
}

class RtpPacket {
 public:
  // Validates the header and padding of `bytes` (the whole datagram, after
  // SRTP unprotect when it was SRTP). The view keeps pointing into `bytes`.
  static std::optional<RtpPacket> parse(std::span<std::uint8_t> bytes,
                                        RtpParseError* error = nullptr);

  bool padding() const { return (bytes_[0] & 0x20) != 0; }
  bool has_extension() const { return (bytes_[0] & 0x10) != 0; }
  std::uint8_t csrc_count() const { return bytes_[0] & 0x0f; }
  bool marker() const { return (bytes_[1] & 0x80) != 0; }
  std::uint8_t payload_type() const { return bytes_[1] & 0x7f; }
  std::uint16_t sequence() const { return load_be16(&bytes_[2]); }
  std::uint32_t timestamp() const { return load_be32(&bytes_[4]); }
  std::uint32_t ssrc() const { return load_be32(&bytes_[8]); }
  std::uint32_t csrc(std::size_t i) const { return load_be32(&bytes_[12 + 4 * i]); }

  // RFC 3550 §5.3.1 header extension: the 16-bit "defined by profile" word
  // (0xBEDE for RFC 8285 one-byte, 0x100x for two-byte) and its data. The
  // bridge does not interpret elements; it forwards or strips by length.
  std::uint16_t extension_profile() const;
  ByteView extension_data() const;

  // Fixed header + CSRCs + extension.
  std::size_t header_size() const { return header_size_; }
  // Between the header and the padding.
  ByteView payload() const { return {bytes_.data() + header_size_, payload_size_}; }
  std::span<std::uint8_t> mutable_payload() { return {bytes_.data() + header_size_, payload_size_}; }
  std::size_t payload_size() const { return payload_size_; }
  std::size_t padding_size() const { return bytes_.size() - header_size_ - payload_size_; }
  std::size_t size() const { return bytes_.size(); }
  std::span<std::uint8_t> bytes() const { return bytes_; }

  // Removes the header extension in place (the payload and padding move up;
  // X is cleared), for a leg that did not negotiate the browser's RFC 8285
  // extensions. The view shrinks: send bytes() afterwards.
  void strip_extension();

  void set_marker(bool m) { bytes_[1] = static_cast<std::uint8_t>((bytes_[1] & 0x7f) | (m ? 0x80 : 0)); }
  void set_payload_type(std::uint8_t pt) {
    bytes_[1] = static_cast<std::uint8_t>((bytes_[1] & 0x80) | (pt & 0x7f));
  }
  void set_sequence(std::uint16_t s) { store_be16(&bytes_[2], s); }
  void set_timestamp(std::uint32_t t) { store_be32(&bytes_[4], t); }
  void set_ssrc(std::uint32_t s) { store_be32(&bytes_[8], s); }

 private:
  RtpPacket(std::span<std::uint8_t> b, std::size_t header, std::size_t payload)
      : bytes_(b), header_size_(header), payload_size_(payload) {}
  std::span<std::uint8_t> bytes_;
  std::size_t header_size_;
  std::size_t payload_size_;
};

// The fields of a 12-byte header with no CSRC, extension or padding, for
// packets we originate (RFC 4733 events).
struct RtpHeaderFields {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
};
// Writes the 12 header bytes at the start of `out`; returns 12, or 0 when
// `out` is shorter.
std::size_t write_rtp_header(std::span<std::uint8_t> out, const RtpHeaderFields& fields);

// Serial-number arithmetic (RFC 1982) on 16-bit sequence numbers: true when
// `a` comes after `b` in the window of 2^15.
inline bool seq_newer(std::uint16_t a, std::uint16_t b) {
  return a != b && static_cast<std::uint16_t>(a - b) < 0x8000;
}

}  // namespace floe::media
