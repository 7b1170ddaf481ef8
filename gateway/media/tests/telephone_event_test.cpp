#include "gateway/media/telephone_event.hpp"

#include "gateway/media/stream_rewriter.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace floe;
using namespace floe::media;

namespace {
const Instant t0 = Instant{} + seconds(10);

std::vector<std::pair<Instant, DtmfPacket>> run(DtmfSender& s, Instant from, Duration span) {
  std::vector<std::pair<Instant, DtmfPacket>> out;
  for (Instant now = from; now <= from + span; now += milliseconds(1))
    while (auto p = s.poll(now)) out.emplace_back(now, *p);
  return out;
}
}  // namespace

TEST(TelephoneEvent, PayloadRoundTripsRfc4733Layout) {
  // Event 5, E set, volume 10, duration 800: 05 8a 03 20 (RFC 4733 §2.3).
  const std::uint8_t wire[] = {0x05, 0x8a, 0x03, 0x20};
  auto e = parse_telephone_event(wire);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, 5);
  EXPECT_TRUE(e->end);
  EXPECT_EQ(e->volume, 10);
  EXPECT_EQ(e->duration, 800);
  std::uint8_t out[4];
  ASSERT_TRUE(write_telephone_event(out, *e));
  EXPECT_EQ(0, std::memcmp(out, wire, 4));
  EXPECT_FALSE(parse_telephone_event(ByteView(wire, 3)));
  EXPECT_FALSE(write_telephone_event(std::span<std::uint8_t>(out, 3), *e));
  const std::uint8_t reserved_bit[] = {0x0b, 0x4a, 0x00, 0xa0};  // R set: ignored
  EXPECT_EQ(parse_telephone_event(reserved_bit)->volume, 10);
}

TEST(TelephoneEvent, DigitCodesFollowSection3_2) {
  EXPECT_EQ(dtmf_event_for('0'), 0);
  EXPECT_EQ(dtmf_event_for('9'), 9);
  EXPECT_EQ(dtmf_event_for('*'), 10);
  EXPECT_EQ(dtmf_event_for('#'), 11);
  EXPECT_EQ(dtmf_event_for('A'), 12);
  EXPECT_EQ(dtmf_event_for('d'), 15);
  EXPECT_EQ(dtmf_event_for('E'), std::nullopt);
  EXPECT_EQ(dtmf_event_for(' '), std::nullopt);
  EXPECT_EQ(dtmf_digit_for(11), '#');
  EXPECT_EQ(dtmf_digit_for(16), '\0');
}

TEST(DtmfSender, OneDigitProducesUpdatesThenThreeEndPackets) {
  DtmfSender s;  // 8 kHz, 20 ms, 100 ms digits
  ASSERT_TRUE(s.queue("1"));
  EXPECT_EQ(s.next_timeout(), Instant::min());
  auto pkts = run(s, t0, milliseconds(500));
  // 100 ms = 5 intervals: updates 160, 320, 480, 640; end 800 three times.
  ASSERT_EQ(pkts.size(), 7u);
  const std::uint16_t durations[] = {160, 320, 480, 640, 800, 800, 800};
  for (std::size_t i = 0; i < pkts.size(); ++i) {
    const auto& [at, p] = pkts[i];
    EXPECT_EQ(at, t0 + milliseconds(20) * static_cast<int>(i)) << i;
    EXPECT_EQ(p.event.event, 1);
    EXPECT_EQ(p.event.duration, durations[i]) << i;
    EXPECT_EQ(p.event.end, i >= 4) << i;
    EXPECT_EQ(p.marker, i == 0) << i;
    EXPECT_EQ(p.event_start, t0);  // one timestamp for the whole event
    EXPECT_EQ(p.timestamp_offset, 0u);
    EXPECT_EQ(p.event.volume, 10);
    EXPECT_EQ(*parse_telephone_event(p.payload), p.event);
  }
  EXPECT_TRUE(s.idle());
  EXPECT_EQ(s.next_timeout(), kNever);
}

