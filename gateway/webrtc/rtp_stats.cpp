#include "gateway/webrtc/rtp_stats.hpp"

#include <chrono>
#include <cmath>

namespace floe::webrtc {
namespace {
constexpr std::size_t kRtpHeader = 12;
constexpr std::size_t kReportBlock = 24;
}  // namespace

std::uint64_t ntp_time_now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
  const std::uint64_t secs = static_cast<std::uint64_t>(us / 1000000) + 2208988800ull;
  const std::uint64_t frac = (static_cast<std::uint64_t>(us % 1000000) << 32) / 1000000;
  return (secs << 32) | frac;
}

void RtpReceiveStats::on_rtp(Instant now, ByteView p, std::uint32_t clock_rate) {
  if (p.size() < kRtpHeader || (p[0] >> 6) != 2) return;
  ++packets_;
  bytes_ += p.size();
  const std::uint16_t seq = load_be16(&p[2]);
  const std::uint32_t ts = load_be32(&p[4]);
  const std::uint32_t ssrc = load_be32(&p[8]);
  if (!started_ || ssrc != ssrc_) {
    // A new (or restarted) sender: its figures start over (RFC 3550 A.1
    // init_seq), without the probation a fresh source would get.
    started_ = true;
    ssrc_ = ssrc;
    base_seq_ = max_seq_ = seq;
    cycles_ = 0;
    received_ = 0;
    jitter_ = 0;
    have_transit_ = false;
  }
  const std::uint16_t udelta = static_cast<std::uint16_t>(seq - max_seq_);
  if (udelta < 0x8000) {
    if (seq < max_seq_) cycles_ += 1u << 16;
    max_seq_ = seq;
  }
  ++received_;
  if (clock_rate == 0) return;
  // RFC 3550 A.8: transit = arrival - timestamp, both in timestamp units.
  if (clock_rate_ != clock_rate) {
    clock_rate_ = clock_rate;
    have_transit_ = false;
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::int64_t arrival = us * static_cast<std::int64_t>(clock_rate) / 1000000;
  const std::int64_t transit = arrival - static_cast<std::int64_t>(ts);
  if (have_transit_) {
    std::int64_t d = transit - last_transit_;
    if (d < 0) d = -d;
    // A timestamp wrap or a jump makes d absurd; it is not jitter.
    if (d < static_cast<std::int64_t>(clock_rate) * 10) jitter_ += (static_cast<double>(d) - jitter_) / 16.0;
  }
  last_transit_ = transit;
  have_transit_ = true;
}

std::uint64_t RtpReceiveStats::expected() const {
  if (!started_) return 0;
  return static_cast<std::uint64_t>(cycles_) + max_seq_ - base_seq_ + 1;
}

std::int64_t RtpReceiveStats::lost() const {
  return static_cast<std::int64_t>(expected()) - static_cast<std::int64_t>(received_);
}

double RtpReceiveStats::jitter_ms() const {
  return clock_rate_ ? jitter_ * 1000.0 / clock_rate_ : 0.0;
}

void RtpReceiveStats::on_rtcp(ByteView c, std::uint32_t local_ssrc, std::uint64_t ntp_now) {
  ++rtcp_packets_;
  std::size_t pos = 0;
  // RFC 3550 §6.1: a compound packet is a run of packets, each with its
  // length in 32-bit words minus one.
  while (pos + 8 <= c.size()) {
    const std::uint8_t* h = &c[pos];
    if ((h[0] >> 6) != 2) return;
    const std::size_t len = (static_cast<std::size_t>(load_be16(h + 2)) + 1) * 4;
    if (pos + len > c.size()) return;
    const std::uint8_t pt = h[1];
    const std::size_t count = h[0] & 0x1f;
    std::size_t blocks_at = 0;
    if (pt == 200) blocks_at = 28;       // SR: sender info before the blocks
    else if (pt == 201) blocks_at = 8;   // RR
    if (blocks_at && blocks_at + count * kReportBlock <= len) {
      for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* b = h + blocks_at + i * kReportBlock;
        if (load_be32(b) != local_ssrc) continue;
        remote_fraction_lost_ = b[4] / 256.0;
        std::int32_t cum = (static_cast<std::int32_t>(b[5]) << 16) | (b[6] << 8) | b[7];
        if (cum & 0x800000) cum -= 0x1000000;  // 24-bit two's complement
        remote_lost_ = cum;
        if (clock_rate_) remote_jitter_ms_ = load_be32(b + 12) * 1000.0 / clock_rate_;
        const std::uint32_t lsr = load_be32(b + 16);
        const std::uint32_t dlsr = load_be32(b + 20);
        if (lsr != 0) {
          // §6.4.1: RTT = A - LSR - DLSR in units of 1/65536 s.
          const std::uint32_t a = static_cast<std::uint32_t>(ntp_now >> 16);
          const std::uint32_t rtt = a - lsr - dlsr;
          if (rtt < (60u << 16)) rtt_ms_ = rtt * 1000.0 / 65536.0;
        }
      }
    }
    pos += len;
  }
}

}  // namespace floe::webrtc
