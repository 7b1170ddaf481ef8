#include "gateway/media/rtp.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace floe;
using namespace floe::media;

namespace {

// A PCMU packet as a SIP phone sends it: V=2, PT 0, seq 0x1234, ts 0xdeadbeef,
// SSRC 0x11223344, 160 bytes of payload.
std::vector<std::uint8_t> pcmu_packet(std::size_t payload = 160) {
  std::vector<std::uint8_t> p = {0x80, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe,
                                 0xef, 0x11, 0x22, 0x33, 0x44};
  for (std::size_t i = 0; i < payload; ++i) p.push_back(static_cast<std::uint8_t>(0xff - i));
  return p;
}

}  // namespace

TEST(Rtp, ParsesFixedHeader) {
  auto bytes = pcmu_packet();
  auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->padding());
  EXPECT_FALSE(p->has_extension());
  EXPECT_FALSE(p->marker());
  EXPECT_EQ(p->csrc_count(), 0);
  EXPECT_EQ(p->payload_type(), 0);
  EXPECT_EQ(p->sequence(), 0x1234);
  EXPECT_EQ(p->timestamp(), 0xdeadbeefu);
  EXPECT_EQ(p->ssrc(), 0x11223344u);
  EXPECT_EQ(p->header_size(), 12u);
  EXPECT_EQ(p->payload_size(), 160u);
  EXPECT_EQ(p->payload()[0], 0xff);
  EXPECT_EQ(p->padding_size(), 0u);
}

TEST(Rtp, CsrcExtensionAndPaddingAreSkippedByLength) {
  // Opus from Chrome: marker, PT 111, one CSRC, an RFC 8285 one-byte
  // extension (0xBEDE, 1 word: audio level id 1), 3 payload bytes, 4 padding.
  std::vector<std::uint8_t> b = {0xb1, 0xef, 0x00, 0x01, 0, 0, 0, 0x10, 0xaa, 0xbb, 0xcc, 0xdd,
                                 0x01, 0x02, 0x03, 0x04,              // CSRC
                                 0xbe, 0xde, 0x00, 0x01,              // extension header
                                 0x10, 0x7f, 0x00, 0x00,              // id 1 len 1, pad
                                 0x61, 0x62, 0x63,                    // payload
                                 0x00, 0x00, 0x00, 0x04};             // padding
  RtpParseError err;
  auto p = RtpPacket::parse(b, &err);
  ASSERT_TRUE(p) << to_string(err);
  EXPECT_TRUE(p->marker());
  EXPECT_EQ(p->payload_type(), 111);
  EXPECT_EQ(p->csrc_count(), 1);
  EXPECT_EQ(p->csrc(0), 0x01020304u);
  EXPECT_EQ(p->extension_profile(), 0xbede);
  EXPECT_EQ(p->extension_data().size(), 4u);
  EXPECT_EQ(p->header_size(), 24u);
  EXPECT_EQ(p->payload_size(), 3u);
  EXPECT_EQ(p->padding_size(), 4u);
  EXPECT_EQ(as_chars(p->payload()), "abc");
}

TEST(Rtp, TwoByteExtensionFormIsSkippedToo) {
  std::vector<std::uint8_t> b = {0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2,
                                 0x10, 0x00, 0x00, 0x02,   // RFC 8285 §4.3 two-byte, 2 words
                                 0x05, 0x03, 1, 2, 3, 0, 0, 0,
                                 0x42};
  auto p = RtpPacket::parse(b);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->extension_profile(), 0x1000);
  EXPECT_EQ(p->header_size(), 24u);
  EXPECT_EQ(p->payload_size(), 1u);
}

TEST(Rtp, RejectsEachMalformationWithItsReason) {
  RtpParseError err;
  std::vector<std::uint8_t> shortp(11, 0x80);
  EXPECT_FALSE(RtpPacket::parse(shortp, &err));
  EXPECT_EQ(err, RtpParseError::TooShort);

  auto v1 = pcmu_packet();
  v1[0] = 0x40;
  EXPECT_FALSE(RtpPacket::parse(v1, &err));
  EXPECT_EQ(err, RtpParseError::BadVersion);

  auto cc = pcmu_packet(4);
  cc[0] = 0x82;  // two CSRCs need 8 bytes, 4 present
  EXPECT_FALSE(RtpPacket::parse(cc, &err));
  EXPECT_EQ(err, RtpParseError::CsrcOverrun);

  auto ext = pcmu_packet(8);
  ext[0] = 0x90;
  ext[12] = 0xbe, ext[13] = 0xde, ext[14] = 0x00, ext[15] = 0x02;  // 8 more bytes, 4 present
  EXPECT_FALSE(RtpPacket::parse(ext, &err));
  EXPECT_EQ(err, RtpParseError::ExtensionOverrun);

  auto ext_hdr = pcmu_packet(2);
  ext_hdr[0] = 0x90;
  EXPECT_FALSE(RtpPacket::parse(ext_hdr, &err));
  EXPECT_EQ(err, RtpParseError::ExtensionOverrun);

  auto pad0 = pcmu_packet(4);
  pad0[0] = 0xa0;
  pad0.back() = 0;
  EXPECT_FALSE(RtpPacket::parse(pad0, &err));
  EXPECT_EQ(err, RtpParseError::BadPadding);

  auto padbig = pcmu_packet(4);
  padbig[0] = 0xa0;
  padbig.back() = 5;
  EXPECT_FALSE(RtpPacket::parse(padbig, &err));
  EXPECT_EQ(err, RtpParseError::BadPadding);

  // Padding that covers the whole payload is fine (an RTX padding probe).
  auto padall = pcmu_packet(4);
  padall[0] = 0xa0;
  padall.back() = 4;
  auto p = RtpPacket::parse(padall, &err);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload_size(), 0u);
}

