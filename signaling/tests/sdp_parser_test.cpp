#include <gtest/gtest.h>

#include "signaling/sdp/parser.hpp"
#include "signaling/sdp/writer.hpp"
#include "signaling/tests/sdp_samples.hpp"

namespace floe::sdp {
namespace {

using samples::crlf;

TEST(SdpParser, ChromeOffer) {
  auto r = parse(crlf(samples::kChromeOffer));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const auto& s = r.value();
  EXPECT_EQ(s.origin.session_id, "4611731400430051336");
  ASSERT_NE(s.bundle_group(), nullptr);
  EXPECT_EQ(s.bundle_group()->mids, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_TRUE(s.extmap_allow_mixed);
  ASSERT_EQ(s.media.size(), 3u);

  const auto& a = s.media[0];
  EXPECT_EQ(a.media, "audio");
  EXPECT_EQ(a.port, 9);
  EXPECT_EQ(a.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(a.mid, "0");
  EXPECT_TRUE(a.rtcp_mux);
  EXPECT_TRUE(a.rtcp_rsize);
  EXPECT_EQ(a.effective_direction(), Direction::SendRecv);
  ASSERT_EQ(a.codecs.size(), 8u);
  EXPECT_EQ(a.codecs[0].name, "opus");
  EXPECT_EQ(a.codecs[0].clock_rate, 48000u);
  EXPECT_EQ(a.codecs[0].channels, 2);
  EXPECT_EQ(a.codecs[0].fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(a.codecs[0].rtcp_fb, std::vector<std::string>{"transport-cc"});
  EXPECT_EQ(a.find_codec(126)->name, "telephone-event");
  ASSERT_EQ(a.extmaps.size(), 4u);
  EXPECT_EQ(a.extmaps[3].id, 4);
  EXPECT_EQ(a.extmaps[3].uri, "urn:ietf:params:rtp-hdrext:sdes:mid");
  ASSERT_EQ(a.msids.size(), 1u);
  EXPECT_EQ(a.msids[0].track, "5d3b2c1a-9e8f-4a7b-b6c5-d4e3f2a1b0c9");
  ASSERT_EQ(a.ssrcs.size(), 2u);
  EXPECT_EQ(a.ssrcs[0].ssrc, 3735928559u);
  EXPECT_EQ(a.ssrcs[0].attribute, "cname");
  EXPECT_EQ(a.ssrcs[0].value, "Yh3sQ8pV2rL0kW9n");
  EXPECT_EQ(a.transport.ice_ufrag, "Kx3m");
  EXPECT_EQ(a.transport.ice_options, std::vector<std::string>{"trickle"});
  ASSERT_EQ(a.transport.fingerprints.size(), 1u);
  EXPECT_EQ(a.transport.fingerprints[0].algorithm, "sha-256");
  EXPECT_EQ(a.transport.setup, Setup::ActPass);
  EXPECT_EQ(a.rtcp, "9 IN IP4 0.0.0.0");

  const auto& v = s.media[1];
  ASSERT_EQ(v.ssrc_groups.size(), 1u);
  EXPECT_EQ(v.ssrc_groups[0].semantics, "FID");
  EXPECT_EQ(v.ssrc_groups[0].ssrcs, (std::vector<std::uint32_t>{2231627014u, 632943048u}));
  EXPECT_EQ(v.find_codec(96)->rtcp_fb.size(), 5u);
  EXPECT_EQ(v.find_codec(97)->fmtp, "apt=96");

  const auto& d = s.media[2];
  EXPECT_TRUE(d.is_sctp());
  EXPECT_EQ(d.formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(d.sctp_port, 5000);
  EXPECT_EQ(d.max_message_size, 262144u);
}

TEST(SdpParser, FirefoxOfferWithSessionLevelTransportAndCandidates) {
  auto r = parse(crlf(samples::kFirefoxOffer));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const auto& s = r.value();
  EXPECT_EQ(s.origin.username, "mozilla...THIS_IS_SDPARTA-99.0");
  EXPECT_EQ(s.msid_semantic, "WMS *");
  ASSERT_EQ(s.transport.fingerprints.size(), 1u);
  EXPECT_TRUE(s.media[0].transport.fingerprints.empty());
  Transport t = s.effective_transport(0);
  EXPECT_EQ(t.fingerprints, s.transport.fingerprints);
  EXPECT_EQ(t.ice_options, std::vector<std::string>{"trickle"});
  EXPECT_EQ(t.ice_ufrag, "3f8e1a9c");
  const auto& a = s.media[0];
  EXPECT_EQ(a.port, 54321);
  EXPECT_EQ(a.connection, "IN IP4 192.168.1.23");
  ASSERT_EQ(a.candidates.size(), 3u);
  EXPECT_EQ(a.candidates[2],
            "candidate:1 1 UDP 1686052863 203.0.113.7 54321 typ srflx raddr 192.168.1.23 rport 54321");
  EXPECT_TRUE(a.end_of_candidates);
  EXPECT_EQ(a.find_codec(109)->fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
  EXPECT_EQ(a.find_codec(9)->channels, 1);
  EXPECT_EQ(a.extmaps[1].direction, Direction::RecvOnly);
  EXPECT_EQ(s.media[1].max_message_size, 1073741823u);
  // Session-level a=sendrecv is not modelled but survives.
  ASSERT_EQ(s.other.size(), 1u);
  EXPECT_EQ(s.other[0].name, "sendrecv");
}

TEST(SdpParser, RoundTripIsStable) {
  for (const char* text : {samples::kChromeOffer, samples::kFirefoxOffer}) {
    auto first = parse(text);
    ASSERT_TRUE(first.ok()) << first.error().to_string();
    std::string printed = to_string(first.value());
    EXPECT_NE(printed.find("\r\n"), std::string::npos);
    auto second = parse(printed);
    ASSERT_TRUE(second.ok()) << second.error().to_string() << "\n" << printed;
    EXPECT_EQ(first.value(), second.value());
    EXPECT_EQ(printed, to_string(second.value()));
  }
}

TEST(SdpParser, AcceptsBareLfAndMissingFinalNewline) {
  std::string text = samples::kChromeOffer;
  text.pop_back();
  EXPECT_TRUE(parse(text).ok());
}

TEST(SdpParser, StaticPayloadTypesNeedNoRtpmap) {
  auto r = parse("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0 8\n");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value().media[0].codecs[1].name, "PCMA");
}

struct Malformed {
  const char* name;
  std::string text;
  std::size_t line;
  const char* problem;  // substring of the message
};

std::string head() { return "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n"; }

TEST(SdpParser, MalformedInputNamesLineAndProblem) {
  const std::vector<Malformed> cases = {
      {"empty", "", 0, "empty"},
      {"no version", "o=- 1 1 IN IP4 0.0.0.0\n", 1, "v=0"},
      {"version 1", "v=1\n", 1, "version"},
      {"not a line", head() + "hello\n", 5, "<letter>=<value>"},
      {"uppercase type", head() + "A=x\n", 5, "<letter>=<value>"},
      {"unknown type", head() + "x=1\n", 5, "unknown line type"},
      {"short origin", "v=0\no=- 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n", 2, "6 fields"},
      {"origin letters", "v=0\no=- abc 1 IN IP4 x\ns=-\nt=0 0\n", 2, "digits"},
      {"m before s", "v=0\no=- 1 1 IN IP4 0.0.0.0\nm=audio 9 RTP/AVP 0\n", 3, "before s="},
      {"missing t", "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\n", 0, "missing t="},
      {"empty line", head() + "\na=ice-lite\n", 5, "empty line"},
      {"port too big", head() + "m=audio 70000 RTP/AVP 0\n", 5, "port"},
      {"m too short", head() + "m=audio 9 RTP/AVP\n", 5, "at least one format"},
      {"pt too big", head() + "m=audio 9 RTP/AVP 200\n", 5, "payload type"},
      {"pt twice", head() + "m=audio 9 RTP/AVP 0 0\n", 5, "twice"},
      {"dynamic without rtpmap", head() + "m=audio 9 RTP/AVP 111\na=mid:0\n", 5, "no a=rtpmap"},
      {"rtpmap unknown pt", head() + "m=audio 9 RTP/AVP 0\na=rtpmap:111 opus/48000/2\n", 6,
       "does not list"},
      {"rtpmap no clock", head() + "m=audio 9 RTP/AVP 111\na=rtpmap:111 opus\n", 6, "rtpmap must"},
      {"rtpmap clock text", head() + "m=audio 9 RTP/AVP 111\na=rtpmap:111 opus/fast\n", 6,
       "clock rate"},
      {"rtpmap zero channels", head() + "m=audio 9 RTP/AVP 111\na=rtpmap:111 opus/48000/0\n", 6,
       "channel"},
      {"fmtp unknown pt", head() + "m=audio 9 RTP/AVP 0\na=fmtp:5 x=1\n", 6, "does not list"},
      {"bad fingerprint", head() + "a=fingerprint:sha-256 12:34\n", 5, "fingerprint"},
      {"fingerprint bad hex", head() + "a=fingerprint:sha-1 ZZ:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78\n", 5,
       "fingerprint"},
      {"bad setup", head() + "a=setup:sometimes\n", 5, "setup"},
      {"short ice-pwd", head() + "a=ice-pwd:short\n", 5, "ice-pwd"},
      {"ice-ufrag bad char", head() + "a=ice-ufrag:ab cd\n", 5, "ice-ufrag"},
      {"extmap id 0", head() + "m=audio 9 RTP/AVP 0\na=extmap:0 urn:x\n", 6, "extmap id"},
      {"extmap twice", head() + "m=audio 9 RTP/AVP 0\na=extmap:1 urn:x\na=extmap:1 urn:y\n", 7,
       "twice"},
      {"ssrc not number", head() + "m=audio 9 RTP/AVP 0\na=ssrc:abc cname:x\n", 6, "ssrc id"},
      {"ssrc too big", head() + "m=audio 9 RTP/AVP 0\na=ssrc:4294967296 cname:x\n", 6, "ssrc id"},
      {"two directions", head() + "m=audio 9 RTP/AVP 0\na=sendrecv\na=recvonly\n", 7, "direction"},
      {"two mids", head() + "m=audio 9 RTP/AVP 0\na=mid:0\na=mid:1\n", 7, "more than one mid"},
      {"duplicate mid", head() + "m=audio 9 RTP/AVP 0\na=mid:0\nm=audio 9 RTP/AVP 0\na=mid:0\n", 7,
       "used by two"},
      {"bundle unknown mid", head() + "a=group:BUNDLE 0 1\nm=audio 9 RTP/AVP 0\na=mid:0\n", 0,
       "mid '1'"},
      {"sctp-port text", head() + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=sctp-port:x\n",
       6, "sctp-port"},
      {"s in media", head() + "m=audio 9 RTP/AVP 0\ns=-\n", 6, "not allowed inside"},
      {"control char", head() + "a=tool:\x01\n", 5, "control character"},
      {"nul byte", head() + std::string("a=x\0y\n", 6), 5, "control character"},
      {"bad connection", head() + "c=IN IP4\n", 5, "c= line"},
      {"v twice", head() + "v=0\n", 5, "first line"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().line, c.line) << c.name << ": " << r.error().to_string();
    EXPECT_NE(r.error().problem.find(c.problem), std::string::npos)
        << c.name << ": " << r.error().to_string();
  }
}

TEST(SdpParser, LimitsAreEnforced) {
  ParseLimits lim;
  lim.max_bytes = 100;
  EXPECT_NE(parse(std::string(101, 'a'), lim).error().problem.find("larger"), std::string::npos);
  std::string many = head();
  for (int i = 0; i < 40; ++i) many += "m=audio 9 RTP/AVP 0\n";
  auto r = parse(many);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().line, 5u + 32u);
  std::string cands = head() + "m=audio 9 RTP/AVP 0\n";
  for (int i = 0; i < 70; ++i) cands += "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\n";
  EXPECT_NE(parse(cands).error().problem.find("candidates"), std::string::npos);
  EXPECT_NE(parse(head() + "a=" + std::string(5000, 'x') + "\n").error().problem.find("longer"),
            std::string::npos);
}

TEST(SdpParser, ErrorTextNamesTheLine) {
  auto r = parse(head() + "m=audio nine RTP/AVP 0\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().to_string(), "line 5: m= port is not a number in 0..65535");
}

}  // namespace
}  // namespace floe::sdp
