// RtpEchoStream: our SSRC on every echoed packet, sequence numbers and
// timestamps that run on across a browser sender restart, negotiated
// payload types only, and well-formed SR/RR + SDES reports.
#include <gtest/gtest.h>

#include "gateway/webrtc/rtp_echo.hpp"

using namespace floe;
using namespace floe::webrtc;

namespace {

Bytes rtp(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc) {
  Bytes b(12 + 20, 0xAB);
  b[0] = 0x80;
  b[1] = pt;
  store_be16(&b[2], seq);
  store_be32(&b[4], ts);
  store_be32(&b[8], ssrc);
  return b;
}

}  // namespace

TEST(RtpEcho, RewritesSsrcAndKeepsSequenceAndTimestampContinuous) {
  RtpEchoStream s(0x1234, 48000, "floe-echo");
  s.allow_payload_type(111);
  Instant now = Instant{} + seconds(10);
  std::uint16_t first_seq = 0;
  std::uint32_t first_ts = 0;
  for (int i = 0; i < 10; ++i) {
    auto p = rtp(111, static_cast<std::uint16_t>(65530 + i), 1000u + 960u * i, 0xBEEF);
    ASSERT_TRUE(s.rewrite(now, p));
    EXPECT_EQ(load_be32(&p[8]), 0x1234u);
    if (i == 0) {
      first_seq = load_be16(&p[2]);
      first_ts = load_be32(&p[4]);
    }
    EXPECT_EQ(load_be16(&p[2]), static_cast<std::uint16_t>(first_seq + i));  // across 65535
    EXPECT_EQ(load_be32(&p[4]), first_ts + 960u * i);
    EXPECT_EQ(p[1], 111);
    now += milliseconds(20);
  }
  // The browser's sender restarts with a new SSRC, sequence and timestamp:
  // the echo carries on right after the last packet, time advanced by the
  // wall clock (20 ms = 960 ticks).
  auto p = rtp(111, 7, 555555, 0xCAFE);
  ASSERT_TRUE(s.rewrite(now, p));
  EXPECT_EQ(load_be32(&p[8]), 0x1234u);
  EXPECT_EQ(load_be16(&p[2]), static_cast<std::uint16_t>(first_seq + 10));
  EXPECT_EQ(load_be32(&p[4]), first_ts + 960u * 10);
  EXPECT_EQ(s.counters().sender_restarts, 1u);
}

TEST(RtpEcho, DropsUnnegotiatedPayloadTypesAndGarbage) {
  RtpEchoStream s(1, 48000, "c");
  s.allow_payload_type(111);
  auto p = rtp(96, 1, 1, 2);
  EXPECT_FALSE(s.rewrite(Instant{}, p));
  EXPECT_EQ(s.counters().dropped_pt, 1u);
  Bytes short_packet{0x80, 111, 0};
  EXPECT_FALSE(s.rewrite(Instant{}, short_packet));
  Bytes v1(12, 0);
  v1[0] = 0x40;
  EXPECT_FALSE(s.rewrite(Instant{}, v1));
  EXPECT_EQ(s.counters().dropped_malformed, 2u);
}

TEST(RtpEcho, ReportsAreWellFormedCompounds) {
  RtpEchoStream s(0x1234, 48000, "floe-echo");
  s.allow_payload_type(111);
  std::array<std::uint8_t, 256> buf{};
  // Before any media: an RR with no blocks, then SDES.
  auto n = s.build_report(Instant{} + seconds(1), buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(buf[1], 201);
  EXPECT_EQ((load_be16(&buf[2]) + 1) * 4u, 8u);
  EXPECT_EQ(buf[9], 202);  // SDES follows
  Instant now = Instant{} + seconds(2);
  for (int i = 0; i < 5; ++i) {
    auto p = rtp(111, static_cast<std::uint16_t>(100 + i + (i == 4 ? 1 : 0)), 960u * i, 0xBEEF);
    ASSERT_TRUE(s.rewrite(now, p));
  }
  // The browser's SR, so our block carries LSR.
  Bytes sr(28, 0);
  sr[0] = 0x80;
  sr[1] = 200;
  store_be16(&sr[2], 6);
  store_be32(&sr[8], 0x11223344);
  store_be32(&sr[12], 0x55667788);
  s.on_rtcp(now, sr);
  n = s.build_report(now + milliseconds(500), buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(buf[0], 0x81);  // one report block
  EXPECT_EQ(buf[1], 200);
  const std::size_t sr_len = (load_be16(&buf[2]) + 1) * 4u;
  ASSERT_EQ(sr_len, 52u);
  EXPECT_EQ(load_be32(&buf[4]), 0x1234u);
  EXPECT_EQ(load_be32(&buf[20]), 5u);          // packets sent
  EXPECT_EQ(load_be32(&buf[28]), 0xBEEFu);     // block about the browser's SSRC
  EXPECT_EQ(load_be32(&buf[32]) & 0xffffff, 1u);  // seq 104 skipped: one lost
  EXPECT_EQ(load_be32(&buf[36]), 105u);        // extended highest sequence
  EXPECT_EQ(load_be32(&buf[44]), 0x33445566u); // LSR: middle of the NTP time
  EXPECT_EQ(load_be32(&buf[48]), 32768u);      // DLSR: 0.5 s in 1/65536 s
  EXPECT_EQ(buf[sr_len + 1], 202);
  EXPECT_EQ(n % 4, 0u);
}
