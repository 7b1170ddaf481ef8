#include "gateway/media/rtcp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "gateway/media/media_clock.hpp"
#include "gateway/media/receive_stats.hpp"

using namespace floe;
using namespace floe::media;

namespace {

ReportBlock sample_block() {
  ReportBlock b;
  b.ssrc = 0x01020304;
  b.fraction_lost = 25;
  b.cumulative_lost = -3;
  b.extended_highest_sequence = 0x00011234;
  b.jitter = 77;
  b.last_sr = 0xb7052000;
  b.delay_since_last_sr = 0x00054000;
  return b;
}

}  // namespace

TEST(Rtcp, WritesSrSdesByeAndReadsThemBack) {
  const std::array<ReportBlock, 1> blocks{sample_block()};
  RtcpReportParams r;
  r.ssrc = 0xaabbccdd;
  r.sender = SenderInfo{0x83aa7e80'00000000ull + 0x8000'0000ull, 123456, 50, 8000};
  r.blocks = blocks;
  r.cname = "floe@gw";
  r.bye = true;
  r.bye_reason = "hangup";
  std::array<std::uint8_t, 256> buf{};
  const std::size_t n = write_rtcp_report(buf, r);
  ASSERT_EQ(n, rtcp_report_size(r));
  // SR 28+24, SDES 4 + pad4(4+2+7+1)=16, BYE 4+4+pad4(1+6)=8.
  EXPECT_EQ(n, 52u + 20u + 16u);
  EXPECT_EQ(n % 4, 0u);
  EXPECT_EQ(write_rtcp_report(std::span<std::uint8_t>(buf.data(), n - 1), r), 0u);

  RtcpReader reader(ByteView(buf.data(), n));
  RtcpPacketView p;
  ASSERT_TRUE(reader.next(p));
  EXPECT_EQ(p.type, 200);
  auto sr = parse_report(p);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->ssrc, 0xaabbccddu);
  EXPECT_EQ(sr->sender, r.sender);
  ASSERT_EQ(sr->block_count, 1);
  EXPECT_EQ(sr->block(0), sample_block());

  ASSERT_TRUE(reader.next(p));
  EXPECT_EQ(p.type, 202);
  SdesReader sdes(p);
  SdesItem item;
  ASSERT_TRUE(sdes.next(item));
  EXPECT_EQ(item.ssrc, 0xaabbccddu);
  EXPECT_EQ(item.type, 1);
  EXPECT_EQ(item.value, "floe@gw");
  EXPECT_FALSE(sdes.next(item));
  EXPECT_FALSE(sdes.malformed());

  ASSERT_TRUE(reader.next(p));
  auto bye = parse_bye(p);
  ASSERT_TRUE(bye);
  ASSERT_EQ(bye->source_count, 1);
  EXPECT_EQ(bye->source(0), 0xaabbccddu);
  EXPECT_EQ(bye->reason, "hangup");
  EXPECT_FALSE(reader.next(p));
  EXPECT_EQ(reader.error(), RtcpParseError::None);
}

TEST(Rtcp, ReceiverReportWithoutBlocksAndCnameAlignment) {
  // An RR with no blocks and a CNAME whose item ends on a word boundary
  // still needs a null terminator word (RFC 3550 §6.5).
  RtcpReportParams r;
  r.ssrc = 7;
  r.cname = "ab";  // 4 + 2 + 2 = 8: terminator needs another 4 bytes
  std::array<std::uint8_t, 64> buf{};
  const std::size_t n = write_rtcp_report(buf, r);
  EXPECT_EQ(n, 8u + 16u);
  RtcpCounters c;
  auto s = summarize_rtcp(ByteView(buf.data(), n), 99, c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sender_ssrc, 7u);
  EXPECT_FALSE(s->sender_info);
  EXPECT_FALSE(s->about_us);
  EXPECT_EQ(c.receiver_reports, 1u);
  EXPECT_EQ(c.sdes, 1u);
}

