#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "signaling/auth/token.hpp"
#include "signaling/sdp/parser.hpp"
#include "signaling/session/hub.hpp"
#include "signaling/tests/fake_call_handler.hpp"
#include "signaling/tests/sdp_samples.hpp"

namespace floe::signaling {
namespace {

using nlohmann::json;

struct Harness {
  explicit Harness(HubConfig cfg = {}) : hub(with_clock(std::move(cfg)), handler) {}
  static HubConfig with_clock(HubConfig c) {
    c.unix_time = [] { return std::int64_t{1'000'000}; };
    return c;
  }

  std::vector<json> drain(ConnectionId conn) {
    std::vector<json> msgs;
    for (auto& o : pending)
      if (o.connection == conn && o.kind == HubOutput::Kind::Text) msgs.push_back(json::parse(o.text));
    std::erase_if(pending, [&](const HubOutput& o) { return o.connection == conn && o.kind == HubOutput::Kind::Text; });
    while (auto o = hub.poll_output()) {
      if (o->connection == conn && o->kind == HubOutput::Kind::Text) msgs.push_back(json::parse(o->text));
      else pending.push_back(std::move(*o));
    }
    return msgs;
  }
  bool closed(ConnectionId conn, std::uint16_t* code = nullptr) {
    drain(conn);
    for (const auto& o : pending)
      if (o.connection == conn && o.kind == HubOutput::Kind::Close) {
        if (code) *code = o.close_code;
        return true;
      }
    return false;
  }
  json send(ConnectionId conn, const json& msg) {
    hub.on_message(now, conn, msg.dump());
    auto m = drain(conn);
    return m.empty() ? json() : m.front();
  }
  std::string open_session(ConnectionId conn) {
    hub.on_open(now, conn, "127.0.0.1:5000");
    auto w = send(conn, {{"type", "hello"}, {"id", "h"}});
    EXPECT_EQ(w["type"], "welcome");
    return w["sessionId"];
  }

