#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "signaling/auth/token.hpp"
#include "signaling/protocol/messages.hpp"
#include "signaling/session/rate_limiter.hpp"

namespace floe::signaling {
namespace {

using nlohmann::json;

ProtocolError error_of(const std::string& text) {
  auto r = parse_request(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? ProtocolError{} : r.error();
}

TEST(Protocol, ParsesEveryRequestType) {
  auto r = parse_request(R"({"type":"hello","id":"1","token":"t","resume":"abc"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().id.text, "1");
  EXPECT_EQ(std::get<HelloRequest>(r.value().body).resume, "abc");

  r = parse_request(R"({"type":"call","id":7,"callId":"c1","target":"echo","sdp":"v=0\r\n"})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().id.numeric);
  EXPECT_EQ(std::get<CallRequest>(r.value().body).sdp, "v=0\r\n");

  r = parse_request(R"({"type":"candidate","id":"2","callId":"c1","candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0","sdpMLineIndex":0})");
  ASSERT_TRUE(r.ok());
  const auto& c = std::get<CandidateRequest>(r.value().body);
  EXPECT_EQ(c.candidate.sdp_mid, "0");
  EXPECT_EQ(c.candidate.sdp_mline_index, 0);

  r = parse_request(R"({"type":"dtmf","id":"3","callId":"c1","digits":"12*#AD","duration":250})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<DtmfRequest>(r.value().body).duration_ms, 250u);

  for (const char* ok : {R"({"type":"register","id":"4","user":"alice@example.org"})",
                         R"({"type":"end-of-candidates","id":"5","callId":"c1"})",
                         R"({"type":"hangup","id":"6","callId":"c1"})",
                         R"({"type":"accept","id":"7","callId":"in-1","sdp":"v=0"})",
                         R"({"type":"reject","id":"8","callId":"in-1","reason":"busy"})",
                         R"({"type":"ping","id":"9","extra":{"ignored":true}})"})
    EXPECT_TRUE(parse_request(ok).ok()) << ok;
}

TEST(Protocol, ErrorsNameIdCodeAndField) {
  EXPECT_EQ(error_of("{not json").code, ErrorCode::BadJson);
  EXPECT_EQ(error_of("[1,2]").code, ErrorCode::BadJson);
  EXPECT_EQ(error_of(std::string(100, '[')).code, ErrorCode::BadJson);
  EXPECT_EQ(error_of("\"\xff\"").code, ErrorCode::BadJson);

  auto e = error_of(R"({"type":"call","id":"42","target":"echo","sdp":"v=0"})");
  EXPECT_EQ(e.code, ErrorCode::BadMessage);
  EXPECT_EQ(e.id->text, "42");
  EXPECT_NE(e.message.find("'callId'"), std::string::npos);

  e = error_of(R"({"type":"frobnicate","id":"x"})");
  EXPECT_EQ(e.code, ErrorCode::UnknownType);
  EXPECT_NE(e.message.find("frobnicate"), std::string::npos);

  EXPECT_EQ(error_of(R"({"type":"ping"})").code, ErrorCode::BadMessage);
  EXPECT_EQ(error_of(R"({"type":"ping","id":-1})").code, ErrorCode::BadMessage);
  EXPECT_EQ(error_of(R"({"id":"1"})").code, ErrorCode::BadMessage);
  EXPECT_EQ(error_of(R"({"type":"call","id":"1","callId":"a b","target":"x","sdp":""})").code,
            ErrorCode::BadMessage);
  EXPECT_EQ(error_of(R"({"type":"call","id":"1","callId":"a","target":"","sdp":""})").code,
            ErrorCode::BadMessage);
  EXPECT_EQ(error_of(R"({"type":"call","id":"1","callId":"a","target":5,"sdp":""})").code,
            ErrorCode::BadMessage);
  EXPECT_EQ(error_of(R"({"type":"dtmf","id":"1","callId":"a","digits":"12x"})").code,
            ErrorCode::BadMessage);
  EXPECT_EQ(error_of(R"({"type":"dtmf","id":"1","callId":"a","digits":"1","duration":5})").code,
            ErrorCode::BadMessage);
  EXPECT_EQ(error_of(R"({"type":"candidate","id":"1","callId":"a","candidate":"x","sdpMLineIndex":99})").code,
            ErrorCode::BadMessage);
  EXPECT_EQ(error_of(R"({"type":"register","id":"1","user":"bad user"})").code, ErrorCode::BadMessage);
  MessageLimits small;
  small.max_sdp = 10;
  auto big = parse_request(R"({"type":"call","id":"1","callId":"a","target":"x","sdp":"01234567890"})", small);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("longer than 10"), std::string::npos);
}

TEST(Protocol, ServerMessagesAreJson) {
  auto j = json::parse(error_json({RequestId{"9", true}, ErrorCode::BadSdp, "line 3: nope", "c1"}));
  EXPECT_EQ(j["type"], "error");
  EXPECT_EQ(j["id"], 9);
  EXPECT_EQ(j["code"], "bad-sdp");
  EXPECT_EQ(j["callId"], "c1");
  j = json::parse(error_json({std::nullopt, ErrorCode::BadJson, "x", {}}));
  EXPECT_TRUE(j["id"].is_null());
  WelcomeMessage w;
  w.id = {"h", false};
  w.session_id = "S";
  w.ice_servers = {{{"stun:127.0.0.1:3478"}, "", ""}, {{"turn:127.0.0.1:3478"}, "u", "p"}};
  j = json::parse(to_json(w));
  EXPECT_EQ(j["iceServers"][1]["credential"], "p");
  EXPECT_FALSE(j["iceServers"][0].contains("username"));
  j = json::parse(candidate_json("c", {"candidate:x", std::nullopt, 0}));
  EXPECT_TRUE(j["sdpMid"].is_null());
  EXPECT_EQ(j["sdpMLineIndex"], 0);
  j = json::parse(ended_json("c", "busy", ""));
  EXPECT_FALSE(j.contains("message"));
}

TEST(Token, HmacTokensVerify) {
  AuthConfig cfg{AuthConfig::Mode::Hmac, "s3cret", 3600};
  std::string t = make_token("s3cret", 1000 + 600, "alice");
  auto ok = verify_token(cfg, t, 1000);
  EXPECT_TRUE(ok.ok) << ok.reason;
  EXPECT_EQ(ok.user, "alice");
  EXPECT_FALSE(verify_token(cfg, t, 1600).ok);  // expired at its expiry second
  EXPECT_NE(verify_token(cfg, t, 1700).reason.find("expired"), std::string::npos);
  EXPECT_NE(verify_token(cfg, make_token("s3cret", 1000 + 7200, "a"), 1000).reason.find("too far"),
            std::string::npos);
  EXPECT_NE(verify_token(cfg, make_token("other", 1600, "alice"), 1000).reason.find("signature"),
            std::string::npos);
  std::string forged = t;
  forged.replace(forged.find("alice"), 5, "mallo");
  EXPECT_FALSE(verify_token(cfg, forged, 1000).ok);
  EXPECT_FALSE(verify_token(cfg, "", 1000).ok);
  EXPECT_FALSE(verify_token(cfg, "1600:alice", 1000).ok);
  EXPECT_FALSE(verify_token(cfg, "-5:alice:x", 1000).ok);
  // A user name may contain ':'.
  auto colon = verify_token(cfg, make_token("s3cret", 1600, "sip:bob"), 1000);
  EXPECT_TRUE(colon.ok);
  EXPECT_EQ(colon.user, "sip:bob");
}

TEST(Token, KnownHmacVector) {
  // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
  const unsigned char digest[] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
                                  0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
                                  0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
  std::string b64 = base64url(digest, sizeof digest);
  EXPECT_EQ(b64, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
  // Independent value: Python's hmac.new(b"s3cret", b"1700000000:alice", sha256)
  // digest in URL-safe base64 without padding.
  EXPECT_EQ(make_token("s3cret", 1700000000, "alice"),
            "1700000000:alice:_ZoF3CCGHLh8i931encJBdO_7McRjBispJKVGeoYOas");
}

TEST(Token, SharedSecret) {
  AuthConfig cfg{AuthConfig::Mode::SharedSecret, "letmein", 0};
  EXPECT_TRUE(verify_token(cfg, "letmein", 0).ok);
  EXPECT_FALSE(verify_token(cfg, "letmeim", 0).ok);
  EXPECT_FALSE(verify_token(cfg, "letmein2", 0).ok);
  EXPECT_TRUE(verify_token({}, "", 0).ok);
}

TEST(RateLimiter, BurstThenSustainedRate) {
  RateLimiter r(5, 10);
  Instant t{};
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += r.allow(t);
  EXPECT_EQ(allowed, 5);
  t += milliseconds(100);  // one more token
  EXPECT_TRUE(r.allow(t));
  EXPECT_FALSE(r.allow(t));
  t += seconds(10);  // refills to the burst size, not beyond
  allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += r.allow(t);
  EXPECT_EQ(allowed, 5);
  EXPECT_FALSE(r.allow(t - seconds(1)));  // time going backwards adds nothing
}

}  // namespace
}  // namespace floe::signaling
