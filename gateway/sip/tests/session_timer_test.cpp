// RFC 4028 session timers on a virtual clock: header parsing, UAC and UAS
// negotiation, refresh at half the interval, expiry at interval minus
// min(32 s, interval/3), and the UserAgent's automatic 422 retry.
#include "gateway/sip/session_timer.hpp"

#include "ua_test_util.hpp"

using namespace floe;
using namespace floe::sip;
using namespace floe::sip::test;

namespace {
const Uri kBob = *Uri::parse("sip:bob@127.0.0.1:5070");
const Uri kAlice = *Uri::parse("sip:alice@127.0.0.1");

Message invite() { return Message::request("INVITE", kBob); }
Message ok_with(std::string se) {
  Message ok = Message::response(200, "OK");
  if (!se.empty()) ok.add("Session-Expires", std::move(se));
  return ok;
}
}  // namespace

TEST(SipSessionTimer, ParsesSessionExpiresAndMinSe) {
  auto se = SessionExpires::parse("1800 ; refresher = uas");
  ASSERT_TRUE(se);
  EXPECT_EQ(se->delta, 1800u);
  EXPECT_EQ(se->refresher, Refresher::Uas);
  EXPECT_EQ(SessionExpires::parse("90")->refresher, std::nullopt);
  EXPECT_FALSE(SessionExpires::parse("90;refresher=proxy"));
  EXPECT_FALSE(SessionExpires::parse("-5"));
  EXPECT_FALSE(SessionExpires::parse("abc"));
  EXPECT_EQ(SessionExpires::parse("600;x=1")->delta, 600u);
  Message m = invite();
  m.add("x", "300;refresher=uac");  // compact form of Session-Expires
  m.add("Min-SE", "120");
  EXPECT_EQ(session_expires_of(m)->delta, 300u);
  EXPECT_EQ(*min_se_of(m), 120u);
  m.add("k", "100rel, Timer");  // compact Supported, case-insensitive tag
  EXPECT_TRUE(has_option_tag(m, "Supported", "timer"));
  EXPECT_FALSE(has_option_tag(m, "Require", "timer"));
}

TEST(SipSessionTimer, UacRequestAdvertisesAndAsks) {
  SessionTimer st({.session_expires = 1800, .min_se = 90});
  Message m = invite();
  m.add("Supported", "");
  st.add_to_request(m);
  EXPECT_EQ(m.header("Supported"), "timer");
  EXPECT_EQ(m.header("Session-Expires"), "1800");  // the UAS picks the refresher
  EXPECT_EQ(m.header("Min-SE"), "90");
  // Below the RFC floor is raised to 90 (§4).
  SessionTimer low({.session_expires = 30, .min_se = 10});
  Message m2 = invite();
  low.add_to_request(m2);
  EXPECT_EQ(m2.header("Session-Expires"), "90");
  EXPECT_EQ(m2.header("Min-SE"), "90");
}

TEST(SipSessionTimer, UacRefresherRefreshesAtHalfAndExpiresWithoutRefresh) {
  Instant t0{};
  SessionTimer st;
  st.on_2xx_as_uac(t0, ok_with("1800;refresher=uac"));
  ASSERT_TRUE(st.active());
  EXPECT_TRUE(st.we_refresh());
  EXPECT_EQ(st.next_timeout(), t0 + seconds(900));
  EXPECT_EQ(st.handle_timeout(t0 + seconds(899)), std::nullopt);
  EXPECT_EQ(st.handle_timeout(t0 + seconds(900)), SessionTimer::Action::Refresh);
  // The refresh re-INVITE keeps us as refresher.
  Message re = invite();
  st.add_to_request(re);
  EXPECT_EQ(re.header("Session-Expires"), "1800;refresher=uac");
  // Its 2xx restarts the clock.
  st.on_2xx_as_uac(t0 + seconds(901), ok_with("1800;refresher=uac"));
  EXPECT_EQ(st.next_timeout(), t0 + seconds(901 + 900));
  // If that refresh had never been answered: BYE at 1800 - 32 s.
  SessionTimer lost;
  lost.on_2xx_as_uac(t0, ok_with("1800;refresher=uac"));
  EXPECT_EQ(lost.handle_timeout(t0 + seconds(900)), SessionTimer::Action::Refresh);
  EXPECT_EQ(lost.next_timeout(), t0 + seconds(1768));
  EXPECT_EQ(lost.handle_timeout(t0 + seconds(1767)), std::nullopt);
  EXPECT_EQ(lost.handle_timeout(t0 + seconds(1768)), SessionTimer::Action::Expired);
  EXPECT_FALSE(lost.active());
  EXPECT_EQ(lost.next_timeout(), kNever);
}