  testing::FakeCallHandler handler;
  SessionHub hub;
  Instant now{seconds(1000)};
  std::vector<HubOutput> pending;
};

json call_msg(const std::string& id, const std::string& target, const std::string& sdp) {
  return {{"type", "call"}, {"id", id}, {"callId", "c-" + id}, {"target", target}, {"sdp", sdp}};
}

TEST(Hub, HelloWelcomeAndHelloRequired) {
  Harness h;
  h.hub.on_open(h.now, 1, "peer");
  auto e = h.send(1, {{"type", "register"}, {"id", "r"}, {"user", "alice"}});
  EXPECT_EQ(e["code"], "hello-required");
  EXPECT_EQ(e["id"], "r");
  auto w = h.send(1, {{"type", "hello"}, {"id", 1}});
  EXPECT_EQ(w["type"], "welcome");
  EXPECT_EQ(w["id"], 1);
  EXPECT_EQ(w["resumed"], false);
  EXPECT_EQ(w["resumeWindow"], 30);
  EXPECT_EQ(w["sessionId"].get<std::string>().size(), 22u);
  EXPECT_EQ(h.send(1, {{"type", "hello"}, {"id", 2}})["code"], "bad-message");
}

// The gateway's embedded TURN mints credentials for each welcome.
TEST(Hub, SessionIceServersAreAppendedPerWelcome) {
  HubConfig cfg;
  cfg.ice_servers = {{{"stun:127.0.0.1:3478"}, "", ""}};
  int minted = 0;
  cfg.session_ice_servers = [&minted](const std::string& user) {
    ++minted;
    return std::vector<IceServer>{
        {{"turn:127.0.0.1:3478"}, std::to_string(minted) + ":" + (user.empty() ? "floe" : user), "pw"}};
  };
  Harness h(std::move(cfg));
  h.hub.on_open(h.now, 1, "peer");
  auto w = h.send(1, {{"type", "hello"}, {"id", 1}});
  ASSERT_EQ(w["iceServers"].size(), 2u);
  EXPECT_EQ(w["iceServers"][0]["urls"][0], "stun:127.0.0.1:3478");
  EXPECT_EQ(w["iceServers"][1]["username"], "1:floe");
  EXPECT_EQ(w["iceServers"][1]["credential"], "pw");
  h.hub.on_open(h.now, 2, "peer");
  EXPECT_EQ(h.send(2, {{"type", "hello"}, {"id", 1}})["iceServers"][1]["username"], "2:floe");
}

TEST(Hub, BadInputGetsErrorsAndSessionCarriesOn) {
  Harness h;
  h.open_session(1);
  h.hub.on_message(h.now, 1, "{nope");
  auto m = h.drain(1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["code"], "bad-json");
  EXPECT_TRUE(m[0]["id"].is_null());
  EXPECT_EQ(h.send(1, {{"type", "nope"}, {"id", "u"}})["code"], "unknown-type");
  EXPECT_EQ(h.send(1, {{"type", "call"}, {"id", "m"}})["code"], "bad-message");
  h.hub.on_message(h.now, 1, std::string(70000, ' '));
  m = h.drain(1);
  EXPECT_EQ(m[0]["code"], "too-large");
  EXPECT_EQ(h.send(1, {{"type", "ping"}, {"id", "p"}})["type"], "pong");
  EXPECT_FALSE(h.closed(1));
}

TEST(Hub, OutgoingCallIsAnsweredWithValidSdp) {
  Harness h;
  h.open_session(1);
  h.hub.on_message(h.now, 1, call_msg("1", "echo", sdp::samples::crlf(sdp::samples::kChromeOffer)).dump());
  auto m = h.drain(1);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0]["type"], "ack");
  EXPECT_EQ(m[0]["callId"], "c-1");
  EXPECT_EQ(m[1]["type"], "answer");
  auto answer = sdp::parse(m[1]["sdp"].get<std::string>());
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  EXPECT_EQ(answer.value().media[0].codecs[0].name, "opus");
  EXPECT_EQ(m[2]["type"], "candidate");
  EXPECT_EQ(m[2]["sdpMid"], "0");
  EXPECT_EQ(m[3]["type"], "end-of-candidates");
  EXPECT_EQ(m[4]["type"], "answered");

  auto ack = h.send(1, {{"type", "candidate"}, {"id", "2"}, {"callId", "c-1"},
                        {"candidate", "candidate:1 1 udp 1 10.0.0.1 5000 typ host"},
                        {"sdpMid", "0"}, {"sdpMLineIndex", 0}});
  EXPECT_EQ(ack["type"], "ack");
  EXPECT_EQ(h.send(1, {{"type", "dtmf"}, {"id", "3"}, {"callId", "c-1"}, {"digits", "1#"}})["type"], "ack");
  EXPECT_EQ(h.send(1, call_msg("1", "echo", "x"))["code"], "call-exists");
  EXPECT_EQ(h.send(1, {{"type", "hangup"}, {"id", "4"}, {"callId", "c-1"}})["type"], "ack");
  EXPECT_EQ(h.send(1, {{"type", "hangup"}, {"id", "5"}, {"callId", "c-1"}})["code"], "unknown-call");
  EXPECT_EQ(h.handler.log, (std::vector<std::string>{"call echo",
                                                      "candidate candidate:1 1 udp 1 10.0.0.1 5000 typ host",
                                                      "dtmf 1# 100", "hangup hangup"}));
  EXPECT_EQ(h.hub.call_count(), 0u);
}

