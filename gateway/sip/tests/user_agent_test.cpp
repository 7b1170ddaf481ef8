// UserAgent against a scripted peer: INVITE dialogs both ways, ACKs, 2xx
// retransmission, CANCEL, OPTIONS, malformed input, digest retries.
#include "gateway/sip/user_agent.hpp"
#include "gateway/sip/session_timer.hpp"

#include "ua_test_util.hpp"

using namespace floe;
using namespace floe::sip;
using namespace floe::sip::test;

namespace {
const Uri kBob = *Uri::parse("sip:bob@127.0.0.1:5070");
const Uri kAlice = *Uri::parse("sip:alice@127.0.0.1");

Message peer_invite(const std::string& branch = "z9hG4bKpeerinv", int cseq = 1) {
  Message m = Message::request("INVITE", *Uri::parse("sip:floe@127.0.0.1:5060"));
  m.add("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=" + branch);
  m.add("Max-Forwards", "70");
  m.add("From", "<sip:carol@127.0.0.1:5070>;tag=ct1");
  m.add("To", "<sip:floe@127.0.0.1>");
  m.add("Call-ID", "peer-call-1");
  m.add("CSeq", std::to_string(cseq) + " INVITE");
  m.add("Contact", "<sip:carol@127.0.0.1:5070>");
  m.add("Content-Type", "application/sdp");
  m.body = Bytes{'v', '=', '0', '\r', '\n'};
  return m;
}
}  // namespace

TEST(SipUserAgent, OutgoingInviteCreatesDialogAcksAndByes) {
  Instant t0{};
  UserAgent ua(ua_config());
  Message inv = ua.new_request("INVITE", kBob, kBob, kAlice);
  auto h = ua.send_request(t0, inv);
  ASSERT_NE(h, 0u);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  const Message& req = sent[0].message;
  EXPECT_EQ(sent[0].transmit.destination, kPeer);
  EXPECT_TRUE(req.top_via()->rfc3261_branch());
  ASSERT_NE(find_param(req.top_via()->params, "rport"), nullptr);
  EXPECT_EQ(req.header("Contact"), "<sip:floe@127.0.0.1:5060>");

  deliver(ua, t0 + milliseconds(10), reply(req, 100));
  auto ok180 = reply(req, 180);
  ok180.add("Contact", "<sip:bob@127.0.0.1:5070>");
  deliver(ua, t0 + milliseconds(20), ok180);
  auto ok = reply(req, 200);
  ok.add("Contact", "<sip:bob@127.0.0.1:5070;transport=udp>");
  ok.add("Record-Route", "<sip:127.0.0.1:5071;lr>");
  deliver(ua, t0 + milliseconds(30), ok);
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0].status, 100);
  EXPECT_EQ(evs[1].status, 180);
  ASSERT_TRUE(evs[1].dialog);  // early dialog
  EXPECT_EQ(evs[2].status, 200);
  ASSERT_TRUE(evs[2].dialog);
  DialogId id = *evs[2].dialog;
  EXPECT_EQ(ua.dialog(id)->state(), Dialog::State::Confirmed);

  auto acks = drain(ua);
  ASSERT_EQ(acks.size(), 1u);
  const Message& ack = acks[0].message;
  EXPECT_EQ(ack.method, "ACK");
  EXPECT_EQ(ack.cseq()->number, 1u);
  EXPECT_NE(ack.top_via()->branch(), req.top_via()->branch());  // §17.1.1.3: 2xx ACK is new
  EXPECT_EQ(ack.header("Route"), "<sip:127.0.0.1:5071;lr>");
  EXPECT_EQ(acks[0].transmit.destination, *SocketAddress::parse("127.0.0.1:5071"));
  EXPECT_EQ(ack.request_uri.to_string(), "sip:bob@127.0.0.1:5070;transport=udp");

  // A retransmitted 200: the same ACK again, no event.
  deliver(ua, t0 + milliseconds(530), ok);
  auto again = drain(ua);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].transmit.bytes, acks[0].transmit.bytes);
  EXPECT_TRUE(events(ua).empty());

  auto bye_h = ua.send_in_dialog(t0 + seconds(5), id, "BYE");
  ASSERT_NE(bye_h, 0u);
  auto byes = drain(ua);
  ASSERT_EQ(byes.size(), 1u);
  const Message& bye = byes[0].message;
  EXPECT_EQ(bye.cseq()->number, 2u);
  EXPECT_EQ(bye.cseq()->method, "BYE");
  EXPECT_EQ(bye.to()->tag(), "peer1");
  EXPECT_EQ(bye.call_id(), req.call_id());
  deliver(ua, t0 + seconds(5) + milliseconds(5), reply(bye, 200));
  evs = events(ua);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].kind, UaEvent::Kind::Response);
  EXPECT_EQ(evs[1].kind, UaEvent::Kind::DialogTerminated);
  EXPECT_EQ(ua.dialog(id), nullptr);
}

