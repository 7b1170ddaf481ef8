// SIP-side SDP and the codec mapping between a browser leg and a SIP leg.
#include "gateway/bridge/sip_sdp.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gateway/bridge/config.hpp"
#include "gateway/bridge/sip_call.hpp"
#include "signaling/sdp/parser.hpp"
#include "signaling/sdp/writer.hpp"

using namespace floe;
using namespace floe::bridge;

namespace {

sdp::SessionDescription chrome_offer() {
  std::ifstream f(std::string(FLOE_SRC) + "/signaling/tests/sdp_corpus/chrome_offer.sdp");
  std::stringstream ss;
  ss << f.rdbuf();
  auto r = sdp::parse(ss.str());
  EXPECT_TRUE(r.ok());
  return r.value();
}

const std::vector<std::string> kPlain = {"PCMU", "PCMA", "G722", "telephone-event"};

std::vector<std::string> names(const std::vector<sdp::Codec>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.name + "/" + std::to_string(c.payload_type));
  return out;
}

}  // namespace

TEST(BridgeSipSdp, OfferKeepsBrowserOrderAndPayloadTypesOfAllowedCodecs) {
  auto codecs = sip_offer_codecs(chrome_offer(), kPlain);
  // Opus, RED and CN are not for this trunk; the 48 kHz telephone-event
  // goes with Opus only.
  EXPECT_EQ(names(codecs), (std::vector<std::string>{"G722/9", "PCMU/0", "PCMA/8", "telephone-event/126"}));
  auto with_opus = sip_offer_codecs(chrome_offer(), {"opus", "PCMU", "telephone-event"});
  EXPECT_EQ(names(with_opus), (std::vector<std::string>{"opus/111", "PCMU/0", "telephone-event/110",
                                                        "telephone-event/126"}));
  EXPECT_TRUE(sip_offer_codecs(chrome_offer(), {"G729"}).empty());
}

TEST(BridgeSipSdp, WrittenOfferIsPlainRtpAvpAndReadsBack) {
  SipLocalMedia local;
  local.rtp = *SocketAddress::parse("192.0.2.10:20000");
  local.codecs = sip_offer_codecs(chrome_offer(), kPlain);
  local.session_id = 42;
  std::string text = write_sip_sdp(local);
  EXPECT_NE(text.find("m=audio 20000 RTP/AVP 9 0 8 126\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("c=IN IP4 192.0.2.10\r\n"), std::string::npos);
  EXPECT_NE(text.find("a=rtpmap:126 telephone-event/8000\r\n"), std::string::npos);
  EXPECT_NE(text.find("a=fmtp:126 0-16\r\n"), std::string::npos);
  EXPECT_EQ(text.find("ice-ufrag"), std::string::npos);
  EXPECT_EQ(text.find("rtcp-mux"), std::string::npos);
  std::string why;
  auto m = read_sip_media(text, &why);
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->rtp->to_string(), "192.0.2.10:20000");
  EXPECT_EQ(m->rtcp->to_string(), "192.0.2.10:20001");  // RFC 3605: rtp + 1
  EXPECT_EQ(m->codecs.size(), 3u);
  ASSERT_TRUE(m->telephone_event);
  EXPECT_EQ(m->telephone_event->payload_type, 126);
  EXPECT_EQ(m->direction, sdp::Direction::SendRecv);
}

TEST(BridgeSipSdp, AnswerMapsToTheBrowsersPayloadTypes) {
  auto offered = sip_offer_codecs(chrome_offer(), kPlain);
  // The trunk picks PCMA and numbers telephone-event 101.
  std::string answer =
      "v=0\r\no=pbx 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
      "m=audio 30000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\na=rtcp:30011\r\na=sendrecv\r\n";
  std::string why;
  auto m = read_sip_media(answer, &why);
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->rtcp->to_string(), "198.51.100.7:30011");
  auto map = map_sip_answer(*m, offered);
  ASSERT_TRUE(map);
  EXPECT_EQ(map->codec.name, "PCMA");
  EXPECT_EQ(map->sip_pt, 8);
  EXPECT_EQ(map->browser_pt, 8);
  EXPECT_EQ(map->sip_event_pt, 101);
  EXPECT_EQ(map->browser_event_pt, 126);

  // The browser's answer then holds exactly PCMA + telephone-event/8000.
  sdp::LocalDescriptionOptions lo;
  lo.transport.ice_ufrag = "abcd";
  lo.transport.ice_pwd = "0123456789012345678901";
  lo.transport.fingerprint = {"sha-256", "AA:BB"};
  auto n = sdp::create_answer(chrome_offer(), browser_capabilities_for(map->codec, true), lo);
  ASSERT_TRUE(n.ok()) << n.error().message;
  const auto* audio = n.value().first("audio");
  ASSERT_TRUE(audio);
  EXPECT_EQ(names(audio->codecs), (std::vector<std::string>{"PCMA/8", "telephone-event/126"}));
  EXPECT_EQ(n.value().first("video"), nullptr);
  set_browser_payload_types(*map, audio->codecs);
  EXPECT_EQ(map->browser_event_pt, 126);
}

TEST(BridgeSipSdp, AnswerWithNothingWeOfferedHasNoMapping) {
  auto offered = sip_offer_codecs(chrome_offer(), {"PCMU"});
  auto m = read_sip_media(
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n",
      nullptr);
  ASSERT_TRUE(m);
  EXPECT_FALSE(map_sip_answer(*m, offered));
}

