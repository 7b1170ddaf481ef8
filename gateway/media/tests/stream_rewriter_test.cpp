#include "gateway/media/stream_rewriter.hpp"

#include <gtest/gtest.h>

#include <array>

using namespace floe;
using namespace floe::media;

namespace {

struct Packet {
  std::array<std::uint8_t, 12 + 160> bytes{};
  Packet(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t ts, std::uint8_t pt = 0,
         bool marker = false) {
    write_rtp_header(bytes, {marker, pt, seq, ts, ssrc});
  }
  RtpPacket view() { return *RtpPacket::parse(bytes); }
};

class OutboundStreamTest : public ::testing::Test {
 protected:
  Instant t0 = Instant{} + seconds(1000);
  OutboundStream out{t0, 0xabcdef01, 8000, 1000, 500000};

  // Sends `count` packets of a 20 ms PCMU stream from `ssrc` starting at
  // (seq, ts) at time `at`; returns the last rewritten header.
  RtpPacket send(Instant& at, std::uint32_t ssrc, std::uint16_t seq, std::uint32_t ts,
                 int count, Packet** last = nullptr) {
    static Packet p(0, 0, 0);
    for (int i = 0; i < count; ++i) {
      p = Packet(ssrc, static_cast<std::uint16_t>(seq + i), ts + 160u * i);
      auto v = p.view();
      EXPECT_TRUE(out.rewrite(at, v));
      at += milliseconds(20);
    }
    if (last) *last = &p;
    return p.view();
  }
};

}  // namespace

TEST_F(OutboundStreamTest, RewritesSsrcPayloadTypeSequenceAndTimestamp) {
  out.map_payload_type(111, 96);
  Packet p(0x1111, 40000, 123456, 111);
  auto v = p.view();
  ASSERT_TRUE(out.rewrite(t0, v));
  EXPECT_EQ(v.ssrc(), 0xabcdef01u);
  EXPECT_EQ(v.payload_type(), 96);
  EXPECT_EQ(v.sequence(), 1000);
  EXPECT_EQ(v.timestamp(), 500000u);
  EXPECT_TRUE(v.marker());  // first packet of a source
  Packet q(0x1111, 40001, 123456 + 960, 111);
  auto w = q.view();
  ASSERT_TRUE(out.rewrite(t0 + milliseconds(20), w));
  EXPECT_EQ(w.sequence(), 1001);
  EXPECT_EQ(w.timestamp(), 500000u + 960);
  EXPECT_FALSE(w.marker());
  EXPECT_EQ(out.counters().packets, 2u);
  EXPECT_EQ(out.counters().payload_octets, 320u);
  EXPECT_EQ(out.packet_count(), 2u);
}

TEST_F(OutboundStreamTest, UnmappedPayloadTypeIsACountedDrop) {
  out.map_payload_type(0, 0);
  Packet p(1, 1, 1, 8);
  auto v = p.view();
  EXPECT_FALSE(out.rewrite(t0, v));
  EXPECT_EQ(out.counters().dropped_payload_type, 1u);
  EXPECT_EQ(out.counters().packets, 0u);
  EXPECT_EQ(p.bytes[1], 8);  // untouched
  out.unmap_payload_type(0);
  Packet q(1, 1, 1, 0);
  auto w = q.view();
  EXPECT_FALSE(out.rewrite(t0, w));
  EXPECT_EQ(out.counters().dropped_payload_type, 2u);
}

