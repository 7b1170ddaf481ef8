// The SIP leg's state machine against scripted SIP messages on a virtual
// clock: the UserAgent is real, the peer is crafted text.
#include "gateway/bridge/sip_call.hpp"

#include <gtest/gtest.h>

#include "ua_test_util.hpp"

using namespace floe;
using namespace floe::bridge;
using namespace floe::sip;
using namespace floe::sip::test;
using K = SipCallEvent::Kind;

namespace {

const Uri kTrunk = *Uri::parse("sip:5551234@127.0.0.1:5070");
const Uri kMe = *Uri::parse("sip:floe@127.0.0.1");

SipLocalMedia local_media() {
  SipLocalMedia m;
  m.rtp = *SocketAddress::parse("127.0.0.1:20000");
  m.codecs = {{0, "PCMU", 8000, 0, "", {}, true}, {8, "PCMA", 8000, 0, "", {}, true},
              {126, "telephone-event", 8000, 0, "0-16", {}, true}};
  m.session_id = 7;
  return m;
}

std::string peer_sdp(const std::string& dir = "sendrecv", const std::string& addr = "127.0.0.1",
                     int version = 1) {
  return "v=0\r\no=peer 1 " + std::to_string(version) + " IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 " +
         addr + "\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=" +
         dir + "\r\n";
}

void set_body(Message& m, const std::string& sdp) {
  m.set("Content-Type", "application/sdp");
  m.body = Bytes(sdp.begin(), sdp.end());
}

std::vector<SipCallEvent> call_events(SipCall& c) {
  std::vector<SipCallEvent> out;
  while (auto e = c.poll_event()) out.push_back(std::move(*e));
  return out;
}

// Hands every UA event to the call (what SipService does).
void pump(UserAgent& ua, SipCall& call, Instant now) {
  while (auto e = ua.poll_event())
    if (call.matches(*e)) call.handle_event(now, *e);
}

std::string text(const Message& m) { return std::string(m.body.begin(), m.body.end()); }

// Headers written with "\n" (no Content-Length) plus an exact body, as the wire sees it.
std::string wire(const std::string& headers, const std::string& body) {
  std::string out;
  for (char c : headers) {
    if (c == '\n') out += "\r\n";
    else out += c;
  }
  return out + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void deliver_wire(UserAgent& ua, Instant now, const std::string& bytes) {
  ua.handle_input(now, Transport::Udp, kPeer, as_bytes(bytes));
}

// An incoming INVITE from the trunk, as the UA reports it.
std::string invite_text(bool with_sdp, const std::string& extra = "") {
  std::string sdp = with_sdp ? peer_sdp() : "";
  return wire("INVITE sip:alice@127.0.0.1:5060 SIP/2.0\n"
         "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKin1\n"
         "From: <sip:5550000@127.0.0.1:5070>;tag=caller\n"
         "To: <sip:alice@127.0.0.1>\n"
         "Call-ID: in-1@127.0.0.1\nCSeq: 1 INVITE\nMax-Forwards: 70\n"
         "Contact: <sip:5550000@127.0.0.1:5070>\n" +
         extra + (with_sdp ? "Content-Type: application/sdp\n" : ""),
         sdp);
}

// Parses what the UA sent and returns the messages with the given method or status.
}  // namespace

TEST(BridgeSipCall, OutgoingRingingEarlyMediaAnswerAndBye) {
  Instant now{};
  UserAgent ua(ua_config());
  SipCall call(ua, {});
  ASSERT_TRUE(call.invite(now, kTrunk, kMe, "Alice", local_media()));
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  const Message inv = sent[0].message;
  EXPECT_EQ(inv.method, "INVITE");
  EXPECT_EQ(inv.header("Session-Expires"), "1800");
  EXPECT_EQ(inv.header("Supported"), "timer");
  EXPECT_EQ(inv.from()->display_name, "Alice");
  EXPECT_NE(text(inv).find("m=audio 20000 RTP/AVP 0 8 126"), std::string::npos);

  deliver(ua, now, reply(inv, 180));
  pump(ua, call, now);
  auto ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Ringing);
  EXPECT_FALSE(ev[0].media);

