#pragma once
// RFC 4733 telephone-event payloads (DTMF named events, §3.2) and the two
// ends of a DTMF relay: DtmfSender turns digits into event packets on a
// packet clock; DtmfReceiver turns received event packets into digits, once
// each. Both are sans-IO: the bridge stamps the sender's payloads into its
// OutboundStream (stamp_local) and feeds the receiver what it receives.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/bytes.hpp"
#include "base/time.hpp"

namespace floe::media {

inline constexpr std::size_t kTelephoneEventSize = 4;

// RFC 4733 §2.3 payload format.
struct TelephoneEvent {
  std::uint8_t event = 0;      // §3.2: 0-9, 10 '*', 11 '#', 12-15 'A'-'D'
  bool end = false;            // E bit
  std::uint8_t volume = 0;     // 0..63, -dBm0 (power level, §2.3.4)
  std::uint16_t duration = 0;  // timestamp units since the event's timestamp
  bool operator==(const TelephoneEvent&) const = default;
};

// Reads the first 4 bytes; nullopt when shorter. (Several events may be
// packed in one payload per §2.5.1.5 redundancy; callers read the first.)
std::optional<TelephoneEvent> parse_telephone_event(ByteView payload);
// Writes 4 bytes; false when `out` is shorter.
bool write_telephone_event(std::span<std::uint8_t> out, const TelephoneEvent& e);

// DTMF digit <-> event code (§3.2). nullopt / '\0' for anything else.
std::optional<std::uint8_t> dtmf_event_for(char digit);
char dtmf_digit_for(std::uint8_t event);

// One packet the sender wants sent now.
struct DtmfPacket {
  std::array<std::uint8_t, kTelephoneEventSize> payload{};
  bool marker = false;   // first packet of an event (§2.5.1.3)
  // The instant the event began: every packet of one event carries the
  // timestamp of its start (§2.5.1.2). The bridge stamps
  // stream.timestamp_at(event_start), or adds `timestamp_offset` to the
  // timestamp it stamped on this event's first packet; both agree.
  Instant event_start{};
  std::uint32_t timestamp_offset = 0;  // always 0 within one event
  TelephoneEvent event;
};

struct DtmfSenderConfig {
  std::uint32_t clock_rate = 8000;            // of telephone-event in the SDP
  Duration packet_interval = milliseconds(20);  // update period (§2.5.1.3)
  Duration default_duration = milliseconds(100);
  Duration gap = milliseconds(50);           // silence between queued digits
  std::uint8_t volume = 10;                  // -10 dBm0
};

// Sends queued digits (RFC 4733 §2.5.1): the first packet of an event has
// the marker bit and duration one interval; an update every interval with
// the duration grown; the final packet with the E bit is sent three times
// (§2.5.1.4), each with a new sequence number and the same duration. Then
// the gap, then the next digit with a new timestamp.
class DtmfSender {
 public:
  static constexpr std::size_t kMaxQueued = 32;

  explicit DtmfSender(DtmfSenderConfig config = {});

  // Queues digits ("0"-"9", "*", "#", "A"-"D", case-insensitive; ',' is a
  // 500 ms pause). Returns false and queues nothing if a character is
  // invalid or the queue would overflow. Durations are clamped to
  // [40 ms, 5 s] so one event never needs §2.5.1.3 segmenting.
  bool queue(std::string_view digits, Duration duration = Duration::zero());

  // Next packet due at `now`, if any. Call until nullopt, then wait for
  // next_timeout().
  std::optional<DtmfPacket> poll(Instant now);
  Instant next_timeout() const;  // kNever when idle
  // True from the first packet of a digit to its last end packet: the
  // bridge should not forward audio on this stream meanwhile (§2.5.1.3:
  // events replace the audio they represent).
  bool active() const { return state_ != State::Idle && state_ != State::Gap; }
  // Nothing queued and no event on the wire (the trailing gap needs no timer).
  bool idle() const { return count_ == 0 && (state_ == State::Idle || state_ == State::Gap); }
  void clear();

 private:
  enum class State : std::uint8_t { Idle, Updates, Ends, Gap };
  struct Queued {
    std::uint8_t event;  // 0xff: pause
    Duration duration;
  };
  bool start_next(Instant now);

  DtmfSenderConfig config_;
  std::array<Queued, kMaxQueued> queue_{};
  std::size_t head_ = 0, count_ = 0;
  State state_ = State::Idle;
  std::uint8_t event_ = 0;
  Instant start_{};
  Instant next_{};
  std::uint32_t packets_ = 0;      // event length in packet intervals
  std::uint32_t total_ticks_ = 0;  // final duration
  std::uint32_t sent_updates_ = 0;
  int ends_sent_ = 0;
};

struct DtmfDigit {
  char digit = 0;
  std::uint8_t event = 0;
  std::uint32_t timestamp = 0;  // the event's RTP timestamp
};

struct DtmfReceiverCounters {
  std::uint64_t packets = 0;
  std::uint64_t digits = 0;
  std::uint64_t malformed = 0;     // payload shorter than 4 bytes
  std::uint64_t not_dtmf = 0;      // events outside 0-15 (tones, §3.2 others)
  std::uint64_t retransmissions = 0;  // updates and end packets of known events
};

// Reports each digit once, on the first packet seen of its event (so a lost
// start packet does not lose the digit), keyed by (SSRC, RTP timestamp):
// updates and the three end packets share the timestamp and are absorbed.
// The last few keys are remembered, so a late end packet of the previous
// digit arriving after the next digit began is not reported again.
class DtmfReceiver {
 public:
  std::optional<DtmfDigit> on_packet(std::uint32_t ssrc, std::uint32_t rtp_timestamp,
                                     ByteView payload);
  // The final duration of the last digit once its end packet arrived.
  std::optional<std::uint16_t> last_duration() const;
  const DtmfReceiverCounters& counters() const { return counters_; }

 private:
  struct Seen {
    std::uint32_t ssrc = 0;
    std::uint32_t timestamp = 0;
    bool valid = false;
  };
  static constexpr std::size_t kHistory = 4;
  std::array<Seen, kHistory> seen_{};
  std::size_t next_slot_ = 0;
  std::uint32_t last_ssrc_ = 0;
  std::uint32_t last_ts_ = 0;
  bool last_ended_ = false;
  std::uint16_t last_duration_ = 0;
  DtmfReceiverCounters counters_;
};

}  // namespace floe::media