TEST(Hub, CallFailures) {
  Harness h;
  h.open_session(1);
  auto e = h.send(1, call_msg("1", "echo", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n"));
  EXPECT_EQ(e["code"], "bad-sdp");
  EXPECT_EQ(e["id"], "1");
  EXPECT_EQ(e["callId"], "c-1");
  EXPECT_NE(e["message"].get<std::string>().find("line 5"), std::string::npos);
  EXPECT_EQ(h.send(1, {{"type", "end-of-candidates"}, {"id", "9"}, {"callId", "c-1"}})["code"], "unknown-call");

  h.hub.on_message(h.now, 1, call_msg("2", "nobody", sdp::samples::kChromeOffer).dump());
  auto m = h.drain(1);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1]["type"], "error");
  EXPECT_EQ(m[1]["code"], "not-found");
  EXPECT_EQ(m[1]["id"], "2");

  h.hub.on_message(h.now, 1, call_msg("3", "busy", sdp::samples::kChromeOffer).dump());
  m = h.drain(1);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1]["type"], "ringing");
  EXPECT_EQ(m[2]["type"], "ended");
  EXPECT_EQ(m[2]["reason"], "busy");

  std::string no_audio = sdp::samples::kChromeOffer;
  no_audio = no_audio.substr(0, no_audio.find("m=audio")) + no_audio.substr(no_audio.find("m=application"));
  no_audio.replace(no_audio.find("BUNDLE 0 1 2"), 12, "BUNDLE 2");
  h.hub.on_message(h.now, 1, call_msg("4", "echo", no_audio).dump());
  m = h.drain(1);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1]["code"], "unsupported-sdp");
  EXPECT_EQ(h.hub.call_count(), 0u);
}

TEST(Hub, TooManyCalls) {
  HubConfig cfg;
  cfg.max_calls_per_session = 2;
  Harness h(cfg);
  h.open_session(1);
  EXPECT_EQ(h.send(1, call_msg("1", "ring", sdp::samples::kChromeOffer))["type"], "ack");
  EXPECT_EQ(h.send(1, call_msg("2", "ring", sdp::samples::kChromeOffer))["type"], "ack");
  EXPECT_EQ(h.send(1, call_msg("3", "ring", sdp::samples::kChromeOffer))["code"], "too-many-calls");
}

TEST(Hub, RateLimitDropsThenCloses) {
  HubConfig cfg;
  cfg.rate_burst = 10;
  cfg.rate_per_second = 5;
  Harness h(cfg);
  h.open_session(1);  // hello took one token
  std::vector<json> all;
  for (int i = 0; i < 20; ++i) {
    h.hub.on_message(h.now, 1, json{{"type", "ping"}, {"id", i}}.dump());
    for (auto& m : h.drain(1)) all.push_back(m);
  }
  ASSERT_EQ(all.size(), 10u);  // 9 pongs and one rate-limited error
  EXPECT_EQ(all[9]["code"], "rate-limited");
  EXPECT_EQ(h.hub.counters().rate_limited, 11u);
  h.now += seconds(1);
  EXPECT_EQ(h.send(1, {{"type", "ping"}, {"id", "later"}})["type"], "pong");
  for (int i = 0; i < 60; ++i) h.hub.on_message(h.now, 1, "{}");
  std::uint16_t code = 0;
  EXPECT_TRUE(h.closed(1, &code));
  EXPECT_EQ(code, 1008);
}

TEST(Hub, TokenRequired) {
  HubConfig cfg;
  cfg.auth = {AuthConfig::Mode::Hmac, "k", 3600};
  Harness h(cfg);
  h.hub.on_open(h.now, 1, "p");
  auto e = h.send(1, {{"type", "hello"}, {"id", "h"}});
  EXPECT_EQ(e["code"], "unauthorized");
  EXPECT_TRUE(h.closed(1));
  EXPECT_EQ(h.hub.session_count(), 0u);

  h.hub.on_open(h.now, 2, "p");
  auto w = h.send(2, {{"type", "hello"}, {"id", "h"}, {"token", make_token("k", 1'000'100, "alice")}});
  EXPECT_EQ(w["type"], "welcome");
  EXPECT_EQ(w["user"], "alice");

  h.hub.on_open(h.now, 3, "p", std::string("bob"));  // token checked at the upgrade
  EXPECT_EQ(h.send(3, {{"type", "hello"}, {"id", "h"}})["user"], "bob");
  // bob cannot take alice's session by its id.
  h.hub.on_open(h.now, 4, "p", std::string("bob"));
  auto r = h.send(4, {{"type", "hello"}, {"id", "h"}, {"resume", w["sessionId"]}});
  EXPECT_EQ(r["resumed"], false);
  EXPECT_NE(r["sessionId"], w["sessionId"]);
}

