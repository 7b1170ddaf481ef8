#include "gateway/testline/line_sdp.hpp"

#include <gtest/gtest.h>

#include "signaling/sdp/parser.hpp"

namespace floe::testline {
namespace {

SocketAddress addr(const char* s) { return *SocketAddress::parse(s); }

LocalSession session() { return LocalSession(42, addr("127.0.0.1:30000"), addr("127.0.0.1:30001")); }

// The offer sipp's stock UAC scenario sends (one PCMU stream).
constexpr const char* kSippOffer =
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

AudioAgreement agreed(const std::variant<AudioAgreement, SdpError>& r) {
  EXPECT_TRUE(std::holds_alternative<AudioAgreement>(r))
      << (std::holds_alternative<SdpError>(r) ? std::get<SdpError>(r).reason : "");
  return std::holds_alternative<AudioAgreement>(r) ? std::get<AudioAgreement>(r)
                                                   : AudioAgreement{};
}

TEST(LineSdp, AnswersSippOfferWithPcmu) {
  LocalSession s = session();
  std::string answer;
  const auto a = agreed(s.answer_offer(kSippOffer, answer));
  EXPECT_EQ(a.remote_rtp, addr("127.0.0.1:6000"));
  EXPECT_EQ(a.remote_rtcp, addr("127.0.0.1:6001"));
  EXPECT_EQ(a.payload_type, 0);
  EXPECT_EQ(a.law, G711Law::Ulaw);
  EXPECT_FALSE(a.telephone_event);
  EXPECT_EQ(a.local_direction, sdp::Direction::SendRecv);
  auto p = sdp::parse(answer);
  ASSERT_TRUE(p) << answer;
  const auto& d = p.value();
  EXPECT_EQ(d.connection, "IN IP4 127.0.0.1");
  ASSERT_EQ(d.media.size(), 1u);
  EXPECT_EQ(d.media[0].port, 30000);
  EXPECT_EQ(d.media[0].proto, "RTP/AVP");
  EXPECT_EQ(d.media[0].formats, std::vector<std::string>{"0"});
  EXPECT_FALSE(d.media[0].rtcp);  // RTCP on the next port needs no a=rtcp
  EXPECT_NE(answer.find("a=sendrecv\r\n"), std::string::npos);
  EXPECT_NE(answer.find("a=ptime:20\r\n"), std::string::npos);
  EXPECT_NE(answer.find("o=floe-testline 42 1 IN IP4 127.0.0.1\r\n"), std::string::npos);
}

TEST(LineSdp, FollowsOffererPreferenceAndKeepsTelephoneEvent) {
  LocalSession s = session();
  std::string answer;
  const auto a = agreed(s.answer_offer(
      "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nt=0 0\r\n"
      "m=audio 7000 RTP/AVP 9 8 0 96\r\nc=IN IP4 127.0.0.2\r\na=rtcp:7005\r\n"
      "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n",
      answer));
  EXPECT_EQ(a.payload_type, 8);
  EXPECT_EQ(a.law, G711Law::Alaw);
  EXPECT_EQ(a.telephone_event, 96);
  EXPECT_EQ(a.remote_rtcp, addr("127.0.0.2:7005"));
  EXPECT_NE(answer.find("m=audio 30000 RTP/AVP 8 96\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n"),
            std::string::npos);
}

TEST(LineSdp, HoldIsMirroredAndVersionMovesOnlyOnChange) {
  LocalSession s = session();
  std::string answer;
  agreed(s.answer_offer(kSippOffer, answer));
  EXPECT_EQ(s.version(), 1u);
  agreed(s.answer_offer(kSippOffer, answer));
  EXPECT_EQ(s.version(), 1u);  // same answer: same version (RFC 3264 §8)
  std::string hold = std::string(kSippOffer) + "a=sendonly\r\n";
  const auto h = agreed(s.answer_offer(hold, answer));
  EXPECT_EQ(h.local_direction, sdp::Direction::RecvOnly);
  EXPECT_NE(answer.find("a=recvonly\r\n"), std::string::npos);
  EXPECT_EQ(s.version(), 2u);
  std::string inactive = std::string(kSippOffer) + "a=inactive\r\n";
  EXPECT_EQ(agreed(s.answer_offer(inactive, answer)).local_direction, sdp::Direction::Inactive);
  const auto r = agreed(s.answer_offer(kSippOffer, answer));
  EXPECT_EQ(r.local_direction, sdp::Direction::SendRecv);
  EXPECT_EQ(s.version(), 4u);
}

TEST(LineSdp, OldStyleHoldAddressMeansDoNotSend) {
  LocalSession s = session();
  std::string answer;
  const auto a = agreed(s.answer_offer(
      "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 0\r\n",
      answer));
  EXPECT_TRUE(a.remote_rtp.ip().is_unspecified());
}

TEST(LineSdp, RefusesWhatItCannotSpeak) {
  LocalSession s = session();
  std::string answer;
  auto r = s.answer_offer(
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 18 96\r\na=rtpmap:96 opus/48000/2\r\n",
      answer);
  ASSERT_TRUE(std::holds_alternative<SdpError>(r));
  EXPECT_EQ(std::get<SdpError>(r).status, 488);
  r = s.answer_offer(
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 6000 RTP/SAVP 0\r\n",
      answer);
  ASSERT_TRUE(std::holds_alternative<SdpError>(r));
  EXPECT_EQ(std::get<SdpError>(r).status, 488);
  r = s.answer_offer("v=0\r\nthis is not sdp\r\n", answer);
  ASSERT_TRUE(std::holds_alternative<SdpError>(r));
  EXPECT_EQ(std::get<SdpError>(r).status, 400);
  r = s.answer_offer(
      "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n",
      answer);
  ASSERT_TRUE(std::holds_alternative<SdpError>(r));
}

// RFC 3264 §6: one answer section per offered one; what we do not take has
// port 0.
TEST(LineSdp, RejectsExtraStreamsWithPortZero) {
  LocalSession s = session();
  std::string answer;
  agreed(s.answer_offer(
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=video 6002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
      "m=audio 6000 RTP/AVP 0\r\n"
      "m=audio 6004 RTP/AVP 0\r\n",
      answer));
  auto p = sdp::parse(answer);
  ASSERT_TRUE(p) << answer;
  ASSERT_EQ(p.value().media.size(), 3u);
  EXPECT_EQ(p.value().media[0].port, 0);
  EXPECT_EQ(p.value().media[0].media, "video");
  EXPECT_EQ(p.value().media[1].port, 30000);
  EXPECT_EQ(p.value().media[2].port, 0);
}

// INVITE without SDP: our offer in the 200, the answer in the ACK.
TEST(LineSdp, OfferThenAnswerInAck) {
  LocalSession s(7, addr("127.0.0.1:30010"), addr("127.0.0.1:30013"));
  std::string offer = s.make_offer();
  auto p = sdp::parse(offer);
  ASSERT_TRUE(p) << offer;
  EXPECT_EQ(p.value().media[0].formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_EQ(p.value().media[0].rtcp, "30013");
  const auto a = agreed(s.read_answer(
      "v=0\r\no=sipp 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 8\r\na=recvonly\r\n"));
  EXPECT_EQ(a.payload_type, 8);
  EXPECT_EQ(a.law, G711Law::Alaw);
  EXPECT_EQ(a.local_direction, sdp::Direction::SendOnly);
  auto bad = s.read_answer(
      "v=0\r\no=sipp 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 0\r\n");
  EXPECT_TRUE(std::holds_alternative<SdpError>(bad));
}

}  // namespace
}  // namespace floe::testline
