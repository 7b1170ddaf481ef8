// SRTP sessions keyed like a DTLS-SRTP association: round trips per profile,
// replay and tamper drops, key update, RFC 5761/7983 demultiplexing.
#include <gtest/gtest.h>

#include "base/random.hpp"
#include "dtls/srtp/demux.hpp"
#include "dtls/srtp/session.hpp"

namespace floe::srtp {
namespace {

using dtls::SrtpKeys;
using dtls::SrtpProfile;

std::pair<SrtpKeys, SrtpKeys> key_pair(SrtpProfile profile) {
  auto info = dtls::profile_info(profile);
  Bytes material(2 * (info.key_length + info.salt_length));
  random_bytes(material);
  return {*dtls::split_keying_material(profile, material, true),
          *dtls::split_keying_material(profile, material, false)};
}

// RTP fixed header (RFC 3550 §5.1) + payload, with room for the trailer.
std::size_t make_rtp(std::array<std::uint8_t, 1500>& buf, std::uint16_t seq, std::uint32_t ssrc,
                     std::size_t payload, std::uint8_t fill = 0xab) {
  buf.fill(0);
  buf[0] = 0x80;
  buf[1] = 0;  // PCMU
  store_be16(&buf[2], seq);
  store_be32(&buf[4], seq * 160u);
  store_be32(&buf[8], ssrc);
  std::fill_n(buf.begin() + 12, payload, fill);
  return 12 + payload;
}

// RTCP receiver report with no blocks (RFC 3550 §6.4.2).
std::size_t make_rtcp(std::array<std::uint8_t, 1500>& buf, std::uint32_t ssrc) {
  buf.fill(0);
  buf[0] = 0x80;
  buf[1] = 201;
  store_be16(&buf[2], 1);
  store_be32(&buf[4], ssrc);
  return 8;
}

std::size_t tag_length(SrtpProfile p, bool rtcp) {
  switch (p) {
    case SrtpProfile::AeadAes128Gcm: return 16;
    case SrtpProfile::Aes128CmSha1_80: return 10;
    case SrtpProfile::Aes128CmSha1_32: return rtcp ? 10 : 4;
  }
  return 0;
}

class SrtpRoundTrip : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(SrtpRoundTrip, RtpAndRtcpSurviveProtectThenUnprotect) {
  auto [a_keys, b_keys] = key_pair(GetParam());
  SrtpSession a, b;
  ASSERT_TRUE(a.set_keys(a_keys));
  ASSERT_TRUE(b.set_keys(b_keys));
  std::array<std::uint8_t, 1500> buf, plain;
  for (std::uint32_t ssrc : {0x11111111u, 0x22222222u}) {  // SSRCs appear as they come
    for (std::uint16_t seq = 65530; seq != 10; ++seq) {     // crosses the ROC wrap
      std::size_t n = make_rtp(buf, seq, ssrc, 160);
      plain = buf;
      auto p = a.protect_rtp(buf, n);
      ASSERT_TRUE(p);
      EXPECT_EQ(*p, n + tag_length(GetParam(), false));
      EXPECT_NE(0, std::memcmp(buf.data() + 12, plain.data() + 12, 160));
      auto u = b.unprotect_rtp({buf.data(), *p});
      ASSERT_TRUE(u) << to_string(*b.last_drop());
      EXPECT_EQ(*u, n);
      EXPECT_EQ(0, std::memcmp(buf.data(), plain.data(), n));
    }
    std::size_t n = make_rtcp(buf, ssrc);
    plain = buf;
    auto p = a.protect_rtcp(buf, n);
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, n + 4 + tag_length(GetParam(), true));  // SRTCP index + tag
    auto u = b.unprotect_rtcp({buf.data(), *p});
    ASSERT_TRUE(u);
    EXPECT_EQ(0, std::memcmp(buf.data(), plain.data(), n));
  }
  // And the other direction.
  std::size_t n = make_rtp(buf, 1, 0x33333333u, 20);
  auto p = b.protect_rtp(buf, n);
  ASSERT_TRUE(p);
  EXPECT_TRUE(a.unprotect_rtp({buf.data(), *p}));
  EXPECT_EQ(a.counters().rtp_unprotected, 1u);
  EXPECT_EQ(b.counters().rtp_unprotected, 32u);
  EXPECT_EQ(b.counters().rtcp_unprotected, 2u);
}

TEST_P(SrtpRoundTrip, ReplayedAndTamperedPacketsAreDroppedAndCounted) {
  auto [a_keys, b_keys] = key_pair(GetParam());
  SrtpSession a, b;
  ASSERT_TRUE(a.set_keys(a_keys) && b.set_keys(b_keys));
  std::array<std::uint8_t, 1500> buf, copy;
  std::size_t n = make_rtp(buf, 100, 42, 50);
  std::size_t p = *a.protect_rtp(buf, n);
  copy = buf;
  ASSERT_TRUE(b.unprotect_rtp({buf.data(), p}));
  // Replay: the same protected bytes again.
  EXPECT_FALSE(b.unprotect_rtp({copy.data(), p}));
  EXPECT_EQ(b.last_drop(), DropReason::Replay);
  EXPECT_EQ(b.counters().drops_for(DropReason::Replay), 1u);
  // Tamper: one payload bit flipped.
  n = make_rtp(buf, 101, 42, 50);
  p = *a.protect_rtp(buf, n);
  copy = buf;
  buf[20] ^= 0x01;
  EXPECT_FALSE(b.unprotect_rtp({buf.data(), p}));
  EXPECT_EQ(b.counters().drops_for(DropReason::Auth), 1u);
  // The tampered packet must not have moved the replay window: the genuine
  // one passes. (AEAD may have decrypted the failed buffer in place, so the
  // genuine bytes come from the copy.)
  EXPECT_TRUE(b.unprotect_rtp({copy.data(), p}));
  // Tampered RTCP.
  n = make_rtcp(buf, 42);
  p = *a.protect_rtcp(buf, n);
  buf[5] ^= 0x80;
  EXPECT_FALSE(b.unprotect_rtcp({buf.data(), p}));
  EXPECT_EQ(b.counters().drops_for(DropReason::Auth), 2u);
  // Far left of the window.
  for (std::uint16_t seq = 102; seq < 3000; seq += 100) {
    n = make_rtp(buf, seq, 42, 10);
    p = *a.protect_rtp(buf, n);
    ASSERT_TRUE(b.unprotect_rtp({buf.data(), p}));
  }
  n = make_rtp(buf, 1000, 43, 10);  // new SSRC, fresh window: accepted
  p = *a.protect_rtp(buf, n);
  EXPECT_TRUE(b.unprotect_rtp({buf.data(), p}));
  // Too short to be RTP at all.
  EXPECT_FALSE(b.unprotect_rtp({buf.data(), 5}));
  EXPECT_EQ(b.counters().drops_for(DropReason::BadLength), 1u);
  // No room for the tag.
  n = make_rtp(buf, 5000, 42, 10);
  EXPECT_FALSE(a.protect_rtp({buf.data(), n + 3}, n));
  EXPECT_EQ(a.counters().drops_for(DropReason::BadLength), 1u);
}

TEST_P(SrtpRoundTrip, ResumesAfterLongHoldSequenceJump) {
  auto [a_keys, b_keys] = key_pair(GetParam());
  SrtpSession a, b;
  ASSERT_TRUE(a.set_keys(a_keys) && b.set_keys(b_keys));
  std::array<std::uint8_t, 1500> buf;
  std::uint16_t seq = 1000;
  for (int i = 0; i < 5; ++i, ++seq) {
    std::size_t p = *a.protect_rtp(buf, make_rtp(buf, seq, 7, 20));
    ASSERT_TRUE(b.unprotect_rtp({buf.data(), p}));
  }
  // A hold: the sender's sequence moved on by almost half the space while
  // nothing was received; the receiver must still estimate the index.
  for (int step : {20000, 30000, 32000}) {
    seq = static_cast<std::uint16_t>(seq + step);
    // The sender's context must advance too: protect the skipped range's end.
    std::size_t p = *a.protect_rtp(buf, make_rtp(buf, seq, 7, 20));
    EXPECT_TRUE(b.unprotect_rtp({buf.data(), p})) << "jump " << step;
    ++seq;
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpRoundTrip,
                         ::testing::Values(SrtpProfile::AeadAes128Gcm,
                                           SrtpProfile::Aes128CmSha1_80,
                                           SrtpProfile::Aes128CmSha1_32),
                         [](const ::testing::TestParamInfo<SrtpProfile>& i) {
                           return std::string(i.param == SrtpProfile::AeadAes128Gcm ? "Gcm"
                                              : i.param == SrtpProfile::Aes128CmSha1_80
                                                  ? "Cm80"
                                                  : "Cm32");
                         });

TEST(SrtpSession, KeyUpdateReplacesBothDirections) {
  auto [a1, b1] = key_pair(SrtpProfile::Aes128CmSha1_80);
  auto [a2, b2] = key_pair(SrtpProfile::AeadAes128Gcm);
  SrtpSession a, b;
  ASSERT_TRUE(a.set_keys(a1) && b.set_keys(b1));
  std::array<std::uint8_t, 1500> buf, old;
  std::size_t p_old = *a.protect_rtp(buf, make_rtp(buf, 10, 9, 30));
  old = buf;
  ASSERT_TRUE(a.set_keys(a2) && b.set_keys(b2));  // ICE restart + new handshake
  EXPECT_EQ(b.profile(), SrtpProfile::AeadAes128Gcm);
  EXPECT_FALSE(b.unprotect_rtp({old.data(), p_old}));
  EXPECT_EQ(b.last_drop(), DropReason::Auth);
  std::size_t p = *a.protect_rtp(buf, make_rtp(buf, 10, 9, 30));  // same seq: fresh state
  EXPECT_TRUE(b.unprotect_rtp({buf.data(), p}));
}

TEST(SrtpSession, WithoutKeysEverythingIsACountedDrop) {
  SrtpSession s;
  std::array<std::uint8_t, 1500> buf;
  std::size_t n = make_rtp(buf, 1, 1, 10);
  EXPECT_FALSE(s.protect_rtp(buf, n));
  EXPECT_FALSE(s.unprotect_rtcp({buf.data(), n}));
  EXPECT_EQ(s.counters().drops_for(DropReason::NoSession), 2u);
  dtls::SrtpKeys bad;
  bad.local.length = 3;
  EXPECT_FALSE(s.set_keys(bad));
}

TEST(Demux, Rfc7983FirstByteAndRfc5761PayloadType) {
  const std::uint8_t stun[] = {0x00, 0x01, 0, 0};
  const std::uint8_t dtls[] = {22, 0xfe, 0xfd};
  const std::uint8_t rtp[] = {0x80, 0x00};
  const std::uint8_t rtp_marker_pt111[] = {0x80, 0x80 | 111};
  const std::uint8_t rtcp_sr[] = {0x80, 200};
  const std::uint8_t rtcp_rtpfb[] = {0x81, 205};
  const std::uint8_t turn[] = {0x40, 0x00};
  const std::uint8_t junk[] = {0xff};
  EXPECT_EQ(classify(stun), PacketClass::Stun);
  EXPECT_EQ(classify(dtls), PacketClass::Dtls);
  EXPECT_EQ(classify(rtp), PacketClass::Rtp);
  EXPECT_EQ(classify(rtp_marker_pt111), PacketClass::Rtp);
  EXPECT_EQ(classify(rtcp_sr), PacketClass::Rtcp);
  EXPECT_EQ(classify(rtcp_rtpfb), PacketClass::Rtcp);
  EXPECT_EQ(classify(turn), PacketClass::TurnChannel);
  EXPECT_EQ(classify(junk), PacketClass::Unknown);
  EXPECT_EQ(classify({}), PacketClass::Unknown);
  EXPECT_TRUE(is_rtcp(rtcp_sr));
  EXPECT_FALSE(is_rtcp(rtp));
}

}  // namespace
}  // namespace floe::srtp