  Message p183 = reply(inv, 183);
  set_body(p183, peer_sdp());
  deliver(ua, now, p183);
  pump(ua, call, now);
  ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Progress);
  ASSERT_TRUE(ev[0].media);
  EXPECT_EQ(ev[0].media->rtp->to_string(), "127.0.0.1:30000");

  Message ok = reply(inv, 200);
  ok.add("Contact", "<sip:5551234@127.0.0.1:5070>");
  ok.add("Session-Expires", "120;refresher=uac");
  set_body(ok, peer_sdp());
  now += seconds(1);
  deliver(ua, now, ok);
  pump(ua, call, now);
  auto acks = drain(ua);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].message.method, "ACK");
  ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Answered);
  EXPECT_EQ(call.state(), SipCall::State::Confirmed);
  // We are the refresher (refresher=uac, we sent the INVITE): a re-INVITE
  // with the same description at half the interval.
  EXPECT_EQ(call.next_timeout(), now + seconds(60));
  now += seconds(60);
  call.handle_timeout(now);
  auto re = drain(ua);
  ASSERT_EQ(re.size(), 1u);
  EXPECT_EQ(re[0].message.method, "INVITE");
  EXPECT_NE(text(re[0].message).find("o=floe 7 1 "), std::string::npos);
  Message re_ok = reply(re[0].message, 200);
  re_ok.add("Session-Expires", "120;refresher=uac");
  set_body(re_ok, peer_sdp());
  deliver(ua, now, re_ok);
  pump(ua, call, now);
  drain(ua);  // the ACK
  EXPECT_EQ(call.next_timeout(), now + seconds(60));
  EXPECT_TRUE(call_events(call).empty());

  call.hangup(now);
  auto bye = drain(ua);
  ASSERT_EQ(bye.size(), 1u);
  EXPECT_EQ(bye[0].message.method, "BYE");
  ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Ended);
  EXPECT_EQ(ev[0].reason, "hangup");
}

TEST(BridgeSipCall, OutgoingBusyEndsWithTheSipCode) {
  Instant now{};
  UserAgent ua(ua_config());
  SipCall call(ua, {});
  call.invite(now, kTrunk, kMe, "", local_media());
  auto inv = drain(ua).at(0).message;
  deliver(ua, now, reply(inv, 486));
  pump(ua, call, now);
  auto ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Ended);
  EXPECT_EQ(ev[0].reason, "sip-486");
  EXPECT_EQ(ev[0].message, "Busy Here");
  EXPECT_EQ(drain(ua).at(0).message.method, "ACK");  // the transaction ACKs the 486
}

TEST(BridgeSipCall, OutgoingDigestChallengeIsAnsweredWithCredentials) {
  Instant now{};
  UserAgent ua(ua_config());
  SipCall call(ua, {.credentials = DigestCredentials{"alice", "secret"}});
  call.invite(now, kTrunk, kMe, "", local_media());
  auto inv = drain(ua).at(0).message;
  Message chal = reply(inv, 407);
  chal.add("Proxy-Authenticate", "Digest realm=\"pbx\", nonce=\"abc\", qop=\"auth\"");
  deliver(ua, now, chal);
  pump(ua, call, now);
  EXPECT_TRUE(call_events(call).empty());
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 2u);  // ACK for the 407, the INVITE with credentials
  EXPECT_EQ(sent[1].message.method, "INVITE");
  EXPECT_NE(sent[1].message.header("Proxy-Authorization").find("username=\"alice\""),
            std::string::npos);
  Message ok = reply(sent[1].message, 200);
  ok.add("Contact", "<sip:5551234@127.0.0.1:5070>");
  set_body(ok, peer_sdp());
  deliver(ua, now, ok);
  pump(ua, call, now);
  auto ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Answered);
  // No Session-Expires in the 2xx: no session timer.
  EXPECT_EQ(call.next_timeout(), kNever);
}