TEST(Rtcp, SummaryPicksTheBlockAboutOurSsrcAmongOtherPacketTypes) {
  // RR (2 blocks) + SDES + PSFB PLI + RTPFB NACK + XR + APP, as a browser's
  // compound may carry.
  std::vector<std::uint8_t> c;
  auto put32 = [&](std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) c.push_back(static_cast<std::uint8_t>(v >> s));
  };
  c.insert(c.end(), {0x82, 201, 0, 13});
  put32(0x1111);
  ReportBlock other = sample_block();
  other.ssrc = 0x5555;
  ReportBlock mine = sample_block();
  mine.ssrc = 0xaabbccdd;
  mine.fraction_lost = 64;
  for (const auto& b : {other, mine}) {
    RtcpReportParams r;
    r.blocks = std::span<const ReportBlock>(&b, 1);
    std::array<std::uint8_t, 80> tmp{};
    write_rtcp_report(tmp, r);
    c.insert(c.end(), tmp.begin() + 8, tmp.begin() + 32);
  }
  c.insert(c.end(), {0x81, 202, 0, 2});
  put32(0x1111);
  c.insert(c.end(), {1, 1, 'x', 0});
  c.insert(c.end(), {0x81, 206, 0, 2});  // PLI
  put32(0x1111);
  put32(0xaabbccdd);
  c.insert(c.end(), {0x81, 205, 0, 3});  // NACK
  put32(0x1111);
  put32(0xaabbccdd);
  put32(0x00100003);
  c.insert(c.end(), {0x80, 207, 0, 1});  // XR, no blocks read
  put32(0x1111);
  c.insert(c.end(), {0x83, 204, 0, 3});  // APP subtype 3
  put32(0x1111);
  c.insert(c.end(), {'F', 'L', 'O', 'E'});
  put32(0xdeadbeef);

  RtcpCounters counters;
  auto s = summarize_rtcp(c, 0xaabbccdd, counters);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sender_ssrc, 0x1111u);
  ASSERT_TRUE(s->about_us);
  EXPECT_EQ(s->about_us->fraction_lost, 64);
  EXPECT_EQ(s->feedback, 2u);
  EXPECT_EQ(counters.psfb, 1u);
  EXPECT_EQ(counters.rtpfb, 1u);
  EXPECT_EQ(counters.xr, 1u);
  EXPECT_EQ(counters.apps, 1u);

  RtcpReader reader(c);
  RtcpPacketView p;
  int index = 0;
  while (reader.next(p)) {
    if (p.type == 206) {
      auto fb = parse_feedback(p);
      ASSERT_TRUE(fb);
      EXPECT_EQ(fb->format, 1);  // PLI
      EXPECT_EQ(fb->media_ssrc, 0xaabbccddu);
      EXPECT_TRUE(fb->fci.empty());
    }
    if (p.type == 204) {
      auto app = parse_app(p);
      ASSERT_TRUE(app);
      EXPECT_EQ(app->subtype, 3);
      EXPECT_EQ(app->name, "FLOE");
      EXPECT_EQ(app->data.size(), 4u);
    }
    ++index;
  }
  EXPECT_EQ(index, 6);
  EXPECT_EQ(reader.error(), RtcpParseError::None);
}

TEST(Rtcp, MalformedPacketsEndTheWalkWithAReason) {
  RtcpCounters c;
  const std::uint8_t tiny[] = {0x80, 201, 0};
  EXPECT_FALSE(summarize_rtcp(tiny, 0, c));
  EXPECT_EQ(c.malformed[static_cast<int>(RtcpParseError::TooShort)], 1u);

  const std::uint8_t v1[] = {0x40, 201, 0, 1, 0, 0, 0, 1};
  EXPECT_FALSE(summarize_rtcp(v1, 0, c));
  EXPECT_EQ(c.malformed[static_cast<int>(RtcpParseError::BadVersion)], 1u);

  const std::uint8_t overrun[] = {0x80, 201, 0, 5, 0, 0, 0, 1};
  EXPECT_FALSE(summarize_rtcp(overrun, 0, c));
  EXPECT_EQ(c.malformed[static_cast<int>(RtcpParseError::LengthOverrun)], 1u);

  // Padding on a packet that is not the last one.
  const std::uint8_t padded_first[] = {0xa0, 201, 0, 1, 0, 0, 0, 4,
                                       0x80, 201, 0, 1, 0, 0, 0, 1};
  EXPECT_FALSE(summarize_rtcp(padded_first, 0, c));
  EXPECT_EQ(c.malformed[static_cast<int>(RtcpParseError::BadPadding)], 1u);
  // Padding count 0, and too large.
  const std::uint8_t pad0[] = {0xa0, 201, 0, 1, 0, 0, 0, 0};
  const std::uint8_t padbig[] = {0xa0, 201, 0, 1, 0, 0, 0, 9};
  EXPECT_FALSE(summarize_rtcp(pad0, 0, c));
  EXPECT_FALSE(summarize_rtcp(padbig, 0, c));
  EXPECT_EQ(c.malformed[static_cast<int>(RtcpParseError::BadPadding)], 3u);
  // Valid padding on the last packet (SRTCP senders pad): body excludes it.
  const std::uint8_t padok[] = {0xa0, 201, 0, 2, 0, 0, 0, 9, 0, 0, 0, 4};
  RtcpReader ok(padok);
  RtcpPacketView p;
  ASSERT_TRUE(ok.next(p));
  EXPECT_EQ(p.body.size(), 4u);

  // RR whose count claims a block the length does not hold: BadCount, but
  // the packets before it were read.
  const std::uint8_t good_then_bad[] = {0x80, 201, 0, 1, 0, 0, 0, 1,
                                        0x81, 201, 0, 1, 0, 0, 0, 2};
  auto s = summarize_rtcp(good_then_bad, 0, c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sender_ssrc, 1u);
  EXPECT_EQ(c.malformed[static_cast<int>(RtcpParseError::BadCount)], 1u);

  // SDES item running past the packet; BYE reason longer than the packet.
  const std::uint8_t sdes_bad[] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'a', 'b'};
  RtcpReader sr(sdes_bad);
  ASSERT_TRUE(sr.next(p));
  SdesReader items(p);
  SdesItem item;
  EXPECT_FALSE(items.next(item));
  EXPECT_TRUE(items.malformed());
  const std::uint8_t bye_bad[] = {0x81, 203, 0, 2, 0, 0, 0, 1, 9, 'a', 'b', 'c'};
  RtcpReader br(bye_bad);
  ASSERT_TRUE(br.next(p));
  EXPECT_FALSE(parse_bye(p));
  EXPECT_STREQ(to_string(RtcpParseError::LengthOverrun), "length_overrun");
}

