// Trunk registration through the UserAgent against a scripted registrar.
#include "gateway/sip/registration.hpp"

#include "ua_test_util.hpp"

using namespace floe;
using namespace floe::sip;
using namespace floe::sip::test;

namespace {

RegistrationConfig trunk(std::uint32_t expires = 120) {
  RegistrationConfig c;
  c.registrar = *Uri::parse("sip:127.0.0.1:5070");
  c.aor = *Uri::parse("sip:alice@trunk.test");
  c.credentials = {"alice", "secret"};
  c.expires = expires;
  return c;
}

Message challenge_for(const Message& req, const std::string& nonce, bool stale = false) {
  auto r = reply(req, 401, "reg");
  r.add("WWW-Authenticate", "Digest realm=\"trunk.test\", nonce=\"" + nonce +
                                "\", qop=\"auth\", algorithm=MD5" + (stale ? ", stale=true" : ""));
  return r;
}

Message ok_for(const Message& req, std::uint32_t expires) {
  auto r = reply(req, 200, "reg");
  r.add("Contact", std::string(req.header("Contact")) + ";expires=" + std::to_string(expires));
  return r;
}

Registration::State reg_state(UserAgent& ua, std::uint64_t id) {
  return ua.registration(id)->state();
}

}  // namespace

TEST(SipRegistration, ChallengeThenRegisteredThenRefreshWithNonceReuse) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto cfg = trunk();
  cfg.instance_id = "urn:uuid:00000000-0000-1000-8000-00000000f10e";
  auto id = ua.add_registration(t0, cfg);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  Message r1 = sent[0].message;
  auto contact = r1.name_addrs("Contact").at(0);
  ASSERT_NE(find_param(contact.params, "+sip.instance"), nullptr);
  EXPECT_EQ(find_param(contact.params, "+sip.instance")->unquoted(),
            "<urn:uuid:00000000-0000-1000-8000-00000000f10e>");
  EXPECT_EQ(r1.method, "REGISTER");
  EXPECT_EQ(r1.header("Expires"), "120");
  EXPECT_EQ(contact.uri.to_string(), "sip:floe@127.0.0.1:5060");
  EXPECT_EQ(r1.to()->uri.to_string(), "sip:alice@trunk.test");
  EXPECT_FALSE(r1.has("Authorization"));

  deliver(ua, t0 + milliseconds(10), challenge_for(r1, "n1"));
  sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  Message r2 = sent[0].message;
  EXPECT_EQ(r2.cseq()->number, r1.cseq()->number + 1);
  EXPECT_EQ(r2.call_id(), r1.call_id());
  EXPECT_NE(r2.top_via()->branch(), r1.top_via()->branch());
  EXPECT_NE(r2.header("Authorization").find("nc=00000001"), std::string_view::npos);

  // The registrar grants less than asked: its Contact expires wins.
  deliver(ua, t0 + milliseconds(20), ok_for(r2, 90));
  EXPECT_EQ(reg_state(ua, id), Registration::State::Registered);
  EXPECT_EQ(ua.registration(id)->granted_expires(), 90u);
  auto evs = events(ua);
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back().kind, UaEvent::Kind::RegistrationChanged);
  EXPECT_EQ(evs.back().status, 200);

  // Refresh at half of 90 s, reusing the nonce with nc=2 (no new challenge).
  Instant refresh = t0 + milliseconds(20);
  sent = run_until_sent(ua, refresh);
  EXPECT_EQ(ms_since(refresh, t0), 20 + 45000);
  ASSERT_EQ(sent.size(), 1u);
  Message r3 = sent[0].message;
  EXPECT_EQ(r3.cseq()->number, r2.cseq()->number + 1);
  EXPECT_NE(r3.header("Authorization").find("nc=00000002"), std::string_view::npos);
  deliver(ua, refresh + milliseconds(5), ok_for(r3, 90));
  EXPECT_EQ(reg_state(ua, id), Registration::State::Registered);

  // Shutdown: Expires 0.
  ua.remove_registration(refresh + seconds(1), id);
  sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.header("Expires"), "0");
  EXPECT_EQ(reg_state(ua, id), Registration::State::Unregistering);
  deliver(ua, refresh + seconds(1), ok_for(sent[0].message, 0));
  EXPECT_EQ(reg_state(ua, id), Registration::State::Unregistered);
}