TEST(BridgeSipCall, HangupBeforeAnswerCancelsAndACrossing200IsByed) {
  Instant now{};
  UserAgent ua(ua_config());
  SipCall call(ua, {});
  call.invite(now, kTrunk, kMe, "", local_media());
  auto inv = drain(ua).at(0).message;
  deliver(ua, now, reply(inv, 180));
  pump(ua, call, now);
  call_events(call);
  call.hangup(now);
  auto c = drain(ua);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].message.method, "CANCEL");
  // The trunk answered before it saw the CANCEL.
  Message ok = reply(inv, 200);
  ok.add("Contact", "<sip:5551234@127.0.0.1:5070>");
  set_body(ok, peer_sdp());
  deliver(ua, now, ok);
  pump(ua, call, now);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].message.method, "ACK");
  EXPECT_EQ(sent[1].message.method, "BYE");
  auto ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].reason, "hangup");
}

TEST(BridgeSipCall, IncomingRingAcceptAckHoldResumeAndBye) {
  Instant now{};
  UserAgent ua(ua_config());
  deliver_wire(ua, now, invite_text(true, "Supported: timer\nSession-Expires: 90;refresher=uac\n"));
  auto trying = drain(ua);
  ASSERT_EQ(trying.at(0).message.status, 100);
  auto e = ua.poll_event();
  ASSERT_TRUE(e && e->kind == UaEvent::Kind::IncomingRequest);
  SipCall call(ua, {});
  call.incoming(now, e->id, e->message);
  ASSERT_TRUE(call.remote_offer());
  EXPECT_EQ(call.remote_offer()->codecs.at(0).name, "PCMA");
  call.ringing(now);
  EXPECT_EQ(drain(ua).at(0).message.status, 180);
  SipLocalMedia local = local_media();
  local.codecs = {{8, "PCMA", 8000, 0, "", {}, true}, {101, "telephone-event", 8000, 0, "0-16", {}, true}};
  call.accept(now, local);
  auto ok = drain(ua).at(0).message;
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("Session-Expires"), "90;refresher=uac");
  EXPECT_EQ(ok.header("Require"), "timer");
  EXPECT_NE(text(ok).find("m=audio 20000 RTP/AVP 8 101"), std::string::npos);
  // The peer refreshes; without a refresh we BYE at 90 - 30 s.
  EXPECT_EQ(call.next_timeout(), now + seconds(60));

  std::string to_tag = ok.to()->tag();
  auto in_dialog = [&](const std::string& method, int cseq, const std::string& body,
                       const std::string& ctype, const std::string& branch) {
    return wire(method + " sip:floe@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" +
           branch + "\nFrom: <sip:5550000@127.0.0.1:5070>;tag=caller\nTo: <sip:alice@127.0.0.1>;tag=" +
           to_tag + "\nCall-ID: in-1@127.0.0.1\nCSeq: " + std::to_string(cseq) + " " + method +
           "\nMax-Forwards: 70\nContact: <sip:5550000@127.0.0.1:5070>\n" +
           (ctype.empty() ? "" : "Content-Type: " + ctype + "\n"),
           body);
  };
  deliver_wire(ua, now, in_dialog("ACK", 1, "", "", "ack1"));
  pump(ua, call, now);
  auto ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Answered);

  // Hold: the trunk sends sendonly; we answer recvonly.
  now += seconds(10);
  deliver_wire(ua, now, in_dialog("INVITE", 2, peer_sdp("sendonly", "127.0.0.1", 2), "application/sdp", "re1"));
  pump(ua, call, now);
  auto sent = drain(ua);
  const Message* hold_ok = nullptr;
  for (auto& s : sent)
    if (s.message.status == 200) hold_ok = &s.message;
  ASSERT_TRUE(hold_ok);
  EXPECT_NE(text(*hold_ok).find("a=recvonly"), std::string::npos);
  EXPECT_NE(text(*hold_ok).find("o=floe 7 2 "), std::string::npos);
  ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::RemoteMedia);
  EXPECT_FALSE(ev[0].media->peer_receives());
  // The re-INVITE refreshed the session; it had no Session-Expires and no
  // Supported: timer, so we are the refresher now (RFC 4028 §9).
  EXPECT_EQ(call.next_timeout(), now + seconds(900));
  deliver_wire(ua, now, in_dialog("ACK", 2, "", "", "ack2"));
  pump(ua, call, now);
  EXPECT_TRUE(call_events(call).empty());

  // Resume with the legacy form's opposite: sendrecv again.
  deliver_wire(ua, now, in_dialog("UPDATE", 3, peer_sdp("sendrecv", "127.0.0.1", 3), "application/sdp", "up1"));
  pump(ua, call, now);
  sent = drain(ua);
  ASSERT_EQ(sent.at(0).message.status, 200);
  EXPECT_NE(text(sent[0].message).find("a=sendrecv"), std::string::npos);
  EXPECT_NE(text(sent[0].message).find("o=floe 7 3 "), std::string::npos);
  ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0].media->peer_receives());

  // DTMF by INFO and a MESSAGE.
  deliver_wire(ua, now, in_dialog("INFO", 4, "Signal=7\r\nDuration=200\r\n", "application/dtmf-relay", "inf1"));
  deliver_wire(ua, now, in_dialog("MESSAGE", 5, "hello browser", "text/plain", "msg1"));
  pump(ua, call, now);
  ev = call_events(call);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, K::Dtmf);
  EXPECT_EQ(ev[0].digit, '7');
  EXPECT_EQ(ev[0].duration_ms, 200u);
  EXPECT_EQ(ev[1].kind, K::Message);
  EXPECT_EQ(ev[1].message, "hello browser");

  deliver_wire(ua, now, in_dialog("BYE", 6, "", "", "bye1"));
  pump(ua, call, now);
  ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Ended);
  EXPECT_EQ(ev[0].reason, "hangup");
}

