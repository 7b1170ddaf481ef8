#pragma once
// Receive-side statistics of one browser leg, as RFC 3550 defines them for
// reception reports: packets expected and lost from the extended highest
// sequence number (Appendix A.3), interarrival jitter (§6.4.1, Appendix
// A.8), and the round-trip time a reception report about our own stream
// yields (§6.4.1: A - LSR - DLSR). Read on the media path: no allocation.
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/time.hpp"

namespace floe::webrtc {

// NTP time of day (RFC 3550 §4), seconds since 1900 in 32.32 fixed point,
// from the system clock: the clock our SRs carry, so LSR in the browser's
// reports can be compared with it.
std::uint64_t ntp_time_now();

class RtpReceiveStats {
 public:
  // A plain RTP packet from the browser. `clock_rate` of its payload type
  // (0: do not update jitter, e.g. telephone-event at another rate).
  void on_rtp(Instant now, ByteView packet, std::uint32_t clock_rate);
  // A plain RTCP compound from the browser; a report block about
  // `local_ssrc` yields its loss figures and the RTT.
  void on_rtcp(ByteView compound, std::uint32_t local_ssrc, std::uint64_t ntp_now);

  std::uint64_t packets() const { return packets_; }
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t rtcp_packets() const { return rtcp_packets_; }
  // Since the browser's SSRC last (re)started.
  std::uint64_t expected() const;
  std::int64_t lost() const;  // may be negative with duplicates (RFC 3550 A.3)
  double jitter_ms() const;
  std::optional<double> rtt_ms() const { return rtt_ms_; }
  // The browser's view of our stream, from its last report block.
  std::optional<double> remote_fraction_lost() const { return remote_fraction_lost_; }
  std::optional<std::int64_t> remote_cumulative_lost() const { return remote_lost_; }
  std::optional<double> remote_jitter_ms() const { return remote_jitter_ms_; }

 private:
  std::uint64_t packets_ = 0, bytes_ = 0, rtcp_packets_ = 0;
  bool started_ = false;
  std::uint32_t ssrc_ = 0;
  std::uint16_t base_seq_ = 0, max_seq_ = 0;
  std::uint32_t cycles_ = 0;
  std::uint64_t received_ = 0;
  std::uint32_t clock_rate_ = 0;
  double jitter_ = 0;  // in timestamp units
  std::int64_t last_transit_ = 0;
  bool have_transit_ = false;
  std::optional<double> rtt_ms_;
  std::optional<double> remote_fraction_lost_;
  std::optional<std::int64_t> remote_lost_;
  std::optional<double> remote_jitter_ms_;
};

}  // namespace floe::webrtc
