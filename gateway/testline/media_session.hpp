#pragma once
// The media of one test-line call, sans-IO. Two behaviours:
//  - Echo: every RTP packet is sent back unchanged to the address it came
//    from (what sipp -rtp_echo does), so a caller hears itself.
//  - Tone: a 1 kHz sine in the negotiated G.711 law, one 20 ms packet
//    (160 samples) per tick, with our own SSRC, sequence numbers +1 per packet
//    and timestamps +160 per tick (RFC 3550 §5.1, RFC 3551 §4.5.14), sent to
//    the address the peer signalled.
// Both stop sending when the negotiated direction says we must not (hold,
// RFC 3264 §8.4) and both send RTCP (RFC 3550 §6.4) every 5 s to the peer's
// RTCP address. The driver feeds datagrams and ticks; output sits in a fixed
// ring of buffers, so nothing is allocated per packet.
#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "base/address.hpp"
#include "base/bytes.hpp"
#include "base/time.hpp"
#include "gateway/testline/g711.hpp"
#include "gateway/testline/line_sdp.hpp"

namespace floe::testline {

enum class LineMode : std::uint8_t { Echo, Tone };

struct MediaCounters {
  std::uint64_t rtp_in = 0;
  std::uint64_t rtp_echoed = 0;
  std::uint64_t tone_packets = 0;
  std::uint64_t rtcp_in = 0;
  std::uint64_t rtcp_out = 0;
  std::uint64_t dropped_malformed = 0;   // not RTP/RTCP version 2, or too short
  std::uint64_t dropped_direction = 0;   // arrived while we must not receive
  std::uint64_t dropped_too_large = 0;   // larger than an output buffer
  std::uint64_t dropped_queue_full = 0;  // the driver did not drain in time
  std::uint64_t late_resyncs = 0;        // the tick timer ran more than 100 ms late
  std::uint64_t dtmf_events = 0;         // RFC 4733 events that ended (E bit), once each
};

// One RFC 4733 event the caller sent, recorded at its end packet.
struct DtmfEvent {
  char digit = '?';             // 0-9 * # A-D, '!' for flash (event 16)
  std::uint16_t duration = 0;   // in RTP clock units (8 kHz: 800 = 100 ms)
  std::uint32_t timestamp = 0;  // RTP timestamp of the event's start
};

struct Datagram {
  static constexpr std::size_t kCapacity = 1500;
  bool rtcp = false;
  SocketAddress to;
  std::size_t size = 0;
  std::array<std::uint8_t, kCapacity> data{};
  ByteView bytes() const { return {data.data(), size}; }
};

class MediaSession {
 public:
  static constexpr Duration kPacketTime = milliseconds(20);
  static constexpr std::uint32_t kSamplesPerPacket = 160;  // 20 ms at 8 kHz
  static constexpr Duration kReportInterval = seconds(5);
  static constexpr double kTonePeak = 8000;  // about -12 dBFS: loud, far from clipping

  // `ntp_at_start`: the wall clock, as a 64-bit NTP timestamp (RFC 3550
  // §4), at `start`; SR times are derived from it and the `now` values.
  MediaSession(LineMode mode, Instant start, std::uint64_t ntp_at_start, std::uint32_t ssrc,
               std::uint16_t first_sequence, std::uint32_t first_timestamp, std::string cname);

  // A new offer/answer outcome (initial, hold, resume, codec change).
  void configure(Instant now, const AudioAgreement& agreement);
  void handle_rtp(Instant now, const SocketAddress& from, ByteView packet);
  void handle_rtcp(Instant now, const SocketAddress& from, ByteView packet);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  // The next datagram to send; valid until the next call on this object.
  const Datagram* poll_output();
  // Queues a BYE (RFC 3550 §6.6) and stops all sending.
  void stop(Instant now);
  // Nothing (RTP or RTCP) from the peer for `timeout` after the session was
  // configured marks it timed out; RTCP keeps flowing during a hold (RFC
  // 3550 §6.2), so a held call stays alive. Zero: never.
  void set_media_timeout(Duration timeout) { media_timeout_ = timeout; }
  bool timed_out() const { return timed_out_; }

  LineMode mode() const { return mode_; }
  bool configured() const { return configured_; }
  bool sending() const;
  const AudioAgreement& agreement() const { return agreement_; }
  const MediaCounters& counters() const { return counters_; }
  // The events received so far (the first kMaxDtmf of the call).
  static constexpr std::size_t kMaxDtmf = 32;
  std::span<const DtmfEvent> dtmf() const { return {dtmf_.data(), dtmf_count_}; }
  std::uint32_t ssrc() const { return ssrc_; }

 private:
  Datagram* push(bool rtcp, const SocketAddress& to);
  void send_tone(std::uint64_t tick);
  void on_telephone_event(ByteView packet);
  void send_report(Instant now, bool bye);
  std::uint64_t tick_at(Instant now) const;

  LineMode mode_;
  Instant start_;
  std::uint64_t ntp_start_;
  std::uint32_t ssrc_;
  std::uint16_t seq_;
  std::uint32_t ts0_;
  std::string cname_;
  ToneGenerator tone_;
  AudioAgreement agreement_;
  bool configured_ = false;
  bool stopped_ = false;
  Duration media_timeout_{};
  Instant last_heard_{};
  bool timed_out_ = false;

  std::uint64_t next_tick_ = 0;  // index of the next 20 ms tick to send
  bool marker_ = true;           // first packet of a talkspurt (RFC 3551 §4.1)
  std::uint32_t packets_sent_ = 0;
  std::uint32_t octets_sent_ = 0;
  Instant next_report_ = kNever;

  std::array<DtmfEvent, kMaxDtmf> dtmf_{};
  std::size_t dtmf_count_ = 0;
  bool have_last_event_ = false;
  std::uint32_t last_event_ts_ = 0;
  std::uint8_t last_event_code_ = 0;

  std::array<Datagram, 16> ring_{};
  std::size_t head_ = 0, count_ = 0;
  MediaCounters counters_;
};

}  // namespace floe::testline