TEST(BridgeSipCall, IncomingWithoutSdpOffersInThe200AndTakesTheAnswerFromTheAck) {
  Instant now{};
  UserAgent ua(ua_config());
  deliver_wire(ua, now, invite_text(false));
  drain(ua);
  auto e = ua.poll_event();
  ASSERT_TRUE(e);
  SipCall call(ua, {});
  call.incoming(now, e->id, e->message);
  EXPECT_FALSE(call.remote_offer());
  call.accept(now, local_media());
  auto ok = drain(ua).at(0).message;
  EXPECT_NE(text(ok).find("RTP/AVP 0 8 126"), std::string::npos);
  std::string sdp = peer_sdp();
  std::string ack = wire("ACK sip:floe@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKack\n"
                    "From: <sip:5550000@127.0.0.1:5070>;tag=caller\nTo: <sip:alice@127.0.0.1>;tag=" +
                    ok.to()->tag() + "\nCall-ID: in-1@127.0.0.1\nCSeq: 1 ACK\nContent-Type: application/sdp\n", sdp);
  deliver_wire(ua, now, ack);
  pump(ua, call, now);
  auto ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Answered);
  ASSERT_TRUE(ev[0].media);
  EXPECT_EQ(ev[0].media->codecs.at(0).name, "PCMA");
}