TEST(Hub, ResumeWithinWindowKeepsCallsAndQueuedEvents) {
  Harness h;
  std::string sid = h.open_session(1);
  EXPECT_EQ(h.send(1, call_msg("1", "ring", sdp::samples::kChromeOffer))["type"], "ack");
  h.drain(1);
  h.hub.on_close(h.now, 1);
  h.now += seconds(10);
  h.handler.sinks.back()->answered();  // arrives while nobody is connected
  h.hub.handle_timeout(h.now);
  h.hub.on_open(h.now, 2, "p");
  h.hub.on_message(h.now, 2, json{{"type", "hello"}, {"id", "h2"}, {"resume", sid}}.dump());
  auto m = h.drain(2);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["sessionId"], sid);
  EXPECT_EQ(m[0]["resumed"], true);
  EXPECT_EQ(m[0]["calls"][0]["callId"], "c-1");
  EXPECT_EQ(m[0]["calls"][0]["state"], "answered");
  EXPECT_EQ(m[1]["type"], "answered");
  EXPECT_EQ(h.hub.counters().resumes, 1u);

  // A second resume while connected replaces the first socket.
  h.hub.on_open(h.now, 3, "p");
  EXPECT_EQ(h.send(3, {{"type", "hello"}, {"id", "h3"}, {"resume", sid}})["resumed"], true);
  std::uint16_t code = 0;
  EXPECT_TRUE(h.closed(2, &code));
  EXPECT_EQ(code, 4000);
  h.hub.on_close(h.now, 2);  // the old socket's close must not detach the session
  EXPECT_EQ(h.send(3, {{"type", "hangup"}, {"id", "x"}, {"callId", "c-1"}})["type"], "ack");
}

TEST(Hub, SessionExpiresAfterWindow) {
  Harness h;
  std::string sid = h.open_session(1);
  h.send(1, {{"type", "register"}, {"id", "r"}, {"user", "alice"}});
  h.send(1, call_msg("1", "ring", sdp::samples::kChromeOffer));
  h.hub.on_close(h.now, 1);
  EXPECT_LE(h.hub.next_timeout(), h.now + seconds(30));
  h.hub.handle_timeout(h.now);  // a scan makes the deadline exact
  EXPECT_EQ(h.hub.next_timeout(), h.now + seconds(30));
  h.now += seconds(29);
  h.hub.handle_timeout(h.now);
  EXPECT_EQ(h.hub.session_count(), 1u);
  h.now += seconds(1);
  h.hub.handle_timeout(h.now);
  EXPECT_EQ(h.hub.session_count(), 0u);
  EXPECT_EQ(h.handler.log.back(), "hangup session-expired");
  EXPECT_EQ(h.handler.log[h.handler.log.size() - 2], "unregistered alice");
  h.hub.on_open(h.now, 2, "p");
  auto w = h.send(2, {{"type", "hello"}, {"id", "h"}, {"resume", sid}});
  EXPECT_EQ(w["resumed"], false);
  EXPECT_NE(w["sessionId"], sid);
}

