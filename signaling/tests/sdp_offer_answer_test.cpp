#include <gtest/gtest.h>

#include "signaling/sdp/offer_answer.hpp"
#include "signaling/sdp/parser.hpp"
#include "signaling/sdp/writer.hpp"
#include "signaling/tests/sdp_samples.hpp"

namespace floe::sdp {
namespace {

SessionDescription parsed(const std::string& text) {
  auto r = parse(text);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r.value() : SessionDescription{};
}

LocalDescriptionOptions local_options() {
  LocalDescriptionOptions o;
  o.transport.ice_ufrag = "floeUfrag";
  o.transport.ice_pwd = "floePasswordFloePassword";
  o.transport.fingerprint = *parse(std::string("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=fingerprint:") +
                                   samples::kFingerprint + "\n")
                                 .value()
                                 .transport.fingerprints.begin();
  o.transport.candidates = {"candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host"};
  o.audio_stream = LocalStream{1234, "floecname", "floe", "floe-audio"};
  o.session_id = 42;
  return o;
}

TEST(SdpOfferAnswer, ChromeOfferGetsOpusAudioAndDataChannel) {
  auto offer = parsed(samples::kChromeOffer);
  auto r = create_answer(offer, default_audio_capabilities(), local_options());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& n = r.value();
  const auto& ans = n.local;
  ASSERT_EQ(ans.media.size(), 3u);

  const auto& audio = ans.media[0];
  EXPECT_EQ(audio.port, 9);
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.formats, (std::vector<std::string>{"111", "110"}));
  EXPECT_EQ(audio.codecs[0].name, "opus");
  EXPECT_EQ(audio.codecs[0].fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(audio.codecs[0].rtcp_fb, std::vector<std::string>{"transport-cc"});
  EXPECT_EQ(audio.codecs[1].name, "telephone-event");
  EXPECT_EQ(audio.codecs[1].clock_rate, 48000u);
  EXPECT_EQ(audio.direction, Direction::SendRecv);
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_TRUE(audio.rtcp_rsize);
  ASSERT_EQ(audio.extmaps.size(), 2u);
  EXPECT_EQ(audio.extmaps[0].id, 1);
  EXPECT_EQ(audio.extmaps[1].id, 4);
  EXPECT_EQ(audio.transport.setup, Setup::Active);
  EXPECT_EQ(audio.transport.ice_ufrag, "floeUfrag");
  EXPECT_EQ(audio.candidates.size(), 1u);
  ASSERT_EQ(audio.msids.size(), 1u);
  EXPECT_EQ(audio.ssrcs[0].ssrc, 1234u);

  const auto& video = ans.media[1];
  EXPECT_EQ(video.port, 0);
  EXPECT_EQ(video.mid, "1");
  EXPECT_FALSE(n.media[1].accepted);
  EXPECT_EQ(n.media[1].reject_reason, "video is not enabled");

  const auto& data = ans.media[2];
  EXPECT_EQ(data.port, 9);
  EXPECT_EQ(data.formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(data.sctp_port, 5000);
  EXPECT_TRUE(data.candidates.empty());

  ASSERT_NE(ans.bundle_group(), nullptr);
  EXPECT_EQ(ans.bundle_group()->mids, (std::vector<std::string>{"0", "2"}));
  EXPECT_EQ(n.remote.ice_ufrag, "Kx3m");
  EXPECT_TRUE(n.remote.trickle);
  EXPECT_EQ(n.remote.setup, Setup::ActPass);
  EXPECT_EQ(n.remote.local_setup, Setup::Active);
  EXPECT_EQ(n.first("audio")->codecs[0].payload_type, 111);
  EXPECT_EQ(n.first("application")->remote_max_message_size, 262144u);

  // The answer must itself be valid SDP that survives a round trip.
  auto again = parse(to_string(ans));
  ASSERT_TRUE(again.ok()) << again.error().to_string() << "\n" << to_string(ans);
  EXPECT_EQ(to_string(again.value()), to_string(ans));
}

TEST(SdpOfferAnswer, CapabilityOrderWhenAnswererPrefers) {
  auto caps = default_audio_capabilities();
  caps.prefer_offerer_order = false;
  caps.audio.erase(caps.audio.begin(), caps.audio.begin() + 2);  // no opus, no G722
  auto r = create_answer(parsed(samples::kChromeOffer), caps, local_options());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().local.media[0].formats, (std::vector<std::string>{"0", "126"}));
}

TEST(SdpOfferAnswer, VideoWhenAskedSkipsRtx) {
  auto caps = default_audio_capabilities();
  caps.video = {h264_capability(), vp8_capability()};
  caps.prefer_offerer_order = false;
  caps.header_extensions.push_back("urn:3gpp:video-orientation");
  auto r = create_answer(parsed(samples::kChromeOffer), caps, local_options());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& v = r.value().local.media[1];
  EXPECT_EQ(v.port, 9);
  // 42001f (baseline) does not match 42e01f (constrained baseline); 127 does.
  EXPECT_EQ(v.formats, std::vector<std::string>{"127"});
  EXPECT_EQ(v.codecs[0].rtcp_fb.size(), 4u);  // transport-cc not in the capability
  ASSERT_EQ(v.extmaps.size(), 2u);
  EXPECT_EQ(v.extmaps[0].uri, "urn:3gpp:video-orientation");
  EXPECT_TRUE(v.msids.empty());  // no local video stream given
  EXPECT_EQ(r.value().local.bundle_group()->mids.size(), 3u);
}

TEST(SdpOfferAnswer, FirefoxOfferUsesSessionLevelFingerprint) {
  auto offer = parsed(samples::kFirefoxOffer);
  auto r = create_answer(offer, default_audio_capabilities(), local_options());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& n = r.value();
  EXPECT_EQ(n.remote.fingerprints, offer.transport.fingerprints);
  EXPECT_EQ(n.remote.candidates.size(), 3u);
  EXPECT_TRUE(n.remote.end_of_candidates);
  EXPECT_EQ(n.local.media[0].formats, (std::vector<std::string>{"109"}));
  // Firefox offers telephone-event only at 8 kHz, so none goes with opus.
  EXPECT_EQ(n.local.media[1].port, 9);
}

TEST(SdpOfferAnswer, DirectionsMirrorTheOffer) {
  struct Case {
    const char* offered;
    Direction local;
    Direction expected;
  };
  const Case cases[] = {
      {"sendrecv", Direction::SendRecv, Direction::SendRecv},
      {"sendonly", Direction::SendRecv, Direction::RecvOnly},
      {"recvonly", Direction::SendRecv, Direction::SendOnly},
      {"inactive", Direction::SendRecv, Direction::Inactive},
      {"sendrecv", Direction::RecvOnly, Direction::RecvOnly},
      {"recvonly", Direction::RecvOnly, Direction::Inactive},
  };
  for (const auto& c : cases) {
    std::string text = samples::kChromeOffer;
    auto pos = text.find("a=sendrecv");
    text.replace(pos, 10, std::string("a=") + c.offered);
    auto caps = default_audio_capabilities();
    caps.local_direction = c.local;
    auto r = create_answer(parsed(text), caps, local_options());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().local.media[0].direction, c.expected) << c.offered;
    // A stream is announced only when Floe sends.
    EXPECT_EQ(r.value().local.media[0].msids.empty(), !sends(c.expected)) << c.offered;
  }
}

TEST(SdpOfferAnswer, SetupRoles) {
  for (auto [offered, expected] : {std::pair{"active", Setup::Passive},
                                  std::pair{"passive", Setup::Active}}) {
    std::string text = samples::kFirefoxOffer;
    for (auto pos = text.find("a=setup:actpass"); pos != std::string::npos;
         pos = text.find("a=setup:actpass"))
      text.replace(pos, 15, std::string("a=setup:") + offered);
    auto r = create_answer(parsed(text), default_audio_capabilities(), local_options());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().local.media[0].transport.setup, expected);
  }
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

TEST(SdpOfferAnswer, RefusalsCarryCodeAndReason) {
  auto caps = default_audio_capabilities();
  auto opts = local_options();
  std::string no_fp = replace_all(samples::kFirefoxOffer,
                                  "a=fingerprint:sha-256 C4:0E:9B:71:2A:58:F3:06:DD:84:1F:B2:67:39:EA:50:0C:93:7D:E8:26:4B:A1:F5:38:6E:C0:1D:92:B7:45:8A\n",
                                  "");
  auto r = create_answer(parsed(no_fp), caps, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unsupported-sdp");
  EXPECT_NE(r.error().message.find("fingerprint"), std::string::npos);

  std::string data_only = std::string("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n") +
                          "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=mid:0\n"
                          "a=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuvwx\n"
                          "a=fingerprint:" + samples::kFingerprint + "\na=setup:actpass\n";
  r = create_answer(parsed(data_only), caps, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no usable audio"), std::string::npos);
  caps.require_audio = false;
  EXPECT_TRUE(create_answer(parsed(data_only), caps, opts).ok());
  caps.require_audio = true;

  std::string no_mux = replace_all(samples::kFirefoxOffer, "a=rtcp-mux\n", "");
  r = create_answer(parsed(no_mux), caps, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("rtcp-mux"), std::string::npos);

  std::string plain_rtp = replace_all(samples::kFirefoxOffer, "UDP/TLS/RTP/SAVPF", "RTP/AVP");
  r = create_answer(parsed(plain_rtp), caps, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not DTLS-SRTP"), std::string::npos);

  std::string g729_only = replace_all(samples::kFirefoxOffer, "109 9 0 8 101", "18");
  g729_only = replace_all(g729_only, "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\na=fmtp:101 0-15\n", "");
  for (const char* l : {"a=rtpmap:109 opus/48000/2\n", "a=rtpmap:9 G722/8000/1\n",
                        "a=rtpmap:0 PCMU/8000\n", "a=rtpmap:8 PCMA/8000\n",
                        "a=rtpmap:101 telephone-event/8000\n"})
    g729_only = replace_all(g729_only, l, "");
  r = create_answer(parsed(g729_only), caps, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no codec in common"), std::string::npos);

  EXPECT_FALSE(create_answer(parsed("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n"), caps, opts).ok());
}

TEST(SdpOfferAnswer, WithoutBundleOnlyTheFirstSectionIsAccepted) {
  std::string text = replace_all(samples::kFirefoxOffer, "a=group:BUNDLE 0 1\n", "");
  auto r = create_answer(parsed(text), default_audio_capabilities(), local_options());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().local.media[0].port, 9);
  EXPECT_EQ(r.value().local.media[1].port, 0);
  EXPECT_EQ(r.value().local.bundle_group(), nullptr);
}

TEST(SdpOfferAnswer, RejectedOfferSectionStaysRejected) {
  std::string text = replace_all(samples::kChromeOffer, "m=video 9 ", "m=video 0 ");
  auto caps = default_audio_capabilities();
  caps.video = {vp8_capability()};
  auto r = create_answer(parsed(text), caps, local_options());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().local.media[1].port, 0);
  EXPECT_EQ(r.value().local.media[1].formats, parsed(text).media[1].formats);
}

TEST(SdpOfferAnswer, OfferForIncomingCallAndBrowserAnswer) {
  auto opts = local_options();
  auto offer = create_offer(default_audio_capabilities(), opts, {true, false, true});
  auto text = to_string(offer);
  auto reparsed = parse(text);
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().to_string() << "\n" << text;
  ASSERT_EQ(offer.media.size(), 2u);
  EXPECT_EQ(offer.media[0].transport.setup, Setup::ActPass);
  EXPECT_EQ(offer.media[0].formats,
            (std::vector<std::string>{"111", "9", "0", "8", "110", "126"}));
  EXPECT_EQ(offer.bundle_group()->mids, (std::vector<std::string>{"0", "1"}));

  // What Chrome answers to it (trimmed to what matters).
  std::string answer = std::string("v=0\no=- 99 2 IN IP4 127.0.0.1\ns=-\nt=0 0\na=group:BUNDLE 0 1\n") +
                       "m=audio 9 UDP/TLS/RTP/SAVPF 111 110\nc=IN IP4 0.0.0.0\n"
                       "a=ice-ufrag:Ab12\na=ice-pwd:abcdefghijklmnopqrstuvwx\na=ice-options:trickle\n"
                       "a=fingerprint:" + samples::kFingerprint + "\na=setup:active\na=mid:0\na=sendrecv\n"
                       "a=rtcp-mux\na=rtpmap:111 opus/48000/2\na=rtpmap:110 telephone-event/48000\n"
                       "a=ssrc:555 cname:abc\n"
                       "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 0.0.0.0\na=mid:1\n"
                       "a=sctp-port:5000\na=max-message-size:262144\n";
  auto r = apply_answer(offer, parsed(answer));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().remote.local_setup, Setup::Passive);
  EXPECT_EQ(r.value().first("audio")->codecs.size(), 2u);
  EXPECT_EQ(r.value().first("audio")->remote_ssrcs[0].ssrc, 555u);
  EXPECT_TRUE(r.value().first("application"));

  EXPECT_FALSE(parse(replace_all(answer, "111 110", "111 99")).ok());  // stray rtpmap:110
  auto wrong_pt = replace_all(replace_all(answer, "111 110", "111 98"), "a=rtpmap:110", "a=rtpmap:98");
  auto bad = apply_answer(offer, parsed(wrong_pt));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("payload type 98"), std::string::npos);
  bad = apply_answer(offer, parsed(replace_all(answer, "a=setup:active", "a=setup:actpass")));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("active or passive"), std::string::npos);
}