TEST(BridgeSipCall, MissedRefreshEndsTheCallWithBye) {
  Instant now{};
  UserAgent ua(ua_config());
  deliver_wire(ua, now, invite_text(true, "Supported: timer\nSession-Expires: 90\n"));
  drain(ua);
  auto e = ua.poll_event();
  SipCall call(ua, {});
  call.incoming(now, e->id, e->message);
  call.accept(now, local_media());
  auto ok = drain(ua).at(0).message;
  // The UAC supports timers and named no refresher: it refreshes (§9).
  EXPECT_EQ(ok.header("Session-Expires"), "90;refresher=uac");
  now = call.next_timeout();
  call.handle_timeout(now);
  auto sent = drain(ua);
  bool bye = false;
  for (auto& s : sent) bye |= s.message.method == "BYE";
  EXPECT_TRUE(bye);
  auto ev = call_events(call);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().reason, "session-expired");
}

// An outgoing call the trunk answers with `session_expires` (refresher=uac
// makes Floe, the INVITE's UAC, the refresher).
void answer_outgoing(UserAgent& ua, SipCall& call, Instant now, const std::string& session_expires) {
  ASSERT_TRUE(call.invite(now, kTrunk, kMe, "", local_media()));
  const Message inv = drain(ua).at(0).message;
  Message ok = reply(inv, 200);
  ok.add("Contact", "<sip:5551234@127.0.0.1:5070>");
  ok.add("Require", "timer");
  ok.add("Session-Expires", session_expires);
  set_body(ok, peer_sdp());
  deliver(ua, now, ok);
  pump(ua, call, now);
  drain(ua);  // the ACK
  ASSERT_EQ(call_events(call).size(), 1u);
  ASSERT_EQ(call.state(), SipCall::State::Confirmed);
}

// Floe refreshes at half the interval (RFC 4028 §10) and sends the session it runs.
Message refresh_at_half_interval(UserAgent& ua, SipCall& call, Instant& now) {
  now = call.session_timer().refresh_at();
  call.handle_timeout(now);
  auto sent = drain(ua);
  EXPECT_EQ(sent.size(), 1u);
  return sent.empty() ? Message{} : sent[0].message;
}

TEST(BridgeSipCall, FloeRefreshCarriesSessionExpiresAndSupportedTimer) {
  Instant now{};
  const Instant t0 = now;
  UserAgent ua(ua_config());
  SipCall call(ua, {.session_expires = 90});
  answer_outgoing(ua, call, now, "90;refresher=uac");
  EXPECT_EQ(call.next_timeout(), t0 + seconds(45));
  Message refresh = refresh_at_half_interval(ua, call, now);
  EXPECT_EQ(now, t0 + seconds(45));
  EXPECT_EQ(refresh.method, "INVITE");
  // RFC 4028 §7.4: the refresh names the running interval and, sent by the
  // refresher, refresher=uac; §7.1: Supported: timer.
  EXPECT_EQ(refresh.header("Session-Expires"), "90;refresher=uac");
  EXPECT_TRUE(has_option_tag(refresh, "Supported", "timer"));
  EXPECT_EQ(refresh.header("Min-SE"), "90");
  EXPECT_NE(text(refresh).find("o=floe 7 1 "), std::string::npos);  // description unchanged

  // §7.2: the 2xx sets the new interval (the peer raised it to 120 s).
  Message ok = reply(refresh, 200);
  ok.add("Require", "timer");
  ok.add("Session-Expires", "120;refresher=uac");
  set_body(ok, peer_sdp());
  deliver(ua, now, ok);
  pump(ua, call, now);
  auto acks = drain(ua);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].message.method, "ACK");
  EXPECT_TRUE(call_events(call).empty());
  EXPECT_EQ(call.state(), SipCall::State::Confirmed);
  EXPECT_EQ(call.session_timer().interval(), 120u);
  EXPECT_EQ(call.next_timeout(), now + seconds(60));

  Message again = refresh_at_half_interval(ua, call, now);
  EXPECT_EQ(now, t0 + seconds(105));
  EXPECT_EQ(again.header("Session-Expires"), "120;refresher=uac");
  EXPECT_GT(again.cseq()->number, refresh.cseq()->number);
  ok = reply(again, 200);
  ok.add("Session-Expires", "120;refresher=uac");
  deliver(ua, now, ok);
  pump(ua, call, now);
  drain(ua);

  // §10: a re-INVITE of ours (hold) is a refresh too; its 2xx restarts the timer.
  now += seconds(10);
  call.set_local_direction(now, sdp::Direction::SendOnly);
  Message hold = drain(ua).at(0).message;
  EXPECT_EQ(hold.header("Session-Expires"), "120;refresher=uac");
  ok = reply(hold, 200);
  ok.add("Session-Expires", "90;refresher=uac");
  deliver(ua, now, ok);
  pump(ua, call, now);
  EXPECT_EQ(call.next_timeout(), now + seconds(45));
  EXPECT_EQ(call.state(), SipCall::State::Confirmed);
}

