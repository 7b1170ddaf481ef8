#include "gateway/media/stream_rewriter.hpp"

#include <cstdlib>

#include "gateway/media/media_clock.hpp"
#include "gateway/media/receive_stats.hpp"

namespace floe::media {
namespace {

// A source that keeps its SSRC but moves its sequence by more than RFC 3550
// A.1's MAX_DROPOUT forward or MAX_MISORDER back has restarted.
constexpr std::uint16_t kMaxDropout = ReceiveStats::kMaxDropout;
constexpr std::uint16_t kMaxMisorder = ReceiveStats::kMaxMisorder;
// A timestamp that strays this far from the wall time elapsed (a phone that
// freezes its clock over hold, a PBX splicing in another source) is re-anchored
// too; network jitter stays far below it.
constexpr Duration kMaxTimestampSkew = seconds(2);

}  // namespace

OutboundStream::OutboundStream(Instant start, std::uint32_t ssrc, std::uint32_t clock_rate,
                               std::uint16_t first_sequence, std::uint32_t first_timestamp)
    : ssrc_(ssrc),
      clock_rate_(clock_rate ? clock_rate : 8000),
      last_seq_(static_cast<std::uint16_t>(first_sequence - 1)),
      clock_ts_(first_timestamp),
      clock_at_(start) {
  pt_map_.fill(-1);
}

void OutboundStream::map_payload_type(std::uint8_t in, std::uint8_t out) {
  pt_map_[in & 0x7f] = static_cast<std::int16_t>(out & 0x7f);
}
void OutboundStream::unmap_payload_type(std::uint8_t in) { pt_map_[in & 0x7f] = -1; }
void OutboundStream::clear_payload_types() { pt_map_.fill(-1); }

std::optional<std::uint8_t> OutboundStream::mapped(std::uint8_t in) const {
  const auto v = pt_map_[in & 0x7f];
  if (v < 0) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

std::uint32_t OutboundStream::timestamp_at(Instant t) const {
  return clock_ts_ + static_cast<std::uint32_t>(to_ticks(t - clock_at_, clock_rate_));
}

void OutboundStream::anchor(Instant now, std::uint16_t in_seq, std::uint32_t in_ts) {
  const std::uint16_t out_seq = static_cast<std::uint16_t>(last_seq_ + 1);
  const std::uint32_t out_ts = timestamp_at(now);
  seq_offset_ = static_cast<std::uint16_t>(out_seq - in_seq);
  ts_offset_ = out_ts - in_ts;
  in_max_seq_ = in_seq;
  in_last_ts_ = in_ts;
  in_last_at_ = now;
  anchor_in_seq_ = in_seq;
  anchor_after_output_ = counters_.packets != 0;
  have_source_ = true;
}

bool OutboundStream::jumped(Instant now, std::uint16_t in_seq, std::uint32_t in_ts) const {
  const std::uint16_t udelta = static_cast<std::uint16_t>(in_seq - in_max_seq_);
  if (udelta >= kMaxDropout && udelta <= 0xffff - kMaxMisorder + 1) return true;
  if (udelta == 0 || udelta >= kMaxDropout) return false;  // duplicate or reordered
  const std::int64_t expected = to_ticks(now - in_last_at_, clock_rate_);
  const std::int64_t actual = static_cast<std::int32_t>(in_ts - in_last_ts_);
  return std::llabs(actual - expected) > to_ticks(kMaxTimestampSkew, clock_rate_);
}

bool OutboundStream::rewrite(Instant now, RtpPacket& p) {
  const auto pt = mapped(p.payload_type());
  if (!pt) {
    ++counters_.dropped_payload_type;
    return false;
  }
  const std::uint32_t in_ssrc = p.ssrc();
  const std::uint16_t in_seq = p.sequence();
  const std::uint32_t in_ts = p.timestamp();
  bool marker = p.marker();
  if (!have_source_ || in_ssrc != in_ssrc_) {
    if (have_source_) ++counters_.source_switches;
    in_ssrc_ = in_ssrc;
    anchor(now, in_seq, in_ts);
    marker = true;
  } else if (jumped(now, in_seq, in_ts)) {
    ++counters_.source_jumps;
    anchor(now, in_seq, in_ts);
    marker = true;
  } else if (anchor_after_output_ && seq_newer(anchor_in_seq_, in_seq)) {
    // Reordered from before the anchor: its place in our sequence was given
    // to the packets that followed the switch (or to our own events).
    ++counters_.dropped_stale;
    return false;
  } else if (local_since_forward_) {
    // Our own packets took sequence numbers: continue right after them, and
    // mark the talkspurt that follows an event (RFC 4733 §2.5.1.3 replaces
    // the audio it overlaps, so the forwarded stream resumes afresh).
    anchor(now, in_seq, in_ts);
    marker = true;
  }
  local_since_forward_ = false;
  if (seq_newer(in_seq, in_max_seq_)) {
    in_max_seq_ = in_seq;
    in_last_ts_ = in_ts;
    in_last_at_ = now;
  }
  const std::uint16_t out_seq = static_cast<std::uint16_t>(in_seq + seq_offset_);
  const std::uint32_t out_ts = in_ts + ts_offset_;
  if (seq_newer(out_seq, last_seq_) || counters_.packets == 0) {
    last_seq_ = out_seq;
    clock_ts_ = out_ts;
    clock_at_ = now;
  }
  p.set_ssrc(ssrc_);
  p.set_payload_type(*pt);
  p.set_sequence(out_seq);
  p.set_timestamp(out_ts);
  p.set_marker(marker);
  ++counters_.packets;
  counters_.payload_octets += p.payload_size();
  last_sent_at_ = now;
  return true;
}

bool OutboundStream::stamp_local(std::span<std::uint8_t> packet, std::uint8_t payload_type,
                                 bool marker, std::uint32_t timestamp) {
  const std::uint16_t seq = static_cast<std::uint16_t>(last_seq_ + 1);
  RtpHeaderFields f{marker, payload_type, seq, timestamp, ssrc_};
  if (write_rtp_header(packet, f) == 0) return false;
  last_seq_ = seq;
  local_since_forward_ = true;
  ++counters_.packets;
  ++counters_.local_packets;
  counters_.payload_octets += packet.size() - kRtpFixedHeader;
  return true;
}

}  // namespace floe::media
