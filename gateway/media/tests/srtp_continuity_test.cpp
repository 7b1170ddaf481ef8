// OutboundStream in front of a real libsrtp session (floe::srtp::SrtpSession):
// libsrtp estimates the packet index from the sequence number and refuses a
// forward jump of 2^15 or more as a replay (RFC 3711 §3.3.1 index guess), so
// an upstream restart passed through unchanged kills the browser leg's
// audio. Through OutboundStream the same upstream protects and unprotects
// cleanly and the receiver counts no loss.
#include <gtest/gtest.h>

#include <array>

#include "base/random.hpp"
#include "dtls/srtp/session.hpp"
#include "gateway/media/receive_stats.hpp"
#include "gateway/media/stream_rewriter.hpp"

using namespace floe;
using namespace floe::media;

namespace {

std::pair<dtls::SrtpKeys, dtls::SrtpKeys> key_pair() {
  const auto profile = dtls::SrtpProfile::Aes128CmSha1_80;
  const auto info = dtls::profile_info(profile);
  Bytes material(2 * (info.key_length + info.salt_length));
  random_bytes(material);
  return {*dtls::split_keying_material(profile, material, true),
          *dtls::split_keying_material(profile, material, false)};
}

struct Upstream {
  std::uint32_t ssrc;
  std::uint16_t seq;
  std::uint32_t ts;
  std::size_t write(std::array<std::uint8_t, 256>& buf) {
    write_rtp_header(buf, {false, 0, seq++, ts, ssrc});
    ts += 160;
    std::fill_n(buf.begin() + 12, 160, std::uint8_t{0xd5});
    return 12 + 160;
  }
};

const Instant t0 = Instant{} + seconds(100);

}  // namespace

TEST(SrtpContinuity, RawUpstreamJumpIsRefusedByLibsrtp) {
  auto [a, b] = key_pair();
  srtp::SrtpSession tx;
  ASSERT_TRUE(tx.set_keys(a));
  std::array<std::uint8_t, 256> buf{};
  // Once the index is past 2^15 libsrtp reads a forward jump of 2^15 or
  // more as a packet from the previous rollover: a replay, refused.
  Upstream up{0x1111, 40000, 0};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(tx.protect_rtp(buf, up.write(buf)));
  up.seq = static_cast<std::uint16_t>(up.seq + 40000);  // sender restarted, same SSRC
  EXPECT_FALSE(tx.protect_rtp(buf, up.write(buf)));
  EXPECT_EQ(tx.last_drop(), srtp::DropReason::ReplayOld);
}

TEST(SrtpContinuity, RewrittenStreamSurvivesRestartsSwitchesAndLongHold) {
  auto [a, b] = key_pair();
  srtp::SrtpSession tx, rx;
  ASSERT_TRUE(tx.set_keys(a));
  ASSERT_TRUE(rx.set_keys(b));
  OutboundStream out(t0, 0xf10e0001, 8000, 65000, 12345);  // wraps during the test
  out.map_payload_type(0, 0);
  ReceiveStats stats(8000);
  std::array<std::uint8_t, 256> buf{};
  Instant now = t0;
  int sent = 0;
  auto send = [&](Upstream& up, int count) {
    for (int i = 0; i < count; ++i, now += milliseconds(20)) {
      const std::size_t n = up.write(buf);
      auto p = RtpPacket::parse(std::span<std::uint8_t>(buf.data(), n));
      ASSERT_TRUE(p);
      ASSERT_TRUE(out.rewrite(now, *p));
      auto protected_len = tx.protect_rtp(buf, n);
      ASSERT_TRUE(protected_len) << "packet " << sent;
      auto plain = rx.unprotect_rtp(std::span<std::uint8_t>(buf.data(), *protected_len));
      ASSERT_TRUE(plain) << "packet " << sent;
      auto q = RtpPacket::parse(std::span<std::uint8_t>(buf.data(), *plain));
      ASSERT_TRUE(q);
      stats.on_rtp(now, q->ssrc(), q->sequence(), q->timestamp());
      ++sent;
    }
  };
  Upstream first{0x1111, 40000, 0};
  send(first, 300);
  first.seq = static_cast<std::uint16_t>(first.seq + 40000);  // restart, same SSRC
  send(first, 300);
  Upstream second{0x2222, 7, 0x80000000u};  // transfer: another phone
  send(second, 300);
  now += std::chrono::minutes(30);  // a long hold, nothing sent
  second.ts += 30u * 60 * 8000;
  send(second, 300);
  EXPECT_EQ(sent, 1200);
  EXPECT_EQ(tx.counters().rtp_protected, 1200u);
  EXPECT_EQ(rx.counters().rtp_unprotected, 1200u);
  EXPECT_EQ(stats.lost(), 0);
  EXPECT_EQ(stats.counters().restarts, 0u);
  EXPECT_EQ(stats.received(), 1199u);  // all but the probation packet
  EXPECT_EQ(out.counters().source_jumps, 1u);
  EXPECT_EQ(out.counters().source_switches, 1u);
}