TEST(BridgeSipCall, UnansweredRefreshEndsWithByeAtExpiry) {
  Instant now{};
  const Instant t0 = now;
  UserAgent ua(ua_config());
  SipCall call(ua, {.session_expires = 90});
  answer_outgoing(ua, call, now, "90;refresher=uac");
  Message refresh = refresh_at_half_interval(ua, call, now);
  EXPECT_EQ(refresh.header("Session-Expires"), "90;refresher=uac");
  // No answer: §10 ends the session at 90 - min(32, 90/3) = 60 s.
  EXPECT_EQ(call.next_timeout(), t0 + seconds(60));
  now = call.next_timeout();
  call.handle_timeout(now);
  bool bye = false;
  for (auto& s : drain(ua)) bye |= s.message.method == "BYE";
  EXPECT_TRUE(bye);
  auto ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::Ended);
  EXPECT_EQ(ev[0].reason, "session-expired");
  EXPECT_TRUE(call.ended());
}

TEST(BridgeSipCall, RefreshAnswered481EndsWithBye) {
  Instant now{};
  UserAgent ua(ua_config());
  SipCall call(ua, {.session_expires = 90});
  answer_outgoing(ua, call, now, "90;refresher=uac");
  Message refresh = refresh_at_half_interval(ua, call, now);
  deliver(ua, now, reply(refresh, 481));
  pump(ua, call, now);
  bool bye = false;
  for (auto& s : drain(ua)) bye |= s.message.method == "BYE";
  EXPECT_TRUE(bye);  // RFC 4028 §10
  auto ev = call_events(call);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].reason, "session-expired");
  EXPECT_EQ(ev[0].status, 481);
}

TEST(BridgeSipCall, AsUasRefresherFloeRefreshesWithRefresherUac) {
  Instant now{};
  const Instant t0 = now;
  UserAgent ua(ua_config());
  deliver_wire(ua, now, invite_text(true, "Supported: timer\nSession-Expires: 90;refresher=uas\n"));
  drain(ua);
  auto e = ua.poll_event();
  SipCall call(ua, {});
  call.incoming(now, e->id, e->message);
  call.accept(now, local_media());
  auto ok = drain(ua).at(0).message;
  EXPECT_EQ(ok.header("Session-Expires"), "90;refresher=uas");
  deliver_wire(ua, now, wire("ACK sip:floe@127.0.0.1:5060 SIP/2.0\n"
                             "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKack1\n"
                             "From: <sip:5550000@127.0.0.1:5070>;tag=caller\n"
                             "To: <sip:alice@127.0.0.1>;tag=" + ok.to()->tag() + "\n"
                             "Call-ID: in-1@127.0.0.1\nCSeq: 1 ACK\nMax-Forwards: 70\n", ""));
  pump(ua, call, now);
  ASSERT_EQ(call_events(call).size(), 1u);  // Answered
  // We were the UAS and the refresher; our refresh's UAC is us, so the
  // request says refresher=uac (RFC 4028 §7.4).
  Message refresh = refresh_at_half_interval(ua, call, now);
  EXPECT_EQ(now, t0 + seconds(45));
  EXPECT_EQ(refresh.method, "INVITE");
  EXPECT_EQ(refresh.header("Session-Expires"), "90;refresher=uac");
  EXPECT_TRUE(has_option_tag(refresh, "Supported", "timer"));
  Message rok = reply(refresh, 200, ok.from()->tag());
  rok.add("Require", "timer");
  rok.add("Session-Expires", "90;refresher=uac");
  set_body(rok, peer_sdp());
  deliver(ua, now, rok);
  pump(ua, call, now);
  drain(ua);
  EXPECT_TRUE(call_events(call).empty());
  EXPECT_EQ(call.next_timeout(), now + seconds(45));
}