TEST(SipSessionTimer, NonRefresherExpiresAtIntervalMinusThirdForShortIntervals) {
  Instant t0{};
  SessionTimer st;
  st.on_2xx_as_uac(t0, ok_with("90;refresher=uas"));
  EXPECT_FALSE(st.we_refresh());
  // min(32, 90/3 = 30) = 30: expiry acted on at 60 s; no refresh of ours.
  EXPECT_EQ(st.next_timeout(), t0 + seconds(60));
  EXPECT_EQ(st.handle_timeout(t0 + seconds(45)), std::nullopt);
  // The peer's refresh (we answer it as UAS) restarts the clock.
  Message refresh = invite();
  refresh.add("Supported", "timer");
  refresh.add("Session-Expires", "90;refresher=uac");
  Message ok = ok_with("");
  st.on_2xx_as_uas(t0 + seconds(50), refresh, ok);
  EXPECT_EQ(ok.header("Session-Expires"), "90;refresher=uac");
  EXPECT_EQ(ok.header("Require"), "timer");
  EXPECT_FALSE(st.we_refresh());
  EXPECT_EQ(st.next_timeout(), t0 + seconds(110));
  EXPECT_EQ(st.handle_timeout(t0 + seconds(110)), SessionTimer::Action::Expired);
}

TEST(SipSessionTimer, TwoXxWithoutSessionExpiresMeansNoTimer) {
  SessionTimer st;
  st.on_2xx_as_uac(Instant{}, ok_with(""));
  EXPECT_FALSE(st.active());
  EXPECT_EQ(st.next_timeout(), kNever);
  EXPECT_EQ(st.handle_timeout(Instant{} + seconds(100000)), std::nullopt);
}

TEST(SipSessionTimer, UasRejectsTooSmallAndChoosesRefresher) {
  Instant t0{};
  SessionTimer st({.session_expires = 1800, .min_se = 120});
  Message small = invite();
  small.add("Session-Expires", "100");
  ASSERT_EQ(st.check_request(small), 120u);
  Message r422 = make_response(small, 422);
  st.make_422(r422);
  EXPECT_EQ(r422.header("Min-SE"), "120");
  EXPECT_EQ(default_reason(422), "Session Interval Too Small");

  // UAC supports timer and left the refresher open: our preference (uac).
  Message req = invite();
  req.add("Supported", "timer");
  req.add("Session-Expires", "3600");
  EXPECT_EQ(st.check_request(req), std::nullopt);
  Message ok = ok_with("");
  st.on_2xx_as_uas(t0, req, ok);
  EXPECT_EQ(ok.header("Session-Expires"), "1800;refresher=uac");  // lowered to ours
  EXPECT_EQ(ok.header("Require"), "timer");
  EXPECT_FALSE(st.we_refresh());

  // A UAC without the extension: we must refresh, and may not Require it.
  SessionTimer st2;
  Message plain = invite();
  Message ok2 = ok_with("");
  st2.on_2xx_as_uas(t0, plain, ok2);
  EXPECT_EQ(ok2.header("Session-Expires"), "1800;refresher=uas");
  EXPECT_FALSE(ok2.has("Require"));
  EXPECT_TRUE(st2.we_refresh());
  EXPECT_EQ(st2.handle_timeout(t0 + seconds(900)), SessionTimer::Action::Refresh);
  // Our refresh request (we are its UAC now) says refresher=uac.
  Message re = invite();
  st2.add_to_request(re);
  EXPECT_EQ(re.header("Session-Expires"), "1800;refresher=uac");
  // The request's Min-SE is a floor for what we answer.
  SessionTimer st3({.session_expires = 300});
  Message big = invite();
  big.add("Supported", "timer");
  big.add("Session-Expires", "1000;refresher=uas");
  big.add("Min-SE", "600");
  Message ok3 = ok_with("");
  st3.on_2xx_as_uas(t0, big, ok3);
  EXPECT_EQ(ok3.header("Session-Expires"), "600;refresher=uas");
  EXPECT_TRUE(st3.we_refresh());
}

TEST(SipSessionTimer, Apply422RaisesOnceAndRefusesToLoop) {
  Message req = invite();
  req.add("Session-Expires", "90;refresher=uac");
  req.add("Min-SE", "90");
  Message r = make_response(req, 422);
  r.add("Min-SE", "300");
  ASSERT_TRUE(apply_422(r, req));
  EXPECT_EQ(req.header("Session-Expires"), "300;refresher=uac");
  EXPECT_EQ(req.header("Min-SE"), "300");
  EXPECT_FALSE(apply_422(r, req));  // already asking for 300
  Message no_min = make_response(req, 422);
  EXPECT_FALSE(apply_422(no_min, req));
  SessionTimer st;
  st.on_422(r);
  EXPECT_EQ(st.min_se(), 300u);
}