TEST(SdpOfferAnswer, AnswerDirectionMustFitOffer) {
  auto caps = default_audio_capabilities();
  caps.local_direction = Direction::SendOnly;
  auto offer = create_offer(caps, local_options(), {true, false, false});
  std::string answer = std::string("v=0\no=- 99 2 IN IP4 127.0.0.1\ns=-\nt=0 0\n") +
                       "m=audio 9 UDP/TLS/RTP/SAVPF 0\na=ice-ufrag:Ab12\n"
                       "a=ice-pwd:abcdefghijklmnopqrstuvwx\na=fingerprint:" + samples::kFingerprint +
                       "\na=setup:passive\na=mid:0\na=sendrecv\na=rtcp-mux\n";
  auto r = apply_answer(offer, parsed(answer));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("contradicts"), std::string::npos);
  r = apply_answer(offer, parsed(replace_all(answer, "a=sendrecv", "a=recvonly")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().first("audio")->direction, Direction::SendOnly);
  EXPECT_EQ(r.value().remote.local_setup, Setup::Active);
}

}  // namespace
}  // namespace floe::sdp

namespace floe::sdp {
namespace {

// aiortc 1.4 (and old browsers) offer the pre-RFC 8841 form; the answer
// must use the same form or the peer cannot find its SCTP port.
TEST(SdpOfferAnswer, LegacyDtlsSctpSctpmapIsAnsweredInTheSameForm) {
  std::string text = samples::kChromeOffer;
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replace("m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "m=application 9 DTLS/SCTP 5001");
  replace("a=sctp-port:5000", "a=sctpmap:5001 webrtc-datachannel 1024");
  auto r = create_answer(parsed(text), default_audio_capabilities(), local_options());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto* app = r.value().first("application");
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->accepted) << app->reject_reason;
  EXPECT_EQ(app->remote_sctp_port, 5001);
  const std::string answer = to_string(r.value().local);
  EXPECT_NE(answer.find("m=application 9 DTLS/SCTP 5000\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("a=sctpmap:5000 webrtc-datachannel 65535\r\n"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("a=sctp-port"), std::string::npos);
  // The answer parses back and still reads as the legacy form.
  auto back = parsed(answer);
  ASSERT_EQ(back.media.size(), 3u);
  EXPECT_EQ(back.media[2].proto, "DTLS/SCTP");

  // DTLS/SCTP without a matching sctpmap is not a data channel.
  std::string bad = text;
  bad.replace(bad.find("a=sctpmap:5001"), 14, "a=sctpmap:5002");
  auto r2 = create_answer(parsed(bad), default_audio_capabilities(), local_options());
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2.value().first("application"), nullptr);
  EXPECT_EQ(r2.value().local.media[2].port, 0);
}

}  // namespace
}  // namespace floe::sdp
