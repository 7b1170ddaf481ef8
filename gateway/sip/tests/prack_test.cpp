// RFC 3262 as UAC on a virtual clock: Supported: 100rel on INVITEs, an
// automatic PRACK (RAck) per reliable provisional in RSeq order, and
// retransmitted or out-of-order reliable provisionals kept from the TU.
#include "gateway/sip/session_timer.hpp"

#include "ua_test_util.hpp"

using namespace floe;
using namespace floe::sip;
using namespace floe::sip::test;

namespace {
const Uri kBob = *Uri::parse("sip:bob@127.0.0.1:5070");
const Uri kAlice = *Uri::parse("sip:alice@127.0.0.1");

Message reliable(const Message& invite, int status, std::uint32_t rseq) {
  Message r = reply(invite, status);
  r.add("Contact", "<sip:bob@127.0.0.1:5071>");
  r.add("Require", "100rel");
  r.add("RSeq", std::to_string(rseq));
  return r;
}
}  // namespace

TEST(SipPrack, ReliableProvisionalsArePrackedInOrder) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto h = ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice));
  auto inv = drain(ua).at(0).message;
  EXPECT_TRUE(has_option_tag(inv, "Supported", "100rel"));

  deliver(ua, t0, reliable(inv, 183, 5));
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, h);
  EXPECT_EQ(evs[0].status, 183);
  ASSERT_TRUE(evs[0].dialog);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  const Message& prack = sent[0].message;
  EXPECT_EQ(prack.method, "PRACK");
  EXPECT_EQ(prack.header("RAck"), "5 " + std::to_string(inv.cseq()->number) + " INVITE");
  EXPECT_EQ(prack.cseq()->number, inv.cseq()->number + 1);
  EXPECT_EQ(prack.request_uri.port, 5071);  // the early dialog's remote target
  EXPECT_EQ(prack.to()->tag(), "peer1");
  EXPECT_EQ(prack.from()->tag(), inv.from()->tag());
  EXPECT_EQ(prack.call_id(), inv.call_id());
  EXPECT_EQ(ua.stats().pracks_sent, 1u);

  // A retransmission of the same 183 (RSeq 5): no event, no second PRACK
  // (the PRACK transaction retransmits on its own).
  deliver(ua, t0 + milliseconds(500), reliable(inv, 183, 5));
  EXPECT_TRUE(events(ua).empty());
  for (auto& s : drain(ua)) EXPECT_EQ(s.message.method, "PRACK");  // timer E retransmit only
  // A gap (RSeq 7 before 6) is not processed.
  deliver(ua, t0 + milliseconds(600), reliable(inv, 180, 7));
  EXPECT_TRUE(events(ua).empty());
  EXPECT_EQ(ua.stats().reliable_1xx_dropped, 2u);

  // The PRACK's 200 does not reach the TU.
  deliver(ua, t0 + milliseconds(700), reply(prack, 200));
  EXPECT_TRUE(events(ua).empty());

  deliver(ua, t0 + seconds(1), reliable(inv, 180, 6));
  evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].status, 180);
  sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.header("RAck"), "6 " + std::to_string(inv.cseq()->number) + " INVITE");
  EXPECT_EQ(sent[0].message.cseq()->number, inv.cseq()->number + 2);
  deliver(ua, t0 + seconds(1), reply(sent[0].message, 200));

  // 200 to the INVITE: ACK with the INVITE's CSeq; BYE numbers on after PRACKs.
  Message ok = reply(inv, 200);
  ok.add("Contact", "<sip:bob@127.0.0.1:5071>");
  deliver(ua, t0 + seconds(2), ok);
  evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].status, 200);
  auto ack = drain(ua).at(0).message;
  EXPECT_EQ(ack.method, "ACK");
  EXPECT_EQ(ack.cseq()->number, inv.cseq()->number);
  ua.send_in_dialog(t0 + seconds(3), *evs[0].dialog, "BYE");
  auto bye = drain(ua).at(0).message;
  EXPECT_EQ(bye.cseq()->number, inv.cseq()->number + 3);
}

TEST(SipPrack, UnreliableProvisionalAndDisabledOptionSendNoPrack) {
  Instant t0{};
  UserAgent ua(ua_config());
  ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice));
  auto inv = drain(ua).at(0).message;
  Message ringing = reply(inv, 180);
  ringing.add("RSeq", "1");  // RSeq without Require: 100rel is not reliable
  deliver(ua, t0, ringing);
  EXPECT_EQ(events(ua).size(), 1u);
  EXPECT_TRUE(drain(ua).empty());

  auto cfg = ua_config();
  cfg.use_100rel = false;
  UserAgent off(cfg);
  off.send_request(t0, off.new_request("INVITE", kBob, kBob, kAlice));
  auto inv2 = drain(off).at(0).message;
  EXPECT_FALSE(has_option_tag(inv2, "Supported", "100rel"));
  deliver(off, t0, reliable(inv2, 183, 1));
  EXPECT_EQ(events(off).size(), 1u);
  EXPECT_TRUE(drain(off).empty());
  EXPECT_EQ(off.stats().pracks_sent, 0u);
}

TEST(SipPrack, PrackTimeoutIsNotReportedToTheTu) {
  Instant t0{};
  auto cfg = ua_config();
  cfg.timers.t1 = milliseconds(10);
  UserAgent ua(cfg);
  ua.send_request(t0, ua.new_request("INVITE", kBob, kBob, kAlice));
  auto inv = drain(ua).at(0).message;
  deliver(ua, t0, reliable(inv, 183, 1));
  events(ua);
  drain(ua);
  Instant now = t0;
  while (ua.next_timeout() != kNever && ua.next_timeout() < t0 + seconds(2)) {
    now = ua.next_timeout();
    ua.handle_timeout(now);
    drain(ua);
  }
  for (auto& e : events(ua)) EXPECT_NE(e.kind, UaEvent::Kind::RequestFailed);
}
