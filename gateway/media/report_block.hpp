#pragma once
// The RTCP reception report block (RFC 3550 §6.4.1), shared by the receive
// statistics that produce it and the RTCP codec that reads and writes it.
#include <cstddef>
#include <cstdint>

namespace floe::media {

inline constexpr std::size_t kReportBlockSize = 24;

struct ReportBlock {
  std::uint32_t ssrc = 0;            // the source this block reports on
  std::uint8_t fraction_lost = 0;    // 8-bit fixed point, since the previous report
  std::int32_t cumulative_lost = 0;  // 24-bit signed on the wire (clamped)
  std::uint32_t extended_highest_sequence = 0;  // cycles << 16 | max seq
  std::uint32_t jitter = 0;          // interarrival jitter, timestamp units
  std::uint32_t last_sr = 0;         // LSR: middle 32 bits of the last SR's NTP time
  std::uint32_t delay_since_last_sr = 0;  // DLSR, 1/65536 s
  bool operator==(const ReportBlock&) const = default;
};

}  // namespace floe::media
