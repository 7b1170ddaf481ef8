#pragma once
// OutboundStream: what one direction of the bridge sends. The receiver sees a
// single RTP source (our SSRC) whose sequence numbers and timestamps run on
// without jumps, whatever happens upstream: the far sender changes SSRC
// (re-INVITE to another phone, browser track replaced), restarts, or jumps
// its sequence (a PBX switching music-on-hold to a phone). Jumps matter
// beyond cosmetics: libsrtp guesses the packet index from the sequence number
// and refuses a forward jump of 2^15 or more as a replay from the previous
// rollover (tests/srtp_continuity_test.cpp), and jitter buffers reset on them.
//
// Continuity rule (RFC 3550 §5.1, §8.2 translator duties): when a new source
// starts, its first packet gets last_out_seq + 1 and a timestamp advanced
// from the last one sent by the wall time elapsed times the clock rate; the
// marker bit is set on it so the receiver treats it as a talkspurt start.
// After that, offsets are fixed, so reordering and loss pass through intact.
#include <array>
#include <cstdint>

#include "base/time.hpp"
#include "gateway/media/rtp.hpp"

namespace floe::media {

struct OutboundCounters {
  std::uint64_t packets = 0;        // sent (forwarded + local)
  std::uint64_t payload_octets = 0; // RFC 3550 §6.4.1 sender's octet count
  std::uint64_t local_packets = 0;  // originated here (RFC 4733 events)
  std::uint64_t dropped_payload_type = 0;  // PT not in the map
  std::uint64_t source_switches = 0;       // incoming SSRC changed
  std::uint64_t source_jumps = 0;          // same SSRC, sequence/timestamp jumped
  std::uint64_t dropped_stale = 0;  // late packet from before a re-anchor: its
                                    // sequence number would repeat one we sent
};

class OutboundStream {
 public:
  // `ssrc` is the SSRC we announce to this leg; `first_sequence` and
  // `first_timestamp` should be random (RFC 3550 §5.1). `start` is when the
  // stream exists: the timestamp clock runs from it.
  OutboundStream(Instant start, std::uint32_t ssrc, std::uint32_t clock_rate,
                 std::uint16_t first_sequence, std::uint32_t first_timestamp);

  // Payload types: incoming PT -> outgoing PT as negotiated on each leg
  // (e.g. browser Opus 111 -> trunk 96, PCMU 0 -> 0). Unmapped PTs drop.
  void map_payload_type(std::uint8_t in, std::uint8_t out);
  void unmap_payload_type(std::uint8_t in);
  void clear_payload_types();
  std::optional<std::uint8_t> mapped(std::uint8_t in) const;

  // Rewrites a forwarded packet in place (SSRC, PT, sequence, timestamp,
  // marker). false: drop it (counted). CSRCs and extensions are left as they
  // are; the caller may strip extensions the other leg did not negotiate.
  bool rewrite(Instant now, RtpPacket& packet);

  // Stamps a packet we originate (an RFC 4733 event): writes a 12-byte
  // header at the front of `packet` with our SSRC, the next sequence number,
  // `payload_type` (already the outgoing PT), `marker` and `timestamp`.
  // The next forwarded packet continues right after it (re-anchored, with
  // the marker set). Returns false when `packet` is shorter than 12 bytes.
  bool stamp_local(std::span<std::uint8_t> packet, std::uint8_t payload_type, bool marker,
                   std::uint32_t timestamp);

  // The RTP timestamp that corresponds to `t` on this stream's clock:
  // extrapolated from the last forwarded packet (or the start). Used for
  // SR (RFC 3550 §6.4.1 "RTP timestamp") and for an event's timestamp.
  std::uint32_t timestamp_at(Instant t) const;

  std::uint32_t ssrc() const { return ssrc_; }
  std::uint32_t clock_rate() const { return clock_rate_; }
  bool has_sent() const { return counters_.packets != 0; }
  std::uint16_t last_sequence() const { return last_seq_; }
  Instant last_sent_at() const { return last_sent_at_; }
  // SR sender info counts wrap at 2^32 (RFC 3550 §6.4.1).
  std::uint32_t packet_count() const { return static_cast<std::uint32_t>(counters_.packets); }
  std::uint32_t octet_count() const { return static_cast<std::uint32_t>(counters_.payload_octets); }
  const OutboundCounters& counters() const { return counters_; }

 private:
  void anchor(Instant now, std::uint16_t in_seq, std::uint32_t in_ts);
  bool jumped(Instant now, std::uint16_t in_seq, std::uint32_t in_ts) const;

  std::uint32_t ssrc_;
  std::uint32_t clock_rate_;
  std::array<std::int16_t, 128> pt_map_;  // -1: unmapped

  // Current incoming source and the offsets that map it onto ours.
  bool have_source_ = false;
  std::uint32_t in_ssrc_ = 0;
  std::uint16_t in_max_seq_ = 0;   // highest incoming sequence (serial order)
  std::uint32_t in_last_ts_ = 0;   // timestamp of that packet
  Instant in_last_at_{};
  std::uint16_t seq_offset_ = 0;
  std::uint32_t ts_offset_ = 0;
  std::uint16_t anchor_in_seq_ = 0;  // first incoming sequence of this segment
  bool anchor_after_output_ = false;  // numbers before the anchor were used
  bool local_since_forward_ = false;

  // What we last sent (highest sequence) and the timestamp clock anchor.
  std::uint16_t last_seq_;
  std::uint32_t clock_ts_;  // timestamp_at(clock_at_) == clock_ts_
  Instant clock_at_;
  Instant last_sent_at_{};
  OutboundCounters counters_;
};

}  // namespace floe::media