TEST(BridgeSipSdp, HoldFormsAreRecognised) {
  auto legacy = read_sip_media(
      "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\n",
      nullptr);
  ASSERT_TRUE(legacy);
  EXPECT_TRUE(legacy->legacy_hold);
  EXPECT_FALSE(legacy->rtp);
  EXPECT_FALSE(legacy->peer_sends());
  EXPECT_EQ(legacy->origin_version, 2u);
  auto sendonly = read_sip_media(
      "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n",
      nullptr);
  ASSERT_TRUE(sendonly);
  EXPECT_TRUE(sendonly->peer_sends());
  EXPECT_FALSE(sendonly->peer_receives());
  std::string why;
  EXPECT_FALSE(read_sip_media("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                              "m=audio 4000 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 1.2.3.4\r\n",
                              &why));
  EXPECT_NE(why.find("not plain RTP/AVP"), std::string::npos);
  EXPECT_FALSE(read_sip_media("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                              "m=audio 4000 RTP/AVP 0\r\n",
                              &why));
  EXPECT_NE(why.find("no c= line"), std::string::npos);
}

TEST(BridgeSipSdp, IncomingOfferBecomesBrowserOfferAndBackWithSipNumbers) {
  auto sip = read_sip_media(
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 18 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
      nullptr);
  ASSERT_TRUE(sip);
  auto caps = browser_offer_capabilities(&*sip, kPlain, true);
  ASSERT_EQ(caps.audio.size(), 3u);  // G729 is not bridgeable
  sdp::LocalDescriptionOptions lo;
  lo.transport.ice_ufrag = "abcd";
  lo.transport.ice_pwd = "0123456789012345678901";
  lo.transport.fingerprint = {"sha-256", "AA:BB"};
  auto offer = sdp::create_offer(caps, lo, {.audio = true, .data_channel = true});
  std::string text = sdp::to_string(offer);
  EXPECT_NE(text.find("m=audio 9 UDP/TLS/RTP/SAVPF 8 0 101\r\n"), std::string::npos) << text;
  // A browser answer choosing PCMU (with its own event number kept).
  sdp::NegotiatedMedia audio;
  audio.codecs = {{0, "PCMU", 8000, 0, "", {}, true}, {101, "telephone-event", 8000, 0, "0-15", {}, true}};
  auto map = map_browser_answer(audio.codecs, &*sip);
  ASSERT_TRUE(map);
  EXPECT_EQ(map->sip_pt, 0);
  EXPECT_EQ(map->browser_pt, 0);
  EXPECT_EQ(map->sip_event_pt, 101);
  // No SIP offer (INVITE without SDP): everything the trunk allows.
  auto all = browser_offer_capabilities(nullptr, kPlain, false);
  EXPECT_EQ(all.audio.size(), 4u);
}

TEST(BridgeSipSdp, DtmfRelayBodies) {
  auto d = parse_dtmf_relay("Signal=5\r\nDuration=160\r\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, '5');
  EXPECT_EQ(d->second, 160u);
  d = parse_dtmf_relay("Signal= #\nDuration= 20\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, '#');
  EXPECT_EQ(d->second, 40u);  // clamped
  d = parse_dtmf_relay("Signal=11\r\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, '#');
  EXPECT_FALSE(parse_dtmf_relay("Signal=X\r\n"));
  EXPECT_FALSE(parse_dtmf_relay(""));
  EXPECT_EQ(dtmf_event_code('*'), 10);
  EXPECT_EQ(dtmf_event_code('D'), 15);
  EXPECT_EQ(dtmf_event_code('x'), -1);
}

TEST(BridgeConfig, TrunkAndRouteFlags) {
  std::string err;
  auto t = parse_trunk("name=pbx,proxy=127.0.0.1:5070,user=alice,password=s3,register=1,"
                       "codecs=PCMU+telephone-event,dtmf=info",
                       &err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->name, "pbx");
  EXPECT_EQ(t->proxy.to_string(), "127.0.0.1:5070");
  EXPECT_TRUE(t->register_account);
  EXPECT_EQ(t->codecs.size(), 2u);
  EXPECT_EQ(t->dtmf, DtmfMode::Info);
  EXPECT_FALSE(parse_trunk("proxy=example.com", &err));
  EXPECT_FALSE(parse_trunk("name=x", &err));
  EXPECT_NE(err.find("proxy"), std::string::npos);
  EXPECT_FALSE(parse_trunk("proxy=1.2.3.4,colour=red", &err));
  EXPECT_FALSE(parse_trunk("proxy=1.2.3.4,codecs=G729", &err));
  // The form a JSON config object becomes: ',' and '\' escaped.
  auto escaped = parse_trunk("proxy=1.2.3.4,password=a\\,b=c\\\\d", &err);
  ASSERT_TRUE(escaped) << err;
  EXPECT_EQ(escaped->password, "a,b=c\\d");
  EXPECT_FALSE(parse_trunk("proxy=1.2.3.4,user=a,user=b", &err));
  EXPECT_NE(err.find("twice"), std::string::npos);
  EXPECT_FALSE(parse_trunk("proxy=1.2.3.4,register", &err));
  auto r = parse_route("4930*=alice");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->match, "4930*");
  EXPECT_FALSE(parse_route("alice"));
}
