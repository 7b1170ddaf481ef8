#include "gateway/media/receive_stats.hpp"

#include <gtest/gtest.h>

#include "gateway/media/media_clock.hpp"

using namespace floe;
using namespace floe::media;

namespace {
const Instant t0 = Instant{} + seconds(50);
constexpr std::uint32_t kSsrc = 0x5151;

// Feeds a 20 ms PCMU stream: packet i has seq first+i, ts 160*i, arrives at
// t0 + 20 ms * i (+ extra delay for some).
struct Feeder {
  ReceiveStats& s;
  std::uint16_t first;
  bool feed(int i, Duration extra = Duration::zero(), std::uint32_t ssrc = kSsrc) {
    return s.on_rtp(t0 + milliseconds(20) * i + extra, ssrc, static_cast<std::uint16_t>(first + i),
                    160u * static_cast<std::uint32_t>(i));
  }
};
}  // namespace

TEST(ReceiveStats, NewSourceServesProbation) {
  ReceiveStats s(8000);
  Feeder f{s, 1000};
  EXPECT_FALSE(f.feed(0));  // A.1: MIN_SEQUENTIAL = 2 in-order packets first
  EXPECT_TRUE(f.feed(1));
  EXPECT_EQ(s.received(), 1u);
  EXPECT_EQ(s.expected(), 1u);
  EXPECT_EQ(s.counters().probation, 1u);
  for (int i = 2; i < 10; ++i) EXPECT_TRUE(f.feed(i));
  EXPECT_EQ(s.expected(), 9u);
  EXPECT_EQ(s.lost(), 0);
  EXPECT_EQ(s.extended_max_sequence(), 1009u);
}

TEST(ReceiveStats, OutOfOrderStartRestartsProbation) {
  ReceiveStats s(8000);
  EXPECT_FALSE(s.on_rtp(t0, kSsrc, 10, 0));
  EXPECT_FALSE(s.on_rtp(t0, kSsrc, 12, 0));   // not 11: probation again
  EXPECT_TRUE(s.on_rtp(t0, kSsrc, 13, 0));
  EXPECT_EQ(s.expected(), 1u);
}

TEST(ReceiveStats, LossAndFractionPerInterval) {
  ReceiveStats s(8000);
  Feeder f{s, 200};
  f.feed(0);
  // Packets 1..100, of which 10 are lost.
  for (int i = 1; i <= 100; ++i)
    if (i % 10 != 5) f.feed(i);
  auto b = s.make_report_block(t0 + seconds(2));
  EXPECT_EQ(b.ssrc, kSsrc);
  EXPECT_EQ(s.expected(), 100u);
  EXPECT_EQ(b.cumulative_lost, 10);
  EXPECT_EQ(b.fraction_lost, 10 * 256 / 100);  // A.3
  EXPECT_EQ(b.extended_highest_sequence, 300u);
  // Next interval: 50 packets, none lost.
  for (int i = 101; i <= 150; ++i) f.feed(i);
  b = s.make_report_block(t0 + seconds(4));
  EXPECT_EQ(b.fraction_lost, 0);
  EXPECT_EQ(b.cumulative_lost, 10);
  EXPECT_FALSE(s.received_since_report());
}

TEST(ReceiveStats, DuplicatesCanMakeLossNegative) {
  ReceiveStats s(8000);
  Feeder f{s, 0};
  for (int i = 0; i < 5; ++i) f.feed(i);
  f.feed(3);
  f.feed(4);
  EXPECT_EQ(s.counters().duplicates_or_reordered, 2u);
  EXPECT_EQ(s.lost(), -2);
  EXPECT_EQ(s.make_report_block(t0).cumulative_lost, -2);
}

TEST(ReceiveStats, SequenceWrapCountsCycles) {
  ReceiveStats s(8000);
  Feeder f{s, 65530};
  for (int i = 0; i < 12; ++i) f.feed(i);  // 65530 .. 5
  EXPECT_EQ(s.extended_max_sequence(), 65536u + 5);
  EXPECT_EQ(s.expected(), 11u);
  EXPECT_EQ(s.lost(), 0);
}

