#pragma once
// The echo target's media rewriting, per m-line. A browser only plays an
// incoming stream as a remote track when it looks like one: the SSRC must
// be ours (signalled in the answer's a=ssrc, RFC 5576), not its own sender's,
// and sequence numbers and timestamps must run on without jumps when the
// browser's sender restarts (RFC 3550 §5.1). Payload types stay as
// negotiated (the answer echoes the offer's numbers). RTCP is terminated:
// the browser's reports describe its own stream and are never looped back
// (it would read them as reports about a stream it does not receive);
// instead we send our own SR (RFC 3550 §6.4.1) with a report block about
// what we received, so the browser can compute RTT and loss.
#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "base/bytes.hpp"
#include "base/time.hpp"

namespace floe::webrtc {

struct RtpEchoCounters {
  std::uint64_t packets = 0;
  std::uint64_t dropped_pt = 0;       // payload type not negotiated
  std::uint64_t dropped_malformed = 0;
  std::uint64_t sender_restarts = 0;  // the browser's SSRC changed
  std::uint64_t reports_in = 0;
  std::uint64_t reports_out = 0;
};

class RtpEchoStream {
 public:
  RtpEchoStream(std::uint32_t ssrc, std::uint32_t clock_rate, std::string cname);

  // Payload types the answer accepted for this m-line.
  void allow_payload_type(std::uint8_t pt) { allowed_[pt] = true; }

  // Rewrites a plain RTP packet in place for sending back; false: drop it.
  bool rewrite(Instant now, std::span<std::uint8_t> packet);
  // Reads a plain RTCP compound packet from the browser (its SR time for our
  // report block's LSR/DLSR, RFC 3550 §6.4.1).
  void on_rtcp(Instant now, ByteView compound);

  // Writes our SR (or RR before we sent anything) and an SDES CNAME into
  // `out`; returns the length, 0 when `out` is too small.
  std::size_t build_report(Instant now, std::span<std::uint8_t> out);
  Instant next_report() const { return next_report_; }

  std::uint32_t ssrc() const { return ssrc_; }
  const RtpEchoCounters& counters() const { return counters_; }

 private:
  std::uint32_t rtp_now(Instant now) const;

  std::uint32_t ssrc_;
  std::uint32_t clock_rate_;
  std::string cname_;
  std::array<bool, 128> allowed_{};

  // Outbound continuity.
  bool started_ = false;
  std::uint32_t in_ssrc_ = 0;
  std::uint16_t seq_delta_ = 0;
  std::uint32_t ts_delta_ = 0;
  std::uint16_t last_out_seq_ = 0;
  std::uint32_t last_out_ts_ = 0;
  Instant last_out_at_{};
  std::uint32_t packets_sent_ = 0;
  std::uint32_t octets_sent_ = 0;

  // What we received (the report block about the browser's stream).
  std::uint16_t base_seq_ = 0;
  std::uint32_t cycles_ = 0;
  std::uint16_t max_seq_ = 0;
  std::uint32_t received_ = 0;
  std::uint32_t expected_prior_ = 0, received_prior_ = 0;
  double jitter_ = 0;
  std::int64_t last_transit_ = 0;
  bool have_transit_ = false;
  std::uint32_t last_sr_ = 0;  // middle 32 bits of the browser's SR NTP time
  Instant last_sr_at_{};

  Instant next_report_{};
  RtpEchoCounters counters_;
};

}  // namespace floe::webrtc