TEST(SipUserAgent, IncomingInviteAnswered2xxRetransmittedUntilAck) {
  Instant t0{};
  UserAgent ua(ua_config());
  deliver(ua, t0, peer_invite());
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status, 100);
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  ASSERT_EQ(evs[0].kind, UaEvent::Kind::IncomingRequest);
  auto tx = evs[0].id;
  EXPECT_EQ(evs[0].message.body.size(), 5u);

  ua.respond(t0 + milliseconds(5), tx, ua.make_response(tx, 180));
  ua.respond(t0 + milliseconds(10), tx, ua.make_response(tx, 200));
  sent = drain(ua);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].message.status, 200);
  EXPECT_EQ(sent[1].message.to()->tag(), sent[0].message.to()->tag());  // one tag per dialog
  EXPECT_EQ(sent[1].message.header("Contact"), "<sip:floe@127.0.0.1:5060>");

  // §13.3.1.4: 2xx resent at T1, 2*T1, 4*T1 ... until the ACK.
  std::vector<long> resend;
  Instant now = t0 + milliseconds(10);
  for (int i = 0; i < 3; ++i) {
    now = ua.next_timeout();
    ua.handle_timeout(now);
    for (auto& s : drain(ua)) {
      EXPECT_EQ(s.message.status, 200);
      resend.push_back(ms_since(now, t0));
    }
  }
  EXPECT_EQ(resend, (std::vector<long>{510, 1510, 3510}));
  // An INVITE retransmission crossing the 2xx is absorbed (RFC 6026).
  deliver(ua, now, peer_invite());
  EXPECT_TRUE(drain(ua).empty());
  EXPECT_TRUE(events(ua).empty());

  Message ack = Message::request("ACK", *Uri::parse("sip:floe@127.0.0.1:5060"));
  ack.add("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKpeerack");
  ack.add("From", "<sip:carol@127.0.0.1:5070>;tag=ct1");
  ack.add("To", std::string(sent[1].message.header("To")));
  ack.add("Call-ID", "peer-call-1");
  ack.add("CSeq", "1 ACK");
  deliver(ua, now + milliseconds(1), ack);
  evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kind, UaEvent::Kind::AckReceived);
  DialogId id = *evs[0].dialog;
  ua.handle_timeout(now + seconds(10));
  EXPECT_TRUE(drain(ua).empty());  // no more 2xx

  // The peer hangs up.
  Message bye = Message::request("BYE", *Uri::parse("sip:floe@127.0.0.1:5060"));
  bye.add("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKpeerbye");
  bye.add("From", "<sip:carol@127.0.0.1:5070>;tag=ct1");
  bye.add("To", std::string(sent[1].message.header("To")));
  bye.add("Call-ID", "peer-call-1");
  bye.add("CSeq", "2 BYE");
  deliver(ua, now + seconds(11), bye);
  sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status, 200);
  evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kind, UaEvent::Kind::DialogTerminated);
  EXPECT_EQ(ua.dialog(id), nullptr);
  // The same BYE again is answered from the transaction; a new one gets 481.
  deliver(ua, now + seconds(12), bye);
  ASSERT_EQ(drain(ua).size(), 1u);
  bye.set("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKpeerbye2");
  bye.set("CSeq", "3 BYE");
  deliver(ua, now + seconds(12), bye);
  sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status, 481);
}

TEST(SipUserAgent, AckTimeoutWhenThe2xxIsNeverAcked) {
  Instant t0{};
  UserAgent ua(ua_config());
  deliver(ua, t0, peer_invite());
  auto tx = events(ua).at(0).id;
  ua.respond(t0, tx, ua.make_response(tx, 200));
  Instant now = t0;
  bool timed_out = false;
  while (!timed_out && now < t0 + seconds(40)) {
    now = ua.next_timeout();
    ua.handle_timeout(now);
    drain(ua);
    for (auto& e : events(ua)) timed_out |= e.kind == UaEvent::Kind::AckTimeout;
  }
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(ms_since(now, t0), 32000);
}