TEST(ReceiveStats, LargeJumpNeedsConfirmationThenRestarts) {
  ReceiveStats s(8000);
  Feeder f{s, 100};
  for (int i = 0; i < 5; ++i) f.feed(i);
  EXPECT_FALSE(s.on_rtp(t0 + seconds(1), kSsrc, 20000, 0));
  EXPECT_EQ(s.counters().bad_sequence, 1u);
  EXPECT_TRUE(s.on_rtp(t0 + seconds(1), kSsrc, 20001, 160));  // confirmed: restart
  EXPECT_EQ(s.counters().restarts, 1u);
  EXPECT_EQ(s.expected(), 1u);
  EXPECT_EQ(s.received(), 1u);
  // A lone stray far packet is not believed.
  EXPECT_FALSE(s.on_rtp(t0 + seconds(2), kSsrc, 50000, 0));
  EXPECT_TRUE(s.on_rtp(t0 + seconds(2), kSsrc, 20002, 320));
  EXPECT_EQ(s.extended_max_sequence(), 20002u);
}

TEST(ReceiveStats, NewSsrcStartsOver) {
  ReceiveStats s(8000);
  Feeder f{s, 100};
  for (int i = 0; i < 5; ++i) f.feed(i);
  EXPECT_FALSE(f.feed(5, Duration::zero(), 0x9999));
  EXPECT_EQ(s.ssrc(), 0x9999u);
  EXPECT_EQ(s.counters().restarts, 1u);
}

TEST(ReceiveStats, JitterFollowsAppendixA8) {
  ReceiveStats s(8000);
  Feeder f{s, 0};
  for (int i = 0; i < 20; ++i) f.feed(i);
  EXPECT_EQ(s.jitter(), 0u);  // constant transit
  // One packet 10 ms late (80 ticks): D = 80 then -80 on the next.
  f.feed(20, milliseconds(10));
  EXPECT_EQ(s.jitter(), 80u / 16);  // J = 0 + (80 - 0) / 16
  f.feed(21);
  EXPECT_EQ(s.jitter(), 9u);        // 5 + (80 - 5) / 16 = 9.69
  // It decays with steady arrivals.
  for (int i = 22; i < 200; ++i) f.feed(i);
  EXPECT_EQ(s.jitter(), 0u);
}

TEST(ReceiveStats, JitterAtOpusClockRate) {
  ReceiveStats s(48000);
  for (int i = 0; i < 500; ++i) {
    // Alternating 0 / 4 ms extra delay: |D| = 192 ticks every packet, so J
    // converges to 192.
    const Duration extra = (i % 2) ? milliseconds(4) : Duration::zero();
    s.on_rtp(t0 + milliseconds(20) * i + extra, kSsrc, static_cast<std::uint16_t>(i), 960u * i);
  }
  EXPECT_NEAR(static_cast<double>(s.jitter()), 192.0, 2.0);
}

TEST(ReceiveStats, LastSrAndDelaySinceLastSr) {
  ReceiveStats s(8000);
  Feeder f{s, 0};
  for (int i = 0; i < 3; ++i) f.feed(i);
  auto b = s.make_report_block(t0 + seconds(1));
  EXPECT_EQ(b.last_sr, 0u);  // no SR yet: LSR and DLSR are zero (§6.4.1)
  EXPECT_EQ(b.delay_since_last_sr, 0u);
  s.on_sender_report(t0 + seconds(1), kSsrc, 0x0123456789abcdefull);
  s.on_sender_report(t0 + seconds(1), 0x7777, 0x1111111111111111ull);  // other source
  b = s.make_report_block(t0 + milliseconds(2500));
  EXPECT_EQ(b.last_sr, 0x456789abu);  // middle 32 bits
  EXPECT_EQ(b.delay_since_last_sr, 98304u);  // 1.5 s in 1/65536 s
  EXPECT_EQ(s.counters().sender_reports, 1u);
}

TEST(ReceiveStats, EventPacketsCountButDoNotTouchJitter) {
  // RFC 4733 packets repeat the event start timestamp for 100+ ms.
  ReceiveStats s(8000);
  Feeder f{s, 0};
  for (int i = 0; i < 20; ++i) f.feed(i);
  for (int i = 20; i < 27; ++i)
    EXPECT_TRUE(s.on_rtp(t0 + milliseconds(20) * i, kSsrc, static_cast<std::uint16_t>(i), 160u * 20,
                         false));
  for (int i = 27; i < 40; ++i) f.feed(i);
  EXPECT_EQ(s.jitter(), 0u);
  EXPECT_EQ(s.lost(), 0);
  EXPECT_EQ(s.received(), 39u);
  // Fed as ordinary packets, the same run reads as jitter.
  ReceiveStats naive(8000);
  Feeder g{naive, 0};
  for (int i = 0; i < 20; ++i) g.feed(i);
  for (int i = 20; i < 27; ++i)
    naive.on_rtp(t0 + milliseconds(20) * i, kSsrc, static_cast<std::uint16_t>(i), 160u * 20);
  EXPECT_GT(naive.jitter(), 50u);
}
