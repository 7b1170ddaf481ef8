#pragma once
// Reception statistics for one received RTP stream (RFC 3550 Appendix A):
// sequence tracking with probation and restart detection (A.1), expected and
// lost counts and the fraction lost per report interval (A.3), interarrival
// jitter (A.8), and the LSR/DLSR bookkeeping (§6.4.1) that lets the sender
// compute the round-trip time. Produces the report block the bridge puts in
// the RTCP it sends on the same leg. No allocation; integer arithmetic only.
#include <cstdint>

#include "base/time.hpp"
#include "gateway/media/report_block.hpp"

namespace floe::media {

struct ReceiveCounters {
  std::uint64_t packets = 0;        // all packets seen (valid or not)
  std::uint64_t probation = 0;      // held back while a new source proves itself (A.1)
  std::uint64_t bad_sequence = 0;   // big jump, waiting for the confirming packet (A.1)
  std::uint64_t restarts = 0;       // source restarted (confirmed jump or new SSRC)
  std::uint64_t duplicates_or_reordered = 0;  // behind max_seq, within MAX_MISORDER
  std::uint64_t sender_reports = 0;
};

class ReceiveStats {
 public:
  // `clock_rate` of the payload (8000 for PCMU/telephone-event at 8 kHz,
  // 48000 for Opus): jitter is measured in its timestamp units.
  explicit ReceiveStats(std::uint32_t clock_rate);

  // A received RTP packet (after the source filter and SRTP unprotect).
  // Returns true when RFC 3550 A.1 counts it as valid; false while a new
  // source is on probation or after an unconfirmed jump. The bridge forwards
  // either way: this is statistics, not admission. Pass `timing = false` for
  // packets whose timestamp is not their sampling instant -- RFC 4733 event
  // packets all carry the event's start -- so they count toward sequence and
  // loss but not toward jitter (A.8 would read them as growing delay).
  bool on_rtp(Instant arrival, std::uint32_t ssrc, std::uint16_t sequence,
              std::uint32_t rtp_timestamp, bool timing = true);

  // An SR from the sender of this stream: `ntp` is its 64-bit NTP timestamp.
  void on_sender_report(Instant arrival, std::uint32_t ssrc, std::uint64_t ntp);

  // The report block for an RR/SR sent at `now`. Starts a new interval for
  // the fraction lost (A.3), so call it once per report sent.
  ReportBlock make_report_block(Instant now);

  bool has_source() const { return have_source_; }
  // True when a packet arrived since the last report block: RFC 3550 §6.4
  // puts a block only for sources heard from since the previous report.
  bool received_since_report() const { return received_ != received_prior_; }
  std::uint32_t ssrc() const { return ssrc_; }
  std::uint32_t extended_max_sequence() const { return cycles_ + max_seq_; }
  std::uint32_t expected() const;
  std::int64_t lost() const;          // may be negative with duplicates (A.3)
  std::uint32_t received() const { return received_; }
  std::uint32_t jitter() const { return jitter_ >> 4; }  // timestamp units
  Instant last_arrival() const { return last_arrival_; }
  const ReceiveCounters& counters() const { return counters_; }

  // A.1 constants.
  static constexpr std::uint16_t kMaxDropout = 3000;
  static constexpr std::uint16_t kMaxMisorder = 100;
  static constexpr int kMinSequential = 2;

 private:
  void init_sequence(std::uint16_t seq);
  bool update_sequence(std::uint16_t seq);
  void update_jitter(Instant arrival, std::uint32_t rtp_timestamp);

  std::uint32_t clock_rate_;
  bool have_source_ = false;
  std::uint32_t ssrc_ = 0;
  // A.1 source state, named as in the RFC.
  std::uint16_t max_seq_ = 0;
  std::uint32_t cycles_ = 0;
  std::uint32_t base_seq_ = 0;
  std::uint32_t bad_seq_ = 0;
  int probation_ = 0;
  std::uint32_t received_ = 0;
  std::uint32_t expected_prior_ = 0;
  std::uint32_t received_prior_ = 0;
  // A.8: transit in timestamp units relative to `epoch_`, jitter scaled by 16.
  Instant epoch_{};
  bool have_transit_ = false;
  std::uint32_t transit_ = 0;
  std::uint32_t jitter_ = 0;
  Instant last_arrival_{};
  // §6.4.1 LSR/DLSR.
  std::uint32_t last_sr_ = 0;
  Instant last_sr_at_{};
  bool have_sr_ = false;
  ReceiveCounters counters_;
};

}  // namespace floe::media