TEST(Hub, KeepaliveAndTimeouts) {
  HubConfig cfg;
  cfg.ping_interval = seconds(20);
  cfg.idle_timeout = seconds(45);
  Harness h(cfg);
  h.hub.on_open(h.now, 9, "p");  // never says hello
  h.open_session(1);
  h.now += seconds(10);
  h.hub.handle_timeout(h.now);
  EXPECT_TRUE(h.closed(9));
  h.now += seconds(10);
  h.hub.handle_timeout(h.now);
  bool pinged = false;
  while (auto o = h.hub.poll_output()) pinged |= o->kind == HubOutput::Kind::Ping && o->connection == 1;
  EXPECT_TRUE(pinged);
  h.hub.on_activity(h.now, 1);  // the pong
  h.now += seconds(44);
  h.hub.handle_timeout(h.now);
  EXPECT_FALSE(h.closed(1));
  h.now += seconds(1);
  h.hub.handle_timeout(h.now);
  std::uint16_t code = 0;
  EXPECT_TRUE(h.closed(1, &code));
  EXPECT_EQ(code, 1001);
}

TEST(Hub, IncomingCallToRegisteredUser) {
  Harness h;
  h.open_session(1);
  EXPECT_EQ(h.hub.ring(h.now, "alice", "sip:bob@example.org", "v=0"), nullptr);
  EXPECT_EQ(h.send(1, {{"type", "register"}, {"id", "r"}, {"user", "alice"}})["type"], "ack");
  h.open_session(2);
  EXPECT_EQ(h.send(2, {{"type", "register"}, {"id", "r"}, {"user", "alice"}})["code"], "user-taken");

  auto opts = testing::FakeCallHandler::local_options();
  std::string offer = sdp::to_string(sdp::create_offer(sdp::default_audio_capabilities(), opts, {}));
  auto sink = h.hub.ring(h.now, "alice", "sip:bob@example.org", offer);
  ASSERT_NE(sink, nullptr);
  auto m = h.drain(1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["type"], "incoming");
  EXPECT_EQ(m[0]["from"], "sip:bob@example.org");
  std::string cid = m[0]["callId"];
  EXPECT_EQ(cid, sink->key().call_id);
  EXPECT_EQ(h.send(1, {{"type", "accept"}, {"id", "a"}, {"callId", cid}, {"sdp", "garbage"}})["code"], "bad-sdp");
  std::string answer = sdp::samples::kFirefoxOffer;  // any parseable SDP; the handler judges it
  EXPECT_EQ(h.send(1, {{"type", "accept"}, {"id", "a"}, {"callId", cid}, {"sdp", answer}})["type"], "ack");
  EXPECT_EQ(h.send(1, {{"type", "accept"}, {"id", "b"}, {"callId", cid}, {"sdp", answer}})["code"], "bad-message");
  sink->ended("hangup", "remote hung up");
  m = h.drain(1);
  EXPECT_EQ(m[0]["type"], "ended");
  EXPECT_EQ(m[0]["message"], "remote hung up");

  auto second = h.hub.ring(h.now, "alice", "sip:carol@example.org", offer);
  std::string cid2 = h.drain(1)[0]["callId"];
  EXPECT_EQ(h.send(1, {{"type", "reject"}, {"id", "j"}, {"callId", cid2}, {"reason", "busy"}})["type"], "ack");
  second->answered();  // after the call is gone: dropped, counted
  EXPECT_TRUE(h.drain(1).empty());
  EXPECT_GE(h.hub.counters().events_dropped, 1u);
  EXPECT_EQ(h.handler.log.back(), "reject " + cid2 + " busy");
}

TEST(Hub, MetricsText) {
  Harness h;
  h.open_session(1);
  h.hub.on_message(h.now, 1, "nope");
  h.drain(1);
  std::string m = h.hub.metrics();
  EXPECT_NE(m.find("# TYPE floe_signaling_connections gauge\nfloe_signaling_connections 1\n"), std::string::npos);
  EXPECT_NE(m.find("floe_signaling_errors_total{code=\"bad-json\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("floe_signaling_sessions{state=\"attached\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace floe::signaling