TEST_F(OutboundStreamTest, NewSsrcContinuesSequenceAndAdvancesTimestampByWallTime) {
  out.map_payload_type(0, 0);
  Instant at = t0;
  auto a = send(at, 0x1111, 100, 1000, 50);  // 1 s of audio
  const std::uint16_t last_seq = a.sequence();
  const std::uint32_t last_ts = a.timestamp();
  EXPECT_EQ(last_seq, 1049);
  // 3 s of silence, then another phone with an unrelated SSRC, sequence
  // and timestamp (a transfer, or the PBX's music-on-hold).
  at += seconds(3) - milliseconds(20);
  Packet p(0x2222, 60000, 0x90000000u);
  auto v = p.view();
  ASSERT_TRUE(out.rewrite(at, v));
  EXPECT_EQ(v.sequence(), static_cast<std::uint16_t>(last_seq + 1));
  EXPECT_EQ(v.timestamp(), last_ts + 3 * 8000);
  EXPECT_TRUE(v.marker());
  EXPECT_EQ(out.counters().source_switches, 1u);
  Packet q(0x2222, 60001, 0x90000000u + 160);
  auto w = q.view();
  ASSERT_TRUE(out.rewrite(at + milliseconds(20), w));
  EXPECT_EQ(w.sequence(), static_cast<std::uint16_t>(last_seq + 2));
  EXPECT_EQ(w.timestamp(), last_ts + 3 * 8000 + 160);
  EXPECT_FALSE(w.marker());
}

TEST_F(OutboundStreamTest, SameSsrcSequenceJumpIsSmoothed) {
  // libsrtp refuses outbound jumps >= 2^15; the receiver must never see one.
  out.map_payload_type(0, 0);
  Instant at = t0;
  auto a = send(at, 0x1111, 10, 0, 10);
  const std::uint16_t last = a.sequence();
  Packet p(0x1111, 10 + 40000, 160 * 10);  // restarted sender, same SSRC
  auto v = p.view();
  ASSERT_TRUE(out.rewrite(at, v));
  EXPECT_EQ(v.sequence(), static_cast<std::uint16_t>(last + 1));
  EXPECT_TRUE(v.marker());
  EXPECT_EQ(out.counters().source_jumps, 1u);
  EXPECT_EQ(out.counters().source_switches, 0u);
}

TEST_F(OutboundStreamTest, TimestampJumpIsSmoothed) {
  out.map_payload_type(0, 0);
  Instant at = t0;
  auto a = send(at, 0x1111, 10, 0, 10);
  const std::uint32_t last_ts = a.timestamp();
  // Next sequence number but the timestamp leaps an hour ahead.
  Packet p(0x1111, 20, 3600u * 8000);
  auto v = p.view();
  ASSERT_TRUE(out.rewrite(at, v));
  EXPECT_EQ(v.timestamp(), last_ts + 160);
  EXPECT_EQ(out.counters().source_jumps, 1u);
}

TEST_F(OutboundStreamTest, ReorderingAndLossPassThrough) {
  out.map_payload_type(0, 0);
  Instant at = t0;
  Packet p1(7, 65534, 0), p2(7, 0, 320), p3(7, 65535, 160), p4(7, 3, 800);
  auto v1 = p1.view(), v2 = p2.view(), v3 = p3.view(), v4 = p4.view();
  ASSERT_TRUE(out.rewrite(at, v1));
  ASSERT_TRUE(out.rewrite(at + milliseconds(40), v2));
  ASSERT_TRUE(out.rewrite(at + milliseconds(41), v3));
  ASSERT_TRUE(out.rewrite(at + milliseconds(100), v4));
  EXPECT_EQ(v1.sequence(), 1000);
  EXPECT_EQ(v2.sequence(), 1002);
  EXPECT_EQ(v3.sequence(), 1001);
  EXPECT_EQ(v4.sequence(), 1005);
  EXPECT_EQ(v3.timestamp(), 500000u + 160);
  EXPECT_EQ(v4.timestamp(), 500000u + 800);
  EXPECT_EQ(out.counters().source_jumps, 0u);
  EXPECT_EQ(out.last_sequence(), 1005);
}

TEST_F(OutboundStreamTest, LongHoldWithWallClockTimestampsIsNotAJump) {
  // A browser that stops sending for 10 minutes of hold resumes with the
  // next sequence number and a timestamp advanced by the wall time.
  out.map_payload_type(0, 0);
  Instant at = t0;
  auto a = send(at, 9, 100, 0, 5);
  at += std::chrono::minutes(10);
  Packet p(9, 105, 160 * 5 + 600u * 8000);
  auto v = p.view();
  ASSERT_TRUE(out.rewrite(at, v));
  EXPECT_EQ(v.sequence(), static_cast<std::uint16_t>(a.sequence() + 1));
  EXPECT_EQ(out.counters().source_jumps, 0u);
}

