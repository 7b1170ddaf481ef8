// Mid-dialog INVITEs (hold/resume) in both directions, and oversized input.
#include "gateway/sip/user_agent.hpp"

#include "ua_test_util.hpp"

using namespace floe;
using namespace floe::sip;
using namespace floe::sip::test;

namespace {
const Uri kBob = *Uri::parse("sip:bob@127.0.0.1:5070");
const Uri kAlice = *Uri::parse("sip:alice@127.0.0.1");

// An established dialog where Floe is the UAC; returns its id.
DialogId establish(UserAgent& ua, Instant t0, Message* invite_out = nullptr) {
  ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice));
  auto req = drain(ua).at(0).message;
  auto ok = reply(req, 200);
  ok.add("Contact", "<sip:bob@127.0.0.1:5070>");
  deliver(ua, t0, ok);
  drain(ua);
  if (invite_out) *invite_out = req;
  return *events(ua).at(0).dialog;
}
}  // namespace

TEST(SipUserAgentReinvite, OutgoingReinviteForHoldIsAckedWithItsOwnCseq) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto id = establish(ua, t0);
  std::string hold = "v=0\r\na=sendonly\r\n";
  auto h = ua.send_in_dialog(t0 + seconds(1), id, "INVITE", Bytes(hold.begin(), hold.end()),
                             "application/sdp");
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  const Message& re = sent[0].message;
  EXPECT_EQ(re.cseq()->number, 2u);
  EXPECT_EQ(re.to()->tag(), "peer1");
  EXPECT_EQ(re.header("Contact"), "<sip:floe@127.0.0.1:5060>");
  auto ok = reply(re, 200);
  ok.add("Contact", "<sip:bob@127.0.0.1:5072>");  // target refresh
  deliver(ua, t0 + seconds(1), ok);
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, h);
  auto acks = drain(ua);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].message.cseq()->number, 2u);
  EXPECT_EQ(acks[0].message.request_uri.port, 5072);
  EXPECT_EQ(ua.dialog(id)->remote_target().port, 5072);
  // A 491 (glare) to the next re-INVITE is passed up; the dialog survives.
  ua.send_in_dialog(t0 + seconds(2), id, "INVITE");
  auto re2 = drain(ua).at(0).message;
  deliver(ua, t0 + seconds(2), reply(re2, 491));
  EXPECT_EQ(events(ua).at(0).status, 491);
  EXPECT_NE(ua.dialog(id), nullptr);
}

TEST(SipUserAgentReinvite, IncomingReinviteIsRetransmittedUntilAcked) {
  Instant t0{};
  UserAgent ua(ua_config());
  Message inv;
  auto id = establish(ua, t0, &inv);
  // The peer sends a re-INVITE in the dialog (its own CSeq space).
  Message re = Message::request("INVITE", *Uri::parse("sip:floe@127.0.0.1:5060"));
  re.add("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKre1");
  re.add("From", "<sip:bob@127.0.0.1:5070>;tag=peer1");
  re.add("To", std::string(inv.header("From")));
  re.add("Call-ID", std::string(inv.call_id()));
  re.add("CSeq", "1 INVITE");
  re.add("Contact", "<sip:bob@127.0.0.1:5070>");
  deliver(ua, t0 + seconds(1), re);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.status, 100);
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  ASSERT_TRUE(evs[0].dialog);
  EXPECT_EQ(*evs[0].dialog, id);
  ua.respond(t0 + seconds(1), evs[0].id, ua.make_response(evs[0].id, 200));
  auto ok = drain(ua).at(0).message;
  EXPECT_EQ(ok.to()->tag(), id.local_tag);
  Instant now = t0 + seconds(1);
  auto again = run_until_sent(ua, now);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(ms_since(now, t0), 1500);
  Message ack = Message::request("ACK", *Uri::parse("sip:floe@127.0.0.1:5060"));
  ack.add("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKreack");
  ack.add("From", "<sip:bob@127.0.0.1:5070>;tag=peer1");
  ack.add("To", std::string(ok.header("To")));
  ack.add("Call-ID", std::string(inv.call_id()));
  ack.add("CSeq", "1 ACK");
  deliver(ua, now, ack);
  EXPECT_EQ(events(ua).at(0).kind, UaEvent::Kind::AckReceived);
  EXPECT_TRUE(run_until_sent(ua, now, t0 + seconds(40)).empty());
}

TEST(SipUserAgentReinvite, OversizedAndBinaryInputIsCountedNotAnswered) {
  Instant t0{};
  UserAgent ua(ua_config());
  std::string big = "INVITE sip:floe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKbig\r\n"
                    "X-Pad: " + std::string(1 << 20, 'a') + "\r\n\r\n";
  ua.handle_input(t0, Transport::Udp, kPeer, as_bytes(big));
  Bytes noise(4096);
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(i * 131 + 7);
  ua.handle_input(t0, Transport::Udp, kPeer, noise);
  EXPECT_TRUE(drain(ua).empty());
  EXPECT_TRUE(events(ua).empty());
  EXPECT_EQ(ua.stats().bad_requests + ua.stats().garbage, 2u);
}