TEST(DtmfSender, QueuedDigitsGetNewEventStartsAfterTheGap) {
  DtmfSender s;
  ASSERT_TRUE(s.queue("1#", milliseconds(60)));
  auto pkts = run(s, t0, seconds(1));
  // 60 ms: updates 160, 320; end 480 x3 per digit.
  ASSERT_EQ(pkts.size(), 10u);
  EXPECT_EQ(pkts[5].second.event.event, 11);
  EXPECT_TRUE(pkts[5].second.marker);
  // The second digit starts when the first one's 60 ms and the 50 ms gap
  // are over, and after its last end packet.
  EXPECT_EQ(pkts[5].second.event_start, t0 + milliseconds(110));
  EXPECT_EQ(pkts[5].first, t0 + milliseconds(110));
  EXPECT_TRUE(s.active() == false);
}

TEST(DtmfSender, ActiveWhileSendingAndNextTimeoutTracksPackets) {
  DtmfSender s;
  ASSERT_TRUE(s.queue("5"));
  ASSERT_TRUE(s.poll(t0));
  EXPECT_TRUE(s.active());
  EXPECT_EQ(s.next_timeout(), t0 + milliseconds(20));
  EXPECT_FALSE(s.poll(t0 + milliseconds(19)));
  EXPECT_TRUE(s.poll(t0 + milliseconds(20)));
}

TEST(DtmfSender, RejectsInvalidDigitsAndOverflow) {
  DtmfSender s;
  EXPECT_FALSE(s.queue("12x"));
  EXPECT_TRUE(s.idle());
  EXPECT_TRUE(s.queue(std::string(DtmfSender::kMaxQueued, '1')));
  EXPECT_FALSE(s.queue("1"));
  s.clear();
  EXPECT_TRUE(s.idle());
}

TEST(DtmfSender, PauseAndDurationClamps) {
  DtmfSender s;
  ASSERT_TRUE(s.queue("1,2", milliseconds(10)));  // clamped up to 40 ms
  auto pkts = run(s, t0, seconds(2));
  ASSERT_EQ(pkts.size(), 8u);  // 1 update + 3 ends, twice
  EXPECT_EQ(pkts[0].second.event.duration, 160);
  EXPECT_EQ(pkts[1].second.event.duration, 320);
  // ',' waits 500 ms after the first digit's gap.
  EXPECT_EQ(pkts[4].second.event_start, t0 + milliseconds(40 + 50 + 500));
  // At 48 kHz the duration field caps a digit at 65535 ticks (1.36 s).
  DtmfSender wide(DtmfSenderConfig{48000});
  ASSERT_TRUE(wide.queue("9", seconds(4)));
  auto w = run(wide, t0, seconds(3));
  ASSERT_FALSE(w.empty());
  EXPECT_TRUE(w.back().second.event.end);
  EXPECT_LE(w.back().second.event.duration, 65535);
  EXPECT_GE(w.back().second.event.duration, 64000);
}

TEST(DtmfReceiver, ReportsEachDigitOnceAcrossUpdatesAndEnds) {
  DtmfSender s;
  ASSERT_TRUE(s.queue("4*"));
  DtmfReceiver r;
  std::string digits;
  std::uint32_t ts = 1000;
  Instant last_start{};
  for (auto& [at, p] : run(s, t0, seconds(1))) {
    if (p.event_start != last_start) {
      last_start = p.event_start;
      ts += 8000;
    }
    if (auto d = r.on_packet(0x42, ts, p.payload)) digits += d->digit;
  }
  EXPECT_EQ(digits, "4*");
  EXPECT_EQ(r.counters().digits, 2u);
  EXPECT_EQ(r.counters().retransmissions, 12u);
  EXPECT_EQ(r.last_duration(), 800);
}

