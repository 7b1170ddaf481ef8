#include "gateway/media/receive_stats.hpp"

#include <algorithm>

#include "gateway/media/media_clock.hpp"

namespace floe::media {
namespace {
constexpr std::uint32_t kSeqMod = 1u << 16;
}

ReceiveStats::ReceiveStats(std::uint32_t clock_rate) : clock_rate_(clock_rate ? clock_rate : 8000) {}

// A.1 init_seq().
void ReceiveStats::init_sequence(std::uint16_t seq) {
  base_seq_ = seq;
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;  // so seq == bad_seq is false
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
}

// A.1 update_seq(): true when the packet counts.
bool ReceiveStats::update_sequence(std::uint16_t seq) {
  const std::uint16_t udelta = static_cast<std::uint16_t>(seq - max_seq_);
  if (probation_ > 0) {
    // A new source must show kMinSequential packets in order first.
    if (seq == static_cast<std::uint16_t>(max_seq_ + 1)) {
      --probation_;
      max_seq_ = seq;
      if (probation_ == 0) {
        init_sequence(seq);
        ++received_;
        return true;
      }
    } else {
      probation_ = kMinSequential - 1;
      max_seq_ = seq;
    }
    ++counters_.probation;
    return false;
  }
  if (udelta == 0) {
    ++counters_.duplicates_or_reordered;  // counted as received, as A.1 does
  } else if (udelta < kMaxDropout) {
    if (seq < max_seq_) cycles_ += kSeqMod;  // wrapped
    max_seq_ = seq;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // A very large jump: believe it only when the next packet follows it
    // (the source restarted without changing SSRC).
    if (seq == bad_seq_) {
      ++counters_.restarts;
      init_sequence(seq);
    } else {
      bad_seq_ = (seq + 1u) & (kSeqMod - 1);
      ++counters_.bad_sequence;
      return false;
    }
  } else {
    ++counters_.duplicates_or_reordered;
  }
  ++received_;
  return true;
}

// A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16, kept scaled
// by 16 in an integer as the RFC's second form does.
void ReceiveStats::update_jitter(Instant arrival, std::uint32_t rtp_timestamp) {
  const auto arrival_ticks = static_cast<std::uint32_t>(to_ticks(arrival - epoch_, clock_rate_));
  const std::uint32_t transit = arrival_ticks - rtp_timestamp;
  if (have_transit_) {
    std::int32_t d = static_cast<std::int32_t>(transit - transit_);
    if (d < 0) d = -d;
    jitter_ += static_cast<std::uint32_t>(d) - ((jitter_ + 8) >> 4);
  }
  transit_ = transit;
  have_transit_ = true;
}

bool ReceiveStats::on_rtp(Instant arrival, std::uint32_t ssrc, std::uint16_t seq,
                          std::uint32_t rtp_timestamp, bool timing) {
  ++counters_.packets;
  last_arrival_ = arrival;
  if (!have_source_ || ssrc != ssrc_) {
    if (have_source_) ++counters_.restarts;
    // A.1: a new source starts on probation with max_seq one before it.
    have_source_ = true;
    ssrc_ = ssrc;
    init_sequence(seq);
    max_seq_ = static_cast<std::uint16_t>(seq - 1);
    probation_ = kMinSequential;
    epoch_ = arrival;
    have_transit_ = false;
    jitter_ = 0;
    have_sr_ = false;
  }
  const bool valid = update_sequence(seq);
  // Jitter from every packet that passed the sequence checks; a duplicate
  // gives D = 0-ish noise the filter absorbs, as the RFC accepts. After an
  // event run the next audio packet restarts the transit reference.
  if (valid && timing) update_jitter(arrival, rtp_timestamp);
  if (!timing) have_transit_ = false;
  return valid;
}

void ReceiveStats::on_sender_report(Instant arrival, std::uint32_t ssrc, std::uint64_t ntp) {
  if (have_source_ && ssrc != ssrc_) return;  // an SR about another stream
  ++counters_.sender_reports;
  last_sr_ = static_cast<std::uint32_t>(ntp >> 16);
  last_sr_at_ = arrival;
  have_sr_ = true;
}

std::uint32_t ReceiveStats::expected() const {
  if (!have_source_ || probation_ > 0) return 0;
  return extended_max_sequence() - base_seq_ + 1;
}

std::int64_t ReceiveStats::lost() const {
  return static_cast<std::int64_t>(expected()) - static_cast<std::int64_t>(received_);
}

ReportBlock ReceiveStats::make_report_block(Instant now) {
  ReportBlock b;
  b.ssrc = ssrc_;
  // A.3.
  const std::uint32_t expected_now = expected();
  const std::int64_t lost_total = lost();
  b.cumulative_lost = static_cast<std::int32_t>(std::clamp<std::int64_t>(lost_total, -0x800000, 0x7fffff));
  const std::uint32_t expected_interval = expected_now - expected_prior_;
  expected_prior_ = expected_now;
  const std::uint32_t received_interval = received_ - received_prior_;
  received_prior_ = received_;
  const std::int64_t lost_interval =
      static_cast<std::int64_t>(expected_interval) - static_cast<std::int64_t>(received_interval);
  if (expected_interval != 0 && lost_interval > 0)
    b.fraction_lost =
        static_cast<std::uint8_t>(std::min<std::int64_t>(255, (lost_interval << 8) / expected_interval));
  b.extended_highest_sequence = extended_max_sequence();
  b.jitter = jitter();
  if (have_sr_) {
    b.last_sr = last_sr_;
    b.delay_since_last_sr = to_ntp_short(now - last_sr_at_);
  }
  return b;
}

}  // namespace floe::media