TEST(SipSessionTimer, UserAgentRetriesInviteAfter422WithLargerMinSe) {
  Instant t0{};
  auto cfg = ua_config();
  cfg.session_timer = true;
  UserAgent ua(cfg);
  SessionTimer st({.session_expires = 90});
  Message inv = ua.new_request("INVITE", kBob, kBob, kAlice);
  st.add_to_request(inv);
  auto h = ua.send_request(t0, std::move(inv));
  auto first = drain(ua).at(0).message;
  EXPECT_TRUE(has_option_tag(first, "Supported", "timer"));
  EXPECT_EQ(first.header("Session-Expires"), "90");
  Message r422 = reply(first, 422);
  r422.add("Min-SE", "1200");
  deliver(ua, t0, r422);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 2u);  // ACK for the 422, then the new INVITE
  EXPECT_EQ(sent[0].message.method, "ACK");
  const Message& retry = sent[1].message;
  EXPECT_EQ(retry.method, "INVITE");
  EXPECT_EQ(retry.cseq()->number, first.cseq()->number + 1);
  EXPECT_EQ(retry.call_id(), first.call_id());
  EXPECT_EQ(retry.from()->tag(), first.from()->tag());
  EXPECT_NE(retry.top_via()->branch(), first.top_via()->branch());
  EXPECT_EQ(retry.header("Session-Expires"), "1200");
  EXPECT_EQ(retry.header("Min-SE"), "1200");
  EXPECT_TRUE(events(ua).empty());  // the TU does not see the 422
  Message ok = reply(retry, 200);
  ok.add("Contact", "<sip:bob@127.0.0.1:5070>");
  ok.add("Session-Expires", "1200;refresher=uac");
  deliver(ua, t0, ok);
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, h);
  EXPECT_EQ(evs[0].status, 200);
  EXPECT_EQ(drain(ua).at(0).message.method, "ACK");
  st.on_2xx_as_uac(t0, evs[0].message);
  EXPECT_EQ(st.interval(), 1200u);
  EXPECT_EQ(st.refresh_at(), t0 + seconds(600));
  // A second 422 is passed up: one retry only.
  Message inv2 = ua.new_request("INVITE", kBob, kBob, kAlice);
  inv2.add("Session-Expires", "90");
  auto h2 = ua.send_request(t0, std::move(inv2));
  auto f2 = drain(ua).at(0).message;
  Message a = reply(f2, 422);
  a.add("Min-SE", "200");
  deliver(ua, t0, a);
  auto retry2 = drain(ua).at(1).message;
  Message b = reply(retry2, 422);
  b.add("Min-SE", "400");
  deliver(ua, t0, b);
  auto evs2 = events(ua);
  ASSERT_EQ(evs2.size(), 1u);
  EXPECT_EQ(evs2[0].id, h2);
  EXPECT_EQ(evs2[0].status, 422);
}

TEST(SipSessionTimer, RequireTimerAcceptedOnlyWhenConfigured) {
  Instant t0{};
  const std::string inv =
      "INVITE sip:floe@127.0.0.1 SIP/2.0\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKst1\n"
      "From: <sip:bob@127.0.0.1>;tag=b1\nTo: <sip:floe@127.0.0.1>\nCall-ID: st-1\n"
      "CSeq: 1 INVITE\nMax-Forwards: 70\nContact: <sip:bob@127.0.0.1:5070>\n"
      "Supported: timer\nRequire: timer, foo\nSession-Expires: 1800;refresher=uac\n"
      "Content-Length: 0\n\n";
  UserAgent plain(ua_config());
  deliver_text(plain, t0, inv);
  auto r = drain(plain).at(0).message;
  EXPECT_EQ(r.status, 420);
  EXPECT_EQ(r.all("Unsupported").size(), 2u);

  auto cfg = ua_config();
  cfg.session_timer = true;
  UserAgent ua(cfg);
  deliver_text(ua, t0, inv);
  r = drain(ua).at(0).message;
  EXPECT_EQ(r.status, 420);
  ASSERT_EQ(r.all("Unsupported").size(), 1u);
  EXPECT_EQ(r.header("Unsupported"), "foo");
  std::string only_timer = inv;
  only_timer.replace(only_timer.find(", foo"), 5, "");
  only_timer.replace(only_timer.find("st1"), 3, "st2");
  deliver_text(ua, t0, only_timer);
  EXPECT_EQ(drain(ua).at(0).message.status, 100);
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kind, UaEvent::Kind::IncomingRequest);
}
