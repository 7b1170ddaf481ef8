#include "gateway/webrtc/rtp_echo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "base/random.hpp"

namespace floe::webrtc {
namespace {

constexpr std::size_t kRtpHeader = 12;
constexpr Duration kReportInterval = seconds(1);  // RFC 3550 §6.2 allows less for 2 members

// NTP time of day (RFC 3550 §4): seconds since 1900 in 32.32 fixed point.
std::uint64_t ntp_now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
  const std::uint64_t secs = static_cast<std::uint64_t>(us / 1000000) + 2208988800ull;
  const std::uint64_t frac = (static_cast<std::uint64_t>(us % 1000000) << 32) / 1000000;
  return (secs << 32) | frac;
}

}  // namespace

RtpEchoStream::RtpEchoStream(std::uint32_t ssrc, std::uint32_t clock_rate, std::string cname)
    : ssrc_(ssrc), clock_rate_(clock_rate ? clock_rate : 8000), cname_(std::move(cname)) {
  if (cname_.size() > 255) cname_.resize(255);
}

std::uint32_t RtpEchoStream::rtp_now(Instant now) const {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - last_out_at_).count();
  return last_out_ts_ + static_cast<std::uint32_t>(us * static_cast<std::int64_t>(clock_rate_) /
                                                   1000000);
}

bool RtpEchoStream::rewrite(Instant now, std::span<std::uint8_t> p) {
  if (p.size() < kRtpHeader || (p[0] >> 6) != 2) {
    ++counters_.dropped_malformed;
    return false;
  }
  const std::uint8_t pt = p[1] & 0x7f;
  if (!allowed_[pt]) {
    ++counters_.dropped_pt;
    return false;
  }
  const std::uint16_t seq = load_be16(&p[2]);
  const std::uint32_t ts = load_be32(&p[4]);
  const std::uint32_t in_ssrc = load_be32(&p[8]);

  if (!started_ || in_ssrc != in_ssrc_) {
    if (!started_) {
      // RFC 3550 §5.1: random initial sequence number and timestamp.
      last_out_seq_ = static_cast<std::uint16_t>(random_u64());
      last_out_ts_ = static_cast<std::uint32_t>(random_u64());
      last_out_at_ = now;
      next_report_ = now + kReportInterval;
    } else {
      ++counters_.sender_restarts;
    }
    // A (re)started sender: continue right after what we last sent, with
    // the timestamp advanced by the wall time that passed.
    const std::uint32_t ts_out = started_ ? rtp_now(now) : last_out_ts_;
    seq_delta_ = static_cast<std::uint16_t>(last_out_seq_ + 1 - seq);
    ts_delta_ = ts_out - ts;
    in_ssrc_ = in_ssrc;
    started_ = true;
    base_seq_ = max_seq_ = seq;
    cycles_ = received_ = expected_prior_ = received_prior_ = 0;
    have_transit_ = false;
  }

  // Receiver statistics (RFC 3550 Appendix A.1 and A.8, simplified: no
  // probation, a jump just counts as loss).
  const std::uint16_t udelta = static_cast<std::uint16_t>(seq - max_seq_);
  if (udelta < 0x8000) {
    if (seq < max_seq_) cycles_ += 1u << 16;
    max_seq_ = seq;
  }
  ++received_;
  const auto arrival_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::int64_t arrival = arrival_us * static_cast<std::int64_t>(clock_rate_) / 1000000;
  const std::int64_t transit = arrival - static_cast<std::int64_t>(ts);
  if (have_transit_) {
    const auto diff = static_cast<std::int32_t>(transit - last_transit_);
    const double d = std::fabs(static_cast<double>(diff));
    jitter_ += (d - jitter_) / 16.0;
  }
  last_transit_ = transit;
  have_transit_ = true;

  const std::uint16_t out_seq = static_cast<std::uint16_t>(seq + seq_delta_);
  const std::uint32_t out_ts = ts + ts_delta_;
  store_be16(&p[2], out_seq);
  store_be32(&p[4], out_ts);
  store_be32(&p[8], ssrc_);
  if (static_cast<std::uint16_t>(out_seq - last_out_seq_) < 0x8000) {
    last_out_seq_ = out_seq;
    last_out_ts_ = out_ts;
    last_out_at_ = now;
  }
  ++packets_sent_;
  octets_sent_ += static_cast<std::uint32_t>(p.size() - kRtpHeader);
  ++counters_.packets;
  return true;
}