TEST(SipUserAgent, CancelGets200AndTheInvite487) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto inv = peer_invite();
  deliver(ua, t0, inv);
  drain(ua);
  auto tx = events(ua).at(0).id;
  Message cancel = Message::request("CANCEL", inv.request_uri);
  cancel.add("Via", std::string(inv.header("Via")));
  cancel.add("From", std::string(inv.header("From")));
  cancel.add("To", std::string(inv.header("To")));
  cancel.add("Call-ID", std::string(inv.call_id()));
  cancel.add("CSeq", "1 CANCEL");
  deliver(ua, t0 + milliseconds(100), cancel);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].message.status, 200);
  EXPECT_EQ(sent[0].message.cseq()->method, "CANCEL");
  EXPECT_EQ(sent[1].message.status, 487);
  EXPECT_EQ(sent[1].message.cseq()->method, "INVITE");
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kind, UaEvent::Kind::Cancelled);
  EXPECT_EQ(evs[0].id, tx);
}

TEST(SipUserAgent, OutgoingCancelWaitsForProvisional) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto h = ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice));
  auto req = drain(ua).at(0).message;
  ua.cancel(t0 + milliseconds(10), h);
  EXPECT_TRUE(drain(ua).empty());  // §9.1: not before a provisional
  deliver(ua, t0 + milliseconds(20), reply(req, 180));
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.method, "CANCEL");
  EXPECT_EQ(sent[0].message.top_via()->branch(), req.top_via()->branch());
  EXPECT_EQ(sent[0].message.cseq()->number, 1u);
}

TEST(SipUserAgent, OptionsAnswered200WithRportAndReceived) {
  Instant t0{};
  UserAgent ua(ua_config());
  deliver_text(ua, t0, R"(OPTIONS sip:floe@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.9:5999;branch=z9hG4bKopt1;rport
Max-Forwards: 70
From: <sip:probe@10.0.0.9>;tag=o1
To: <sip:floe@127.0.0.1>
Call-ID: opt-1
CSeq: 7 OPTIONS
Content-Length: 0

)", *SocketAddress::parse("127.0.0.3:40000"));
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  const Message& r = sent[0].message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(sent[0].transmit.destination, *SocketAddress::parse("127.0.0.3:40000"));
  auto via = r.top_via();
  EXPECT_EQ(find_param(via->params, "received")->value, "127.0.0.3");
  EXPECT_EQ(find_param(via->params, "rport")->value, "40000");
  EXPECT_NE(r.header("Allow").find("INVITE"), std::string_view::npos);
  EXPECT_FALSE(r.to()->tag().empty());
  EXPECT_TRUE(events(ua).empty());
}

TEST(SipUserAgent, MalformedRequestGets400NamingTheProblemAndBadResponsesAreCounted) {
  Instant t0{};
  UserAgent ua(ua_config());
  deliver_text(ua, t0, R"(INVITE sip:floe@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKbad
Max-Forwards: 70
From: <sip:x@127.0.0.1>;tag=1
To: <sip:floe@127.0.0.1>
Call-ID: bad-1
CSeq: 1 BYE
Content-Length: 0

)");
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status, 400);
  EXPECT_EQ(sent[0].message.reason, "CSeq method does not match Request-Line");
  EXPECT_EQ(ua.stats().bad_requests, 1u);

  deliver_text(ua, t0, "SIP/2.0 200 OK\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCSeq: 1 INVITE\n\n");
  EXPECT_EQ(ua.stats().bad_responses, 1u);
  ua.handle_input(t0, Transport::Udp, kPeer, as_bytes("\x01\x02garbage"));
  EXPECT_EQ(ua.stats().garbage, 1u);
  EXPECT_TRUE(drain(ua).empty());
  EXPECT_TRUE(events(ua).empty());
}

TEST(SipUserAgent, InviteChallengedWith407IsResentWithCredentials) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto h = ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice),
                           DigestCredentials{"alice", "pw"});
  auto req = drain(ua).at(0).message;
  auto challenge = reply(req, 407, "px");
  challenge.add("Proxy-Authenticate", "Digest realm=\"trunk\", nonce=\"nn\", qop=\"auth\"");
  deliver(ua, t0 + milliseconds(20), challenge);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].message.method, "ACK");  // the transaction ACKs the 407
  const Message& retry = sent[1].message;
  EXPECT_EQ(retry.method, "INVITE");
  EXPECT_EQ(retry.cseq()->number, 2u);
  EXPECT_EQ(retry.call_id(), req.call_id());
  EXPECT_EQ(retry.from()->tag(), req.from()->tag());
  EXPECT_NE(retry.top_via()->branch(), req.top_via()->branch());
  EXPECT_TRUE(retry.has("Proxy-Authorization"));
  EXPECT_TRUE(events(ua).empty());
  deliver(ua, t0 + milliseconds(40), reply(retry, 200));
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, h);  // the handle survives the retry
  EXPECT_EQ(evs[0].status, 200);
}