TEST(Rtcp, RoundTripTimeFromRfc3550Example) {
  // RFC 3550 §6.4.1: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000
  // (46853.125 s), DLSR = 0x0005:4000 (5.250 s) -> delay 0x0006:2000 = 6.125 s.
  const auto rtt = round_trip_time(0xb7108000, sample_block());
  ASSERT_TRUE(rtt);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(*rtt).count(), 6125000);
  ReportBlock no_sr = sample_block();
  no_sr.last_sr = 0;
  EXPECT_FALSE(round_trip_time(0xb7108000, no_sr));
  EXPECT_FALSE(round_trip_time(0xb7050000, sample_block()));  // negative
}

TEST(Rtcp, SrToRoundTripThroughReceiveStatsOnAVirtualClock) {
  // Our SR leaves at t0 (NTP from our clock), the peer's ReceiveStats turns
  // it into LSR/DLSR, its RR comes back 80 ms after sending; RTT = 2 x 40 ms
  // of path delay.
  const Instant t0 = Instant{} + seconds(500);
  const NtpClock ntp(t0, 0xe0001234'56780000ull);
  ReceiveStats peer(8000);
  for (int i = 0; i < 3; ++i)
    peer.on_rtp(t0 + milliseconds(20 * i), 0xaabbccdd, static_cast<std::uint16_t>(i), 160u * i);
  peer.on_sender_report(t0 + milliseconds(40), 0xaabbccdd, ntp.ntp(t0));
  auto block = peer.make_report_block(t0 + milliseconds(540));  // held 500 ms
  const auto rtt = round_trip_time(ntp.ntp_short(t0 + milliseconds(580)), block);
  ASSERT_TRUE(rtt);
  const double ms = std::chrono::duration<double, std::milli>(*rtt).count();
  EXPECT_NEAR(ms, 80.0, 0.1);
}

TEST(MediaClock, TicksAndNtpConversions) {
  EXPECT_EQ(to_ticks(milliseconds(20), 8000), 160);
  EXPECT_EQ(to_ticks(milliseconds(20), 48000), 960);
  EXPECT_EQ(to_ticks(std::chrono::hours(24 * 30), 90000), 90000ll * 86400 * 30);
  EXPECT_EQ(to_ticks(-milliseconds(20), 8000), -160);
  EXPECT_EQ(from_ticks(8000, 8000), seconds(1));
  EXPECT_EQ(to_ntp_short(milliseconds(1500)), 98304u);
  EXPECT_EQ(from_ntp_short(65536), seconds(1));
  const Instant t = Instant{} + seconds(3);
  NtpClock clock(t, 5ull << 32);
  EXPECT_EQ(clock.ntp(t + milliseconds(500)), (5ull << 32) + (1ull << 31));
  EXPECT_EQ(clock.ntp_short(t + seconds(1)), 6u << 16);
  const auto sys = NtpClock::from_system(t);
  EXPECT_GT(sys.ntp(t) >> 32, 3900000000ull);  // after 2023 in NTP seconds
}
