#include "gateway/sip/dialog.hpp"

#include <gtest/gtest.h>

#include "gateway/sip/parser.hpp"

using namespace floe;
using namespace floe::sip;

namespace {
Message invite() {
  Message m = Message::request("INVITE", *Uri::parse("sip:bob@example.test"));
  m.add("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKd1");
  m.add("From", "\"Alice\" <sip:alice@example.test>;tag=al");
  m.add("To", "<sip:bob@example.test>");
  m.add("Call-ID", "dlg-1");
  m.add("CSeq", "41 INVITE");
  m.add("Contact", "<sip:alice@192.0.2.1:5060>");
  return m;
}
}  // namespace

TEST(SipDialog, UacRouteSetIsReversedRecordRouteAndTargetIsContact) {
  auto req = invite();
  auto ok = make_response(req, 200, {}, "bt");
  ok.add("Record-Route", "<sip:p2.test;lr>");
  ok.add("Record-Route", "<sip:p1.test;lr>");
  ok.add("Contact", "<sip:bob@192.0.2.9:5080>");
  auto d = Dialog::from_uac(req, ok);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id().call_id, "dlg-1");
  EXPECT_EQ(d->id().local_tag, "al");
  EXPECT_EQ(d->id().remote_tag, "bt");
  EXPECT_EQ(d->state(), Dialog::State::Confirmed);
  ASSERT_EQ(d->route_set().size(), 2u);
  EXPECT_EQ(d->route_set()[0].uri.host, "p1.test");
  EXPECT_EQ(d->remote_target().to_string(), "sip:bob@192.0.2.9:5080");
  EXPECT_EQ(d->next_hop().host, "p1.test");

  auto bye = d->make_request("BYE");
  EXPECT_EQ(bye.cseq()->number, 42u);
  EXPECT_EQ(bye.request_uri.to_string(), "sip:bob@192.0.2.9:5080");
  auto routes = bye.all("Route");
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0], "<sip:p1.test;lr>");
  EXPECT_EQ(bye.to()->tag(), "bt");
  EXPECT_EQ(bye.from()->tag(), "al");
  EXPECT_EQ(bye.from()->display_name, "Alice");
  EXPECT_FALSE(bye.has("Contact"));

  auto info = d->make_request("INFO");
  EXPECT_EQ(info.cseq()->number, 43u);
  auto ack = d->make_ack(41);
  EXPECT_EQ(ack.cseq()->number, 41u);
  EXPECT_EQ(ack.cseq()->method, "ACK");
  EXPECT_EQ(d->local_seq(), 43u);  // the ACK does not consume a number
  auto reinvite = d->make_request("INVITE");
  EXPECT_EQ(reinvite.header("Contact"), "<sip:alice@192.0.2.1:5060>");
}

TEST(SipDialog, StrictRouteBecomesRequestUri) {
  auto req = invite();
  auto ok = make_response(req, 200, {}, "bt");
  ok.add("Record-Route", "<sip:strict.test>");
  ok.add("Contact", "<sip:bob@192.0.2.9>");
  auto d = Dialog::from_uac(req, ok);
  ASSERT_TRUE(d);
  auto bye = d->make_request("BYE");
  // §12.2.1.1: Request-URI is the strict router, the target goes last in Route.
  EXPECT_EQ(bye.request_uri.to_string(), "sip:strict.test");
  EXPECT_EQ(bye.header("Route"), "<sip:bob@192.0.2.9>");
}

TEST(SipDialog, EarlyDialogConfirmedBy2xxRecomputesRoutes) {
  auto req = invite();
  auto ringing = make_response(req, 180, {}, "bt");
  ringing.add("Contact", "<sip:bob@192.0.2.9>");
  auto d = Dialog::from_uac(req, ringing);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state(), Dialog::State::Early);
  auto ok = make_response(req, 200, {}, "bt");
  ok.add("Record-Route", "<sip:p.test;lr>");
  ok.add("Contact", "<sip:bob@192.0.2.10>");
  d->handle_response(req, ok);
  EXPECT_EQ(d->state(), Dialog::State::Confirmed);
  ASSERT_EQ(d->route_set().size(), 1u);
  EXPECT_EQ(d->remote_target().host, "192.0.2.10");
  EXPECT_FALSE(Dialog::from_uac(req, make_response(req, 180)));  // no To tag, no dialog
  EXPECT_FALSE(Dialog::from_uac(req, make_response(req, 486, {}, "x")));
}

TEST(SipDialog, UasChecksRemoteCseqAndRefreshesTarget) {
  auto req = invite();
  req.add("Record-Route", "<sip:p1.test;lr>");
  req.add("Record-Route", "<sip:p2.test;lr>");
  auto ok = make_response(req, 200, {}, "me");
  ok.add("Contact", "<sip:floe@192.0.2.5>");
  auto d = Dialog::from_uas(req, ok);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id().local_tag, "me");
  EXPECT_EQ(d->id().remote_tag, "al");
  EXPECT_EQ(d->route_set()[0].uri.host, "p1.test");  // §12.1.1: in order
  EXPECT_EQ(d->remote_target().to_string(), "sip:alice@192.0.2.1:5060");
  EXPECT_EQ(d->local_contact(), "<sip:floe@192.0.2.5>");

  Message reinv = invite();
  reinv.set("CSeq", "42 INVITE");
  reinv.set("Contact", "<sip:alice@192.0.2.77>");
  EXPECT_TRUE(d->accept_request(reinv));
  EXPECT_EQ(d->remote_target().host, "192.0.2.77");
  reinv.set("CSeq", "40 INVITE");
  EXPECT_FALSE(d->accept_request(reinv));
  // The UAS's own first request starts its numbering.
  auto bye = d->make_request("BYE");
  EXPECT_EQ(bye.cseq()->number, 1u);
  EXPECT_EQ(bye.to()->tag(), "al");
  EXPECT_EQ(bye.from()->tag(), "me");
  EXPECT_TRUE(parse_message(bye.serialize()).message.has("Route"));
}