TEST(Rtp, SettersRewriteInPlace) {
  auto bytes = pcmu_packet();
  auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  p->set_marker(true);
  p->set_payload_type(8);
  p->set_sequence(0xfffe);
  p->set_timestamp(7);
  p->set_ssrc(0xcafebabe);
  auto q = RtpPacket::parse(bytes);
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->marker());
  EXPECT_EQ(q->payload_type(), 8);
  EXPECT_EQ(q->sequence(), 0xfffe);
  EXPECT_EQ(q->timestamp(), 7u);
  EXPECT_EQ(q->ssrc(), 0xcafebabeu);
  q->set_marker(false);
  EXPECT_EQ(bytes[1], 8);
  EXPECT_EQ(bytes[12], 0xff);  // payload untouched
}

TEST(Rtp, DemultiplexesRtcpPerRfc5761) {
  std::uint8_t sr[] = {0x80, 200, 0, 6};
  std::uint8_t rr[] = {0x81, 201, 0, 7};
  std::uint8_t psfb[] = {0x81, 206, 0, 2};
  std::uint8_t rtp_pt0[12] = {0x80, 0x00};
  std::uint8_t rtp_marker_pt111[12] = {0x80, 0xef};
  std::uint8_t rtp_pt96_marker[12] = {0x80, 0xe0};  // 224: outside 192-223
  EXPECT_TRUE(looks_like_rtcp(sr));
  EXPECT_TRUE(looks_like_rtcp(rr));
  EXPECT_TRUE(looks_like_rtcp(psfb));
  EXPECT_FALSE(looks_like_rtcp(rtp_pt0));
  EXPECT_TRUE(looks_like_rtp(rtp_pt0));
  EXPECT_TRUE(looks_like_rtp(rtp_marker_pt111));
  EXPECT_TRUE(looks_like_rtp(rtp_pt96_marker));
  std::uint8_t marker_pt64[12] = {0x80, 0xc0};  // PT 64 + marker reads as RTCP 192
  EXPECT_TRUE(looks_like_rtcp(marker_pt64));
  EXPECT_FALSE(looks_like_rtp(marker_pt64));
}

TEST(Rtp, WritesHeaderForLocalPackets) {
  std::uint8_t buf[16] = {};
  EXPECT_EQ(write_rtp_header(std::span<std::uint8_t>(buf, 11), {}), 0u);
  EXPECT_EQ(write_rtp_header(buf, {true, 101, 65535, 0x01020304, 0xa1b2c3d4}), 12u);
  auto p = RtpPacket::parse(buf);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->marker());
  EXPECT_EQ(p->payload_type(), 101);
  EXPECT_EQ(p->sequence(), 65535);
  EXPECT_EQ(p->timestamp(), 0x01020304u);
  EXPECT_EQ(p->ssrc(), 0xa1b2c3d4u);
  EXPECT_EQ(p->payload_size(), 4u);
}

TEST(Rtp, SequenceSerialOrder) {
  EXPECT_TRUE(seq_newer(1, 0));
  EXPECT_TRUE(seq_newer(0, 65535));
  EXPECT_FALSE(seq_newer(65535, 0));
  EXPECT_FALSE(seq_newer(5, 5));
  EXPECT_TRUE(seq_newer(0x7fff, 0));
  EXPECT_FALSE(seq_newer(0x8000, 0));
}

TEST(Rtp, StripExtensionMovesPayloadAndPaddingUp) {
  std::vector<std::uint8_t> b = {0xb1, 0xef, 0x00, 0x01, 0, 0, 0, 0x10, 0xaa, 0xbb, 0xcc, 0xdd,
                                 0x01, 0x02, 0x03, 0x04,
                                 0xbe, 0xde, 0x00, 0x01,
                                 0x10, 0x7f, 0x00, 0x00,
                                 0x61, 0x62, 0x63,
                                 0x00, 0x00, 0x00, 0x04};
  auto p = RtpPacket::parse(b);
  ASSERT_TRUE(p);
  p->strip_extension();
  EXPECT_EQ(p->size(), b.size() - 8);
  EXPECT_FALSE(p->has_extension());
  EXPECT_EQ(p->header_size(), 16u);
  EXPECT_EQ(as_chars(p->payload()), "abc");
  auto q = RtpPacket::parse(p->bytes());
  ASSERT_TRUE(q);
  EXPECT_EQ(q->csrc(0), 0x01020304u);
  EXPECT_EQ(as_chars(q->payload()), "abc");
  EXPECT_EQ(q->padding_size(), 4u);
  EXPECT_TRUE(q->marker());
  q->strip_extension();  // none left: no-op
  EXPECT_EQ(q->size(), b.size() - 8);
}