TEST(BridgeSipCall, SessionIntervalBelowMinSeIsRefusedWith422) {
  Instant now{};
  UserAgent ua(ua_config());
  deliver_wire(ua, now, invite_text(true, "Supported: timer\nSession-Expires: 30\n"));
  drain(ua);
  auto e = ua.poll_event();
  SipCall call(ua, {});
  call.incoming(now, e->id, e->message);
  auto r = drain(ua).at(0).message;
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.header("Min-SE"), "90");
  EXPECT_TRUE(call.ended());
}

TEST(BridgeSipCall, IncomingRejectAndCancel) {
  Instant now{};
  UserAgent ua(ua_config());
  deliver_wire(ua, now, invite_text(true));
  drain(ua);
  auto e = ua.poll_event();
  SipCall call(ua, {});
  call.incoming(now, e->id, e->message);
  call.reject(now, 603, "Decline");
  EXPECT_EQ(drain(ua).at(0).message.status, 603);
  EXPECT_TRUE(call.ended());

  UserAgent ua2(ua_config());
  deliver_wire(ua2, now, invite_text(true));
  drain(ua2);
  e = ua2.poll_event();
  SipCall call2(ua2, {});
  call2.incoming(now, e->id, e->message);
  call2.ringing(now);
  drain(ua2);
  deliver_text(ua2, now,
               "CANCEL sip:alice@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKin1\n"
               "From: <sip:5550000@127.0.0.1:5070>;tag=caller\nTo: <sip:alice@127.0.0.1>\n"
               "Call-ID: in-1@127.0.0.1\nCSeq: 1 CANCEL\nMax-Forwards: 70\nContent-Length: 0\n\n");
  pump(ua2, call2, now);
  auto ev = call_events(call2);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].reason, "cancelled");
}

TEST(BridgeSipCall, InfoDtmfDigitsGoOneAtATime) {
  Instant now{};
  UserAgent ua(ua_config());
  SipCall call(ua, {});
  call.invite(now, kTrunk, kMe, "", local_media());
  auto inv = drain(ua).at(0).message;
  Message ok = reply(inv, 200);
  ok.add("Contact", "<sip:5551234@127.0.0.1:5070>");
  set_body(ok, peer_sdp());
  deliver(ua, now, ok);
  pump(ua, call, now);
  drain(ua);
  EXPECT_TRUE(call.send_info_dtmf(now, '5', 120));
  EXPECT_TRUE(call.send_info_dtmf(now, '#', 120));
  EXPECT_FALSE(call.send_info_dtmf(now, 'x', 120));
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);  // RFC 6086 §4.2.2: the second waits
  EXPECT_EQ(sent[0].message.method, "INFO");
  EXPECT_EQ(text(sent[0].message), "Signal=5\r\nDuration=120\r\n");
  EXPECT_EQ(sent[0].message.header("Content-Type"), "application/dtmf-relay");
  deliver(ua, now, reply(sent[0].message, 200));
  pump(ua, call, now);
  sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(text(sent[0].message), "Signal=#\r\nDuration=120\r\n");
}