TEST(SipUserAgent, RequestTimeoutIsReported) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto h = ua.send_request(t0, ua.new_request("OPTIONS", kBob, kBob, kAlice));
  Instant now = t0;
  std::vector<UaEvent> evs;
  while (evs.empty() && now != kNever) {
    now = ua.next_timeout();
    ua.handle_timeout(now);
    drain(ua);
    evs = events(ua);
  }
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kind, UaEvent::Kind::RequestFailed);
  EXPECT_EQ(evs[0].id, h);
  EXPECT_EQ(ms_since(now, t0), 32000);
}

TEST(SipUserAgent, InDialogCseqOutOfOrderGets500AndUnknownDialog481) {
  Instant t0{};
  UserAgent ua(ua_config());
  deliver(ua, t0, peer_invite("z9hG4bKa", 5));
  auto tx = events(ua).at(0).id;
  ua.respond(t0, tx, ua.make_response(tx, 200));
  auto ok = drain(ua).back().message;
  Message info = Message::request("INFO", *Uri::parse("sip:floe@127.0.0.1:5060"));
  info.add("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKinfo");
  info.add("From", "<sip:carol@127.0.0.1:5070>;tag=ct1");
  info.add("To", std::string(ok.header("To")));
  info.add("Call-ID", "peer-call-1");
  info.add("CSeq", "4 INFO");
  deliver(ua, t0 + seconds(1), info);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status, 500);
  info.set("CSeq", "6 INFO");
  info.set("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKinfo2");
  deliver(ua, t0 + seconds(1), info);
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kind, UaEvent::Kind::IncomingRequest);
  EXPECT_TRUE(evs[0].dialog);
  info.set("Call-ID", "nope");
  info.set("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKinfo3");
  deliver(ua, t0 + seconds(1), info);
  sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status, 481);
}

TEST(SipUserAgent, ReliableTransportFinalResponsesReachTheTu) {
  Instant t0{};
  auto cfg = ua_config();
  cfg.transport = Transport::Tcp;
  UserAgent ua(cfg);
  auto h = ua.send_request(t0, ua.new_request("OPTIONS", kBob, kBob, kAlice));
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].transmit.transport, Transport::Tcp);
  EXPECT_EQ(sent[0].message.top_via()->transport, "TCP");
  ua.handle_input(t0, Transport::Tcp, kPeer, reply(sent[0].message, 200).serialize());
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, h);
  EXPECT_EQ(evs[0].status, 200);
  EXPECT_EQ(ua.next_timeout(), kNever);  // K = 0: nothing lingers

  auto inv = ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice));
  sent = drain(ua);
  ua.handle_input(t0, Transport::Tcp, kPeer, reply(sent[0].message, 486).serialize());
  evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, inv);
  EXPECT_EQ(evs[0].status, 486);
  ASSERT_EQ(drain(ua).size(), 1u);  // the ACK
}

TEST(SipUserAgent, OutboundProxyTakesEveryRequestAndForeignViaIsDropped) {
  Instant t0{};
  auto cfg = ua_config();
  cfg.outbound_proxy = Target{Transport::Udp, *SocketAddress::parse("127.0.0.9:5099")};
  UserAgent ua(cfg);
  // A host name the engine cannot resolve still works through the proxy.
  Uri named = *Uri::parse("sip:bob@trunk.example.test");
  ua.send_request(t0, ua.new_request("OPTIONS", named, named, kAlice));
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].transmit.destination, *SocketAddress::parse("127.0.0.9:5099"));
  EXPECT_EQ(sent[0].message.request_uri.host, "trunk.example.test");
  // Without a proxy an unresolvable host is refused up front.
  UserAgent plain(ua_config());
  EXPECT_EQ(plain.send_request(t0, plain.new_request("OPTIONS", named, named, kAlice)), 0u);

  auto forged = reply(sent[0].message, 200);
  auto via = *forged.top_via();
  via.host = "192.0.2.66";
  forged.set_top_via(via);
  deliver(ua, t0, forged);
  EXPECT_TRUE(events(ua).empty());
  EXPECT_EQ(ua.stats().stray_responses, 1u);
}