TEST_F(OutboundStreamTest, LocalPacketsTakeSequenceNumbersAndForwardingResumesAfter) {
  out.map_payload_type(0, 0);
  Instant at = t0;
  auto a = send(at, 5, 10, 1000, 3);
  const std::uint16_t last = a.sequence();
  const std::uint32_t event_ts = out.timestamp_at(at);
  EXPECT_EQ(event_ts, a.timestamp() + 160);
  std::array<std::uint8_t, 16> ev{};
  ASSERT_TRUE(out.stamp_local(ev, 101, true, event_ts));
  ASSERT_TRUE(out.stamp_local(ev, 101, false, event_ts));
  auto e = RtpPacket::parse(ev);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ssrc(), 0xabcdef01u);
  EXPECT_EQ(e->payload_type(), 101);
  EXPECT_EQ(e->sequence(), static_cast<std::uint16_t>(last + 2));
  EXPECT_EQ(e->timestamp(), event_ts);
  EXPECT_FALSE(out.stamp_local(std::span<std::uint8_t>(ev.data(), 11), 101, false, 0));
  // Audio suppressed meanwhile (seq 13..17 not forwarded), then it resumes.
  at += milliseconds(100);
  Packet p(5, 18, 1000 + 160 * 8);
  auto v = p.view();
  ASSERT_TRUE(out.rewrite(at, v));
  EXPECT_EQ(v.sequence(), static_cast<std::uint16_t>(last + 3));
  EXPECT_TRUE(v.marker());
  EXPECT_EQ(out.counters().local_packets, 2u);
  EXPECT_EQ(out.counters().packets, 6u);
}

TEST_F(OutboundStreamTest, TimestampClockRunsFromStartBeforeAnyPacket) {
  EXPECT_EQ(out.timestamp_at(t0), 500000u);
  EXPECT_EQ(out.timestamp_at(t0 + seconds(2)), 500000u + 16000);
  EXPECT_FALSE(out.has_sent());
}

TEST_F(OutboundStreamTest, LatePacketsFromBeforeAReanchorAreDropped) {
  out.map_payload_type(0, 0);
  Instant at = t0;
  auto a = send(at, 5, 10, 1000, 5);  // seq 10..14 -> 1000..1004
  std::array<std::uint8_t, 16> ev{};
  ASSERT_TRUE(out.stamp_local(ev, 101, true, out.timestamp_at(at)));  // takes 1005
  Packet p(5, 16, 1000 + 160 * 6);  // 15 was lost or is late
  auto v = p.view();
  ASSERT_TRUE(out.rewrite(at, v));
  EXPECT_EQ(v.sequence(), 1006);
  Packet late(5, 15, 1000 + 160 * 5);  // would map to 1005, the event's number
  auto w = late.view();
  EXPECT_FALSE(out.rewrite(at, w));
  EXPECT_EQ(out.counters().dropped_stale, 1u);
  Packet next(5, 17, 1000 + 160 * 7);
  auto x = next.view();
  ASSERT_TRUE(out.rewrite(at + milliseconds(20), x));
  EXPECT_EQ(x.sequence(), 1007);
  EXPECT_EQ(a.sequence(), 1004);
}

TEST_F(OutboundStreamTest, ReorderedStartOfTheFirstSourceIsKept) {
  // Nothing was sent before the first anchor, so an earlier packet arriving
  // second takes the number just before: no collision, nothing dropped.
  out.map_payload_type(0, 0);
  Packet second(5, 11, 160), first(5, 10, 0);
  auto v = second.view(), w = first.view();
  ASSERT_TRUE(out.rewrite(t0, v));
  ASSERT_TRUE(out.rewrite(t0, w));
  EXPECT_EQ(v.sequence(), 1000);
  EXPECT_EQ(w.sequence(), 999);
  EXPECT_EQ(out.counters().dropped_stale, 0u);
}
