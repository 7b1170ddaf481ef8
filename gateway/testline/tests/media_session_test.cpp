#include "gateway/testline/media_session.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace floe::testline {
namespace {

SocketAddress addr(const char* s) { return *SocketAddress::parse(s); }

struct Sent {
  bool rtcp;
  SocketAddress to;
  Bytes bytes;
};

std::vector<Sent> drain(MediaSession& m) {
  std::vector<Sent> out;
  while (const Datagram* d = m.poll_output())
    out.push_back({d->rtcp, d->to, Bytes(d->bytes().begin(), d->bytes().end())});
  return out;
}

AudioAgreement agreement(sdp::Direction dir = sdp::Direction::SendRecv, std::uint8_t pt = 0) {
  AudioAgreement a;
  a.remote_rtp = addr("127.0.0.1:6000");
  a.remote_rtcp = addr("127.0.0.1:6001");
  a.payload_type = pt;
  a.law = pt == 8 ? G711Law::Alaw : G711Law::Ulaw;
  a.local_direction = dir;
  return a;
}

// Runs the session's timer on a virtual clock until `until`.
std::vector<Sent> run(MediaSession& m, Instant& now, Instant until) {
  std::vector<Sent> all;
  while (true) {
    Instant t = m.next_timeout();
    if (t > until) break;
    now = std::max(now, t);
    m.handle_timeout(now);
    for (auto& s : drain(m)) all.push_back(std::move(s));
  }
  now = until;
  return all;
}

TEST(MediaSession, TonePacesTwentyMillisecondPackets) {
  Instant t0{};
  Instant now = t0;
  MediaSession m(LineMode::Tone, t0, 0, 0xabcdef01, 65530, 0xfffff000, "t@x");
  m.configure(now, agreement());
  auto sent = run(m, now, t0 + seconds(1) - microseconds(1));
  std::vector<Sent> rtp;
  for (auto& s : sent)
    if (!s.rtcp) rtp.push_back(s);
  ASSERT_EQ(rtp.size(), 50u);
  for (std::size_t i = 0; i < rtp.size(); ++i) {
    const Bytes& b = rtp[i].bytes;
    ASSERT_EQ(b.size(), 172u);
    EXPECT_EQ(rtp[i].to, addr("127.0.0.1:6000"));
    EXPECT_EQ(b[0], 0x80);
    EXPECT_EQ(b[1] & 0x7f, 0);
    EXPECT_EQ((b[1] & 0x80) != 0, i == 0);  // marker on the first packet only
    EXPECT_EQ(load_be16(&b[2]), static_cast<std::uint16_t>(65530 + i));  // wraps
    EXPECT_EQ(load_be32(&b[4]), static_cast<std::uint32_t>(0xfffff000u + 160 * i));
    EXPECT_EQ(load_be32(&b[8]), 0xabcdef01u);
  }
  // 1 kHz at 8 kHz: the decoded waveform repeats every 8 samples.
  const Bytes& b = rtp[3].bytes;
  for (int k = 12; k < 172 - 8; ++k) EXPECT_EQ(b[k], b[k + 8]);
  EXPECT_EQ(m.counters().tone_packets, 50u);
}

TEST(MediaSession, HoldStopsToneAndResumeKeepsTimestampLine) {
  Instant t0{};
  Instant now = t0;
  MediaSession m(LineMode::Tone, t0, 0, 1, 100, 1000, "t@x");
  m.configure(now, agreement());
  run(m, now, t0 + milliseconds(199));  // ticks 0..9
  m.configure(now, agreement(sdp::Direction::RecvOnly));  // held by the peer (it sent sendonly)
  auto during = run(m, now, t0 + milliseconds(2999));
  for (auto& s : during) EXPECT_TRUE(s.rtcp);
  m.configure(now, agreement(sdp::Direction::SendRecv, 8));  // resume, now A-law
  auto after = run(m, now, t0 + milliseconds(3019));
  std::vector<Sent> rtp;
  for (auto& s : after)
    if (!s.rtcp) rtp.push_back(s);
  ASSERT_FALSE(rtp.empty());
  const Bytes& b = rtp[0].bytes;
  EXPECT_EQ(b[1], 0x80 | 8);                  // marker: a new talkspurt, PCMA
  EXPECT_EQ(load_be16(&b[2]), 110);           // sequence continues (+1 per packet sent)
  EXPECT_EQ(load_be32(&b[4]), 1000u + 149 * 160);  // timestamp counted through the hold
}

TEST(MediaSession, LateTimerSkipsAheadInsteadOfBursting) {
  Instant t0{};
  MediaSession m(LineMode::Tone, t0, 0, 1, 0, 0, "t@x");
  m.configure(t0, agreement());
  m.handle_timeout(t0);
  drain(m);
  m.handle_timeout(t0 + milliseconds(500));
  auto out = drain(m);
  std::size_t rtp = 0;
  for (auto& s : out)
    if (!s.rtcp) ++rtp;
  EXPECT_EQ(rtp, 1u);
  EXPECT_EQ(m.counters().late_resyncs, 1u);
}

TEST(MediaSession, EchoReturnsPacketsToTheirSourceOnlyWhenSendRecv) {
  Instant now{};
  MediaSession m(LineMode::Echo, now, 0, 1, 0, 0, "e@x");
  Bytes pkt(172, 0x55);
  pkt[0] = 0x80;
  pkt[1] = 0;
  m.handle_rtp(now, addr("127.0.0.1:7000"), pkt);
  EXPECT_TRUE(drain(m).empty());  // not configured yet (offer in our 200, no ACK)
  m.configure(now, agreement());
  drain(m);
  m.handle_rtp(now, addr("127.0.0.1:7000"), pkt);
  auto out = drain(m);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, addr("127.0.0.1:7000"));
  EXPECT_EQ(out[0].bytes, pkt);
  m.configure(now, agreement(sdp::Direction::RecvOnly));
  m.handle_rtp(now, addr("127.0.0.1:7000"), pkt);
  EXPECT_TRUE(drain(m).empty());
  m.configure(now, agreement(sdp::Direction::SendOnly));
  m.handle_rtp(now, addr("127.0.0.1:7000"), pkt);
  EXPECT_TRUE(drain(m).empty());
  EXPECT_EQ(m.counters().dropped_direction, 1u);
  m.handle_rtp(now, addr("127.0.0.1:7000"), Bytes{0x80, 0});
  EXPECT_EQ(m.counters().dropped_malformed, 1u);
  EXPECT_EQ(m.counters().rtp_echoed, 1u);
}

