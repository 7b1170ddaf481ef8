// `offer` inside a call (docs/protocol.md "Renegotiation and ICE restart"):
// parsed with the same bounds as `call`, refused before the first answer,
// answered through the call's sink, and refused with an error that leaves
// the call up when the handler cannot renegotiate.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "signaling/session/hub.hpp"
#include "signaling/tests/fake_call_handler.hpp"
#include "signaling/tests/sdp_samples.hpp"

namespace floe::signaling {
namespace {

using nlohmann::json;

struct Hub {
  testing::FakeCallHandler handler;
  SessionHub hub{HubConfig{}, handler};
  Instant now{seconds(1000)};

  std::vector<json> send(const json& msg) {
    hub.on_message(now, 1, msg.dump());
    std::vector<json> out;
    while (auto o = hub.poll_output())
      if (o->kind == HubOutput::Kind::Text) out.push_back(json::parse(o->text));
    return out;
  }
};

json offer_msg(const std::string& id, const std::string& call, const std::string& sdp) {
  return {{"type", "offer"}, {"id", id}, {"callId", call}, {"sdp", sdp}};
}

TEST(HubRenegotiate, OfferParsesWithCallBounds) {
  auto r = parse_request(offer_msg("1", "c", "v=0").dump());
  ASSERT_TRUE(r.ok());
  auto* o = std::get_if<RenegotiateRequest>(&r.value().body);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->call_id, "c");
  EXPECT_FALSE(parse_request(R"({"type":"offer","id":"1","callId":"c"})").ok());
  MessageLimits small;
  small.max_sdp = 4;
  EXPECT_FALSE(parse_request(offer_msg("1", "c", "v=0\r\nmore").dump(), small).ok());
}

TEST(HubRenegotiate, AnsweredCallGetsAnAnswerOthersAnError) {
  Hub h;
  h.hub.on_open(h.now, 1, "127.0.0.1:1");
  ASSERT_EQ(h.send({{"type", "hello"}, {"id", "h"}})[0]["type"], "welcome");
  const std::string offer = sdp::samples::crlf(sdp::samples::kChromeOffer);

  // No such call; a call still ringing has nothing to renegotiate.
  EXPECT_EQ(h.send(offer_msg("0", "nope", offer))[0]["code"], "unknown-call");
  h.send({{"type", "call"}, {"id", "r"}, {"callId", "ringing"}, {"target", "ring"}, {"sdp", offer}});
  auto m = h.send(offer_msg("1", "ringing", offer));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["code"], "bad-message");

  h.send({{"type", "call"}, {"id", "c"}, {"callId", "up"}, {"target", "echo"}, {"sdp", offer}});
  m = h.send(offer_msg("2", "up", "v=0\r\nbogus"));
  EXPECT_EQ(m[0]["code"], "bad-sdp");
  m = h.send(offer_msg("3", "up", offer));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["type"], "answer");
  EXPECT_EQ(m[0]["callId"], "up");
  EXPECT_EQ(m[1]["type"], "ack");
  EXPECT_EQ(m[1]["id"], "3");
  // The handler refuses (here: an offer without audio): an error, and the
  // call is still there.
  std::string no_audio = offer.substr(0, offer.find("m=audio"));
  m = h.send(offer_msg("4", "up", no_audio));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["type"], "error");
  EXPECT_EQ(m[0]["callId"], "up");
  EXPECT_EQ(h.send({{"type", "hangup"}, {"id", "5"}, {"callId", "up"}})[0]["type"], "ack");
}

}  // namespace
}  // namespace floe::signaling