TEST(SipUserAgent, InDialogMessageAndUpdateCarryBodiesAndNumbers) {
  Instant t0{};
  UserAgent ua(ua_config());
  ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice));
  auto req = drain(ua).at(0).message;
  auto ok = reply(req, 200);
  ok.add("Contact", "<sip:bob@127.0.0.1:5070>");
  deliver(ua, t0, ok);
  auto id = *events(ua).at(0).dialog;
  drain(ua);
  std::string text = "hello over SIP";
  ua.send_in_dialog(t0, id, "MESSAGE", Bytes(text.begin(), text.end()), "text/plain");
  ua.send_in_dialog(t0, id, "UPDATE");
  ua.send_in_dialog(t0, id, "INFO", Bytes{'1'}, "application/dtmf-relay");
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].message.method, "MESSAGE");
  EXPECT_EQ(sent[0].message.header("Content-Type"), "text/plain");
  EXPECT_EQ(std::string(sent[0].message.body.begin(), sent[0].message.body.end()), text);
  EXPECT_EQ(sent[0].message.cseq()->number, 2u);
  EXPECT_EQ(sent[1].message.cseq()->number, 3u);
  EXPECT_EQ(sent[1].message.header("Contact"), "<sip:floe@127.0.0.1:5060>");  // target refresh
  EXPECT_EQ(sent[2].message.cseq()->method, "INFO");
  EXPECT_EQ(sent[2].message.request_uri.to_string(), "sip:bob@127.0.0.1:5070");
}

TEST(SipUserAgent, InviteWithoutOfferIsAckedByTheTuWithTheAnswer) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto h = ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice), {}, true);
  auto req = drain(ua).at(0).message;
  EXPECT_TRUE(req.body.empty());
  auto ok = reply(req, 200);
  ok.add("Contact", "<sip:bob@127.0.0.1:5070>");
  ok.add("Content-Type", "application/sdp");
  ok.body = Bytes{'o', 'f', 'f', 'e', 'r'};
  deliver(ua, t0, ok);
  EXPECT_TRUE(drain(ua).empty());  // no automatic ACK
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, h);
  deliver(ua, t0 + milliseconds(500), ok);  // retransmission while the TU thinks
  EXPECT_TRUE(drain(ua).empty());
  ASSERT_TRUE(ua.send_ack(t0 + milliseconds(600), *evs[0].dialog, Bytes{'a', 'n', 's'},
                          "application/sdp"));
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.method, "ACK");
  EXPECT_EQ(sent[0].message.header("Content-Type"), "application/sdp");
  EXPECT_EQ(sent[0].message.body.size(), 3u);
  deliver(ua, t0 + milliseconds(1500), ok);
  sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);  // the same ACK, answer included
  EXPECT_EQ(sent[0].message.body.size(), 3u);
  EXPECT_FALSE(ua.send_ack(t0 + seconds(2), *evs[0].dialog));  // only once
}

TEST(SipUserAgent, InDialogRequestTakesHeadersFromTheCaller) {
  Instant t0{};
  auto cfg = ua_config();
  cfg.session_timer = true;
  UserAgent ua(cfg);
  ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice));
  auto req = drain(ua).at(0).message;
  auto ok = reply(req, 200);
  ok.add("Contact", "<sip:bob@127.0.0.1:5070>");
  deliver(ua, t0, ok);
  auto id = *events(ua).at(0).dialog;
  drain(ua);
  // RFC 4028 §7.4: a session refresh names the interval and its refresher.
  SessionTimer timer({.session_expires = 90});
  std::string sdp = "v=0\r\n";
  ua.send_in_dialog(t0, id, "UPDATE", Bytes(sdp.begin(), sdp.end()), "application/sdp",
                    [&](Message& m) { timer.add_to_request(m); });
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  const Message& up = sent[0].message;
  EXPECT_EQ(up.method, "UPDATE");
  EXPECT_EQ(up.header("Session-Expires"), "90");
  EXPECT_EQ(up.header("Min-SE"), "90");
  EXPECT_EQ(up.header("Supported"), "timer");  // the UA does not add it twice
  EXPECT_EQ(up.header("Content-Type"), "application/sdp");
  EXPECT_EQ(up.cseq()->number, 2u);
}