TEST(DtmfReceiver, LostStartStillReportsAndLateEndIsNotRepeated) {
  DtmfReceiver r;
  const std::uint8_t end7[] = {7, 0x8a, 0x03, 0x20};
  const std::uint8_t start8[] = {8, 0x0a, 0x00, 0xa0};
  auto d = r.on_packet(1, 5000, end7);  // only an end packet survived
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digit, '7');
  EXPECT_EQ(d->timestamp, 5000u);
  EXPECT_EQ(r.last_duration(), 800);
  ASSERT_TRUE(r.on_packet(1, 7000, start8));
  EXPECT_EQ(r.last_duration(), std::nullopt);
  EXPECT_FALSE(r.on_packet(1, 5000, end7));  // late retransmission of '7'
  // Same timestamp from another SSRC is another event.
  EXPECT_TRUE(r.on_packet(2, 5000, end7));
  const std::uint8_t tone[] = {70, 0x0a, 0x00, 0xa0};
  EXPECT_FALSE(r.on_packet(1, 9000, tone));
  EXPECT_FALSE(r.on_packet(1, 9000, ByteView(start8, 2)));
  EXPECT_EQ(r.counters().not_dtmf, 1u);
  EXPECT_EQ(r.counters().malformed, 1u);
}

TEST(DtmfSender, EventsStampedBetweenAudioKeepOneTimeline) {
  // The bridge's use: audio forwarded through an OutboundStream, a digit
  // stamped with stamp_local at stream.timestamp_at(event_start), audio
  // suppressed while active(), then audio again. The receiver sees one
  // sequence run, the event at the wall-clock timestamp, and audio after it
  // later than the event's end.
  OutboundStream out(t0, 0x42, 8000, 100, 5000);
  out.map_payload_type(0, 0);
  DtmfSender sender;
  DtmfReceiver receiver;
  std::array<std::uint8_t, 12 + 160> pkt{};
  std::uint16_t up_seq = 7;
  std::uint32_t up_ts = 90000;
  std::uint16_t expect_seq = 100;
  std::uint32_t event_ts = 0, last_audio_ts = 0, first_audio_after = 0;
  std::string digits;
  for (int tick = 0; tick < 40; ++tick) {
    const Instant now = t0 + milliseconds(20) * tick;
    if (tick == 10) {
      ASSERT_TRUE(sender.queue("7"));
    }
    bool sent_event = false;
    while (auto ev = sender.poll(now)) {
      if (ev->marker) event_ts = out.timestamp_at(ev->event_start);
      std::copy(ev->payload.begin(), ev->payload.end(), pkt.begin() + 12);
      const std::span<std::uint8_t> bytes(pkt.data(), 16);
      ASSERT_TRUE(out.stamp_local(bytes, 101, ev->marker, event_ts));
      auto p = RtpPacket::parse(bytes);
      EXPECT_EQ(p->sequence(), expect_seq++);
      EXPECT_EQ(p->timestamp(), event_ts);
      if (auto d = receiver.on_packet(p->ssrc(), p->timestamp(), p->payload())) digits += d->digit;
      sent_event = true;
    }
    write_rtp_header(pkt, {false, 0, up_seq++, up_ts, 0x99});
    up_ts += 160;
    if (sent_event || sender.active()) continue;
    auto p = RtpPacket::parse(pkt);
    ASSERT_TRUE(out.rewrite(now, *p));
    EXPECT_EQ(p->sequence(), expect_seq++);
    if (event_ts && !first_audio_after) {
      first_audio_after = p->timestamp();
      EXPECT_TRUE(p->marker());
    } else if (!event_ts) {
      last_audio_ts = p->timestamp();
    }
  }
  EXPECT_EQ(digits, "7");
  EXPECT_EQ(event_ts, last_audio_ts + 160);  // the event starts where audio paused
  EXPECT_GE(first_audio_after, event_ts + 800);  // after the 100 ms event
  EXPECT_TRUE(sender.idle());
}