TEST(SipRegistration, WrongPasswordBacksOffAndRetries) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto id = ua.add_registration(t0, trunk());
  auto r1 = drain(ua).at(0).message;
  deliver(ua, t0, challenge_for(r1, "n1"));
  auto r2 = drain(ua).at(0).message;
  deliver(ua, t0, challenge_for(r2, "n2"));  // credentials refused
  EXPECT_TRUE(drain(ua).empty());
  EXPECT_EQ(reg_state(ua, id), Registration::State::Retrying);
  EXPECT_EQ(ua.registration(id)->last_status(), 401);
  // Back-off: 10 s, then 20 s, 40 s ... (retry_min doubling).
  std::vector<long> retries;
  Instant now = t0;
  for (int i = 0; i < 3; ++i) {
    auto s = run_until_sent(ua, now);
    ASSERT_EQ(s.size(), 1u);
    retries.push_back(ms_since(now, t0));
    deliver(ua, now, reply(s[0].message, 503, "reg"));
  }
  EXPECT_EQ(retries, (std::vector<long>{10000, 30000, 70000}));
}

TEST(SipRegistration, TimeoutRetriesAndRetryAfterIsHonoured) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto id = ua.add_registration(t0, trunk());
  auto r1 = drain(ua).at(0).message;
  auto busy = reply(r1, 503, "reg");
  busy.add("Retry-After", "120");
  deliver(ua, t0, busy);
  Instant now = t0;
  ASSERT_EQ(run_until_sent(ua, now).size(), 1u);
  EXPECT_EQ(ms_since(now, t0), 120000);
  // No answer at all: timer F (32 s) then back-off 20 s.
  while (reg_state(ua, id) != Registration::State::Retrying) {
    now = ua.next_timeout();
    ua.handle_timeout(now);
    drain(ua);
  }
  EXPECT_EQ(ms_since(now, t0), 120000 + 32000);
  EXPECT_EQ(ua.registration(id)->last_status(), 408);
  EXPECT_EQ(ua.registration(id)->failures(), 2);
  ASSERT_EQ(run_until_sent(ua, now).size(), 1u);
  EXPECT_EQ(ms_since(now, t0), 120000 + 32000 + 20000);
}

TEST(SipRegistration, IntervalTooBriefUsesMinExpires) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto id = ua.add_registration(t0, trunk(60));
  auto r1 = drain(ua).at(0).message;
  auto brief = reply(r1, 423, "reg");
  brief.add("Min-Expires", "600");
  deliver(ua, t0, brief);
  auto r2 = drain(ua).at(0).message;
  EXPECT_EQ(r2.header("Expires"), "600");
  auto ok = reply(r2, 200, "reg");
  ok.add("Expires", "600");
  deliver(ua, t0, ok);
  EXPECT_EQ(reg_state(ua, id), Registration::State::Registered);
  Instant now = t0;
  ASSERT_EQ(run_until_sent(ua, now).size(), 1u);
  EXPECT_EQ(ms_since(now, t0), 540000);  // 60 s before expiry
}

TEST(SipRegistration, OptionsKeepaliveAndReRegisterWhenTrunkGoesSilent) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto cfg = trunk(3600);
  cfg.keepalive = seconds(30);
  auto id = ua.add_registration(t0, cfg);
  auto r1 = drain(ua).at(0).message;
  deliver(ua, t0, ok_for(r1, 3600));
  Instant now = t0;
  auto sent = run_until_sent(ua, now);
  EXPECT_EQ(ms_since(now, t0), 30000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.method, "OPTIONS");
  EXPECT_EQ(sent[0].transmit.destination, kPeer);
  deliver(ua, now, reply(sent[0].message, 200, "ka"));
  // The next keepalive gets no answer: after timer F, REGISTER again at once.
  sent = run_until_sent(ua, now);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.method, "OPTIONS");
  EXPECT_EQ(ms_since(now, t0), 60000);
  bool reregistered = false;
  while (!reregistered && ms_since(now, t0) < 200000) {
    for (auto& s : run_until_sent(ua, now))
      if (s.message.method == "REGISTER") reregistered = true;
  }
  EXPECT_TRUE(reregistered);
  EXPECT_EQ(ms_since(now, t0), 60000 + 32000);
  EXPECT_EQ(reg_state(ua, id), Registration::State::Registering);
}

TEST(SipRegistration, StaleNonceRetriesWithoutCountingAsFailure) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto id = ua.add_registration(t0, trunk());
  auto r1 = drain(ua).at(0).message;
  deliver(ua, t0, challenge_for(r1, "n1"));
  auto r2 = drain(ua).at(0).message;
  deliver(ua, t0, challenge_for(r2, "n2", true));
  auto r3 = drain(ua).at(0).message;
  EXPECT_NE(r3.header("Authorization").find("nonce=\"n2\""), std::string_view::npos);
  deliver(ua, t0, ok_for(r3, 120));
  EXPECT_EQ(reg_state(ua, id), Registration::State::Registered);
  EXPECT_EQ(ua.registration(id)->failures(), 0);
}