TEST(MediaSession, RtcpReportsAndByeOnStop) {
  Instant t0{};
  Instant now = t0;
  const std::uint64_t ntp = std::uint64_t{3'900'000'000} << 32;
  MediaSession m(LineMode::Tone, t0, ntp, 0x01020304, 0, 5000, "testline-tone@127.0.0.1");
  m.configure(now, agreement());
  auto sent = run(m, now, t0 + milliseconds(2600));
  std::vector<Sent> rtcp;
  for (auto& s : sent)
    if (s.rtcp) rtcp.push_back(s);
  ASSERT_EQ(rtcp.size(), 1u);
  const Bytes& b = rtcp[0].bytes;
  EXPECT_EQ(rtcp[0].to, addr("127.0.0.1:6001"));
  ASSERT_GE(b.size(), 28u + 8u);
  EXPECT_EQ(b[1], 200);  // SR
  EXPECT_EQ(load_be16(&b[2]), 6);
  EXPECT_EQ(load_be32(&b[4]), 0x01020304u);
  EXPECT_EQ(load_be32(&b[8]), 3'900'000'002u);  // NTP seconds at t0 + 2.5 s
  EXPECT_EQ(load_be32(&b[16]), 5000u + 20000u);  // RTP time at t0 + 2.5 s
  EXPECT_EQ(load_be32(&b[20]), 126u);            // packets 0..125 by 2.5 s
  EXPECT_EQ(b[29], 202);                         // SDES follows
  EXPECT_EQ(b.size() % 4, 0u);
  EXPECT_EQ((load_be16(&b[30]) + 1) * 4 + 28, b.size());
  m.stop(now);
  auto bye = drain(m);
  ASSERT_EQ(bye.size(), 1u);
  EXPECT_EQ(bye[0].bytes[bye[0].bytes.size() - 7], 203);  // BYE last
  EXPECT_EQ(m.next_timeout(), kNever);
}

Bytes event_packet(std::uint16_t seq, std::uint32_t ts, std::uint8_t code, bool end,
                   std::uint16_t duration) {
  Bytes p(16, 0);
  p[0] = 0x80;
  p[1] = 101;
  store_be16(&p[2], seq);
  store_be32(&p[4], ts);
  store_be32(&p[8], 0x1234);
  p[12] = code;
  p[13] = static_cast<std::uint8_t>((end ? 0x80 : 0) | 10);
  store_be16(&p[14], duration);
  return p;
}

// RFC 4733: an event counts once, at its end packet, however many times
// the end is repeated; volume/duration updates before it do not count.
TEST(MediaSession, Rfc4733EventsAreRecordedOnce) {
  Instant now{};
  MediaSession m(LineMode::Echo, now, 0, 1, 0, 0, "e@x");
  AudioAgreement a = agreement();
  a.telephone_event = 101;
  m.configure(now, a);
  std::uint16_t seq = 1;
  for (std::uint16_t d = 160; d <= 640; d += 160) m.handle_rtp(now, a.remote_rtp, event_packet(seq++, 8000, 1, false, d));
  for (int i = 0; i < 3; ++i) m.handle_rtp(now, a.remote_rtp, event_packet(seq, 8000, 1, true, 800));
  ++seq;
  for (int i = 0; i < 3; ++i) m.handle_rtp(now, a.remote_rtp, event_packet(seq, 16000, 11, true, 1200));
  ++seq;
  m.handle_rtp(now, a.remote_rtp, event_packet(seq, 24000, 16, true, 400));
  Bytes short_event = event_packet(seq + 1, 32000, 2, true, 400);
  short_event.resize(14);
  m.handle_rtp(now, a.remote_rtp, short_event);
  ASSERT_EQ(m.dtmf().size(), 3u);
  EXPECT_EQ(m.dtmf()[0].digit, '1');
  EXPECT_EQ(m.dtmf()[0].duration, 800);
  EXPECT_EQ(m.dtmf()[0].timestamp, 8000u);
  EXPECT_EQ(m.dtmf()[1].digit, '#');
  EXPECT_EQ(m.dtmf()[1].duration, 1200);
  EXPECT_EQ(m.dtmf()[2].digit, '!');
  EXPECT_EQ(m.counters().dtmf_events, 3u);
  EXPECT_EQ(m.counters().dropped_malformed, 1u);
}

TEST(MediaSession, MediaTimeoutCountsRtpAndRtcp) {
  Instant t0{};
  Instant now = t0;
  MediaSession m(LineMode::Echo, t0, 0, 1, 0, 0, "e@x");
  m.set_media_timeout(seconds(10));
  m.configure(now, agreement());
  Bytes rtcp{0x80, 201, 0, 1, 0, 0, 0, 9};
  run(m, now, t0 + seconds(9));
  m.handle_rtcp(now, addr("127.0.0.1:6001"), rtcp);  // a held peer still sends RTCP
  run(m, now, t0 + seconds(18));
  EXPECT_FALSE(m.timed_out());
  Bytes rtp(20, 0);
  rtp[0] = 0x80;
  m.handle_rtp(now, addr("127.0.0.1:6000"), rtp);
  run(m, now, t0 + seconds(27));
  EXPECT_FALSE(m.timed_out());
  run(m, now, t0 + seconds(28));
  EXPECT_TRUE(m.timed_out());
}

}  // namespace
}  // namespace floe::testline