void RtpEchoStream::on_rtcp(Instant now, ByteView c) {
  ++counters_.reports_in;
  std::size_t off = 0;
  while (off + 4 <= c.size()) {
    const std::size_t len = (static_cast<std::size_t>(load_be16(&c[off + 2])) + 1) * 4;
    if ((c[off] >> 6) != 2 || off + len > c.size()) return;
    if (c[off + 1] == 200 && len >= 28) {  // SR: NTP timestamp at bytes 8..15
      last_sr_ = static_cast<std::uint32_t>(load_be32(&c[off + 8]) << 16 |
                                            load_be32(&c[off + 12]) >> 16);
      last_sr_at_ = now;
    }
    off += len;
  }
}

std::size_t RtpEchoStream::build_report(Instant now, std::span<std::uint8_t> out) {
  next_report_ = now + kReportInterval;
  const bool sender = packets_sent_ > 0;
  const bool block = received_ > 0;
  const std::size_t report_len = (sender ? 28 : 8) + (block ? 24 : 0);
  const std::size_t sdes_body = 4 + 2 + cname_.size() + 1;  // SSRC, type, len, text, END
  const std::size_t sdes_len = 4 + (sdes_body + 3) / 4 * 4;
  if (out.size() < report_len + sdes_len) return 0;
  std::fill(out.begin(), out.begin() + report_len + sdes_len, 0);

  std::uint8_t* p = out.data();
  p[0] = static_cast<std::uint8_t>(0x80 | (block ? 1 : 0));
  p[1] = sender ? 200 : 201;
  store_be16(p + 2, static_cast<std::uint16_t>(report_len / 4 - 1));
  store_be32(p + 4, ssrc_);
  std::size_t off = 8;
  if (sender) {
    const std::uint64_t ntp = ntp_now();
    store_be32(p + 8, static_cast<std::uint32_t>(ntp >> 32));
    store_be32(p + 12, static_cast<std::uint32_t>(ntp));
    store_be32(p + 16, rtp_now(now));
    store_be32(p + 20, packets_sent_);
    store_be32(p + 24, octets_sent_);
    off = 28;
  }
  if (block) {
    // RFC 3550 §6.4.1 report block about the browser's stream.
    const std::uint32_t ext_max = cycles_ + max_seq_;
    const std::uint32_t expected = ext_max - base_seq_ + 1;
    const std::int64_t lost = static_cast<std::int64_t>(expected) - received_;
    const std::uint32_t exp_int = expected - expected_prior_;
    const std::uint32_t rec_int = received_ - received_prior_;
    expected_prior_ = expected;
    received_prior_ = received_;
    const std::int64_t lost_int = static_cast<std::int64_t>(exp_int) - rec_int;
    const std::uint8_t fraction =
        exp_int == 0 || lost_int <= 0 ? 0 : static_cast<std::uint8_t>((lost_int << 8) / exp_int);
    const auto cum =
        static_cast<std::int32_t>(std::clamp<std::int64_t>(lost, -0x800000, 0x7fffff));
    store_be32(p + off, in_ssrc_);
    store_be32(p + off + 4, (static_cast<std::uint32_t>(fraction) << 24) |
                                (static_cast<std::uint32_t>(cum) & 0xffffff));
    store_be32(p + off + 8, ext_max);
    store_be32(p + off + 12, static_cast<std::uint32_t>(jitter_));
    store_be32(p + off + 16, last_sr_);
    std::uint32_t dlsr = 0;
    if (last_sr_ != 0) {
      const auto us =
          std::chrono::duration_cast<std::chrono::microseconds>(now - last_sr_at_).count();
      dlsr = static_cast<std::uint32_t>(us * 65536 / 1000000);
    }
    store_be32(p + off + 20, dlsr);
    off += 24;
  }
  // SDES with our CNAME (RFC 3550 §6.5.1), so the report is a valid compound.
  std::uint8_t* s = p + off;
  s[0] = 0x81;
  s[1] = 202;
  store_be16(s + 2, static_cast<std::uint16_t>(sdes_len / 4 - 1));
  store_be32(s + 4, ssrc_);
  s[8] = 1;  // CNAME
  s[9] = static_cast<std::uint8_t>(cname_.size());
  std::copy(cname_.begin(), cname_.end(), s + 10);
  ++counters_.reports_out;
  return report_len + sdes_len;
}

}  // namespace floe::webrtc
