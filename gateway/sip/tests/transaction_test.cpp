// RFC 3261 §17 timer schedules on a virtual clock, checked to the millisecond.
#include "gateway/sip/transaction.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "gateway/sip/parser.hpp"

using namespace floe;
using namespace floe::sip;

namespace {

const Target kUdp{Transport::Udp, *SocketAddress::parse("127.0.0.1:5070")};
const Target kTcp{Transport::Tcp, *SocketAddress::parse("127.0.0.1:5070")};

Message request(const std::string& method, const std::string& branch = "z9hG4bKtest1") {
  Message m = Message::request(method, *Uri::parse("sip:bob@127.0.0.1:5070"));
  m.add("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=" + branch + ";rport");
  m.add("Max-Forwards", "70");
  m.add("From", "<sip:alice@127.0.0.1>;tag=a1");
  m.add("To", "<sip:bob@127.0.0.1>");
  m.add("Call-ID", "tx-test@127.0.0.1");
  m.add("CSeq", "1 " + method);
  m.add("Route", "<sip:proxy.test;lr>");
  return m;
}

Message response_to(const Message& req, int code) { return make_response(req, code, {}, "b2"); }

long ms(Instant t, Instant t0) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(t - t0).count());
}

template <typename Tx>
std::vector<long> drain_times(Tx& tx, Instant t0, Instant now, std::vector<long>& times) {
  while (tx.poll_transmit()) times.push_back(ms(now, t0));
  return times;
}

// Runs the transaction to termination with no input, recording when it sends.
template <typename Tx>
std::vector<long> run(Tx& tx, Instant t0, Instant start, long* ended_at) {
  std::vector<long> times;
  Instant now = start;
  drain_times(tx, t0, now, times);
  while (!tx.terminated()) {
    now = tx.next_timeout();
    if (now == kNever) break;
    tx.handle_timeout(now);
    drain_times(tx, t0, now, times);
  }
  *ended_at = ms(now, t0);
  return times;
}

}  // namespace

TEST(SipClientTransaction, InviteTimerADoublesUntilTimerB) {
  Instant t0{};
  ClientTransaction tx(t0, request("INVITE"), kUdp, {});
  long end = 0;
  auto times = run(tx, t0, t0, &end);
  EXPECT_EQ(times, (std::vector<long>{0, 500, 1500, 3500, 7500, 15500, 31500}));
  EXPECT_EQ(end, 32000);  // B = 64*T1
  EXPECT_TRUE(tx.timed_out());
}

TEST(SipClientTransaction, NonInviteTimerECapsAtT2UntilTimerF) {
  Instant t0{};
  ClientTransaction tx(t0, request("OPTIONS"), kUdp, {});
  long end = 0;
  auto times = run(tx, t0, t0, &end);
  EXPECT_EQ(times, (std::vector<long>{0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500,
                                      27500, 31500}));
  EXPECT_EQ(end, 32000);  // F = 64*T1
  EXPECT_TRUE(tx.timed_out());
}

TEST(SipClientTransaction, NonInviteProvisionalSwitchesToT2AndCompletesWithTimerK) {
  Instant t0{};
  auto req = request("REGISTER");
  ClientTransaction tx(t0, req, kUdp, {});
  ASSERT_TRUE(tx.poll_transmit());
  Instant t = t0 + milliseconds(200);
  EXPECT_TRUE(tx.handle_response(t, response_to(req, 100)));
  EXPECT_EQ(tx.state(), ClientTransaction::State::Proceeding);
  EXPECT_EQ(ms(tx.next_timeout(), t0), 4200);  // E = T2 in Proceeding
  auto final_at = t0 + milliseconds(5000);
  tx.handle_timeout(t0 + milliseconds(4200));
  EXPECT_TRUE(tx.poll_transmit());
  EXPECT_TRUE(tx.handle_response(final_at, response_to(req, 200)));
  EXPECT_EQ(tx.state(), ClientTransaction::State::Completed);
  EXPECT_FALSE(tx.handle_response(final_at, response_to(req, 200)));  // absorbed
  EXPECT_EQ(ms(tx.next_timeout(), t0), 10000);  // K = T4
  tx.handle_timeout(tx.next_timeout());
  EXPECT_TRUE(tx.terminated());
  EXPECT_FALSE(tx.timed_out());
}

TEST(SipClientTransaction, InviteNon2xxIsAckedByTheTransactionAndTimerDIs32s) {
  Instant t0{};
  auto req = request("INVITE");
  ClientTransaction tx(t0, req, kUdp, {});
  ASSERT_TRUE(tx.poll_transmit());
  EXPECT_TRUE(tx.handle_response(t0 + milliseconds(100), response_to(req, 180)));
  EXPECT_EQ(tx.next_timeout(), kNever);  // no A, no B in Proceeding
  auto busy = response_to(req, 486);
  EXPECT_TRUE(tx.handle_response(t0 + milliseconds(300), busy));
  auto ack = tx.poll_transmit();
  ASSERT_TRUE(ack);
  auto parsed = parse_message(ack->bytes);
  ASSERT_TRUE(parsed.ok) << parsed.error_reason;
  EXPECT_EQ(parsed.message.method, "ACK");
  EXPECT_EQ(parsed.message.cseq()->number, 1u);
  EXPECT_EQ(parsed.message.cseq()->method, "ACK");
  EXPECT_EQ(parsed.message.top_via()->branch(), "z9hG4bKtest1");
  EXPECT_EQ(parsed.message.to()->tag(), "b2");
  EXPECT_EQ(parsed.message.header("Route"), "<sip:proxy.test;lr>");
  EXPECT_EQ(parsed.message.request_uri.to_string(), "sip:bob@127.0.0.1:5070");
  // A retransmitted 486 is absorbed and re-ACKed.
  EXPECT_FALSE(tx.handle_response(t0 + milliseconds(800), busy));
  EXPECT_TRUE(tx.poll_transmit());
  EXPECT_EQ(ms(tx.next_timeout(), t0), 32300);
  tx.handle_timeout(tx.next_timeout());
  EXPECT_TRUE(tx.terminated());
}

TEST(SipClientTransaction, Invite2xxGoesToAcceptedAndRetransmissionsReachTheTu) {
  Instant t0{};
  auto req = request("INVITE");
  ClientTransaction tx(t0, req, kUdp, {});
  (void)tx.poll_transmit();
  auto ok = response_to(req, 200);
  EXPECT_TRUE(tx.handle_response(t0 + milliseconds(50), ok));
  EXPECT_EQ(tx.state(), ClientTransaction::State::Accepted);
  EXPECT_FALSE(tx.poll_transmit());  // the TU, not the transaction, ACKs a 2xx
  EXPECT_TRUE(tx.handle_response(t0 + milliseconds(550), ok));
  EXPECT_EQ(ms(tx.next_timeout(), t0), 32050);  // timer M = 64*T1
  tx.handle_timeout(tx.next_timeout());
  EXPECT_TRUE(tx.terminated());
  EXPECT_FALSE(tx.timed_out());
}

TEST(SipClientTransaction, ReliableTransportSendsOnceAndDoesNotLinger) {
  Instant t0{};
  auto req = request("INVITE");
  ClientTransaction tx(t0, req, kTcp, {});
  long end = 0;
  auto times = run(tx, t0, t0, &end);
  EXPECT_EQ(times, (std::vector<long>{0}));
  EXPECT_EQ(end, 32000);

  ClientTransaction tx2(t0, req, kTcp, {});
  (void)tx2.poll_transmit();
  EXPECT_TRUE(tx2.handle_response(t0, response_to(req, 503)));
  EXPECT_TRUE(tx2.poll_transmit());  // the ACK
  EXPECT_TRUE(tx2.terminated());     // D = 0

  auto opt = request("OPTIONS");
  ClientTransaction tx3(t0, opt, kTcp, {});
  (void)tx3.poll_transmit();
  EXPECT_TRUE(tx3.handle_response(t0, response_to(opt, 200)));
  EXPECT_TRUE(tx3.terminated());  // K = 0
}

TEST(SipClientTransaction, ConfigurableTimers) {
  Instant t0{};
  TimerConfig timers{milliseconds(100), milliseconds(400), milliseconds(1000)};
  ClientTransaction tx(t0, request("OPTIONS"), kUdp, timers);
  long end = 0;
  auto times = run(tx, t0, t0, &end);
  EXPECT_EQ(times.front(), 0);
  EXPECT_EQ(times[1], 100);
  EXPECT_EQ(times[2], 300);
  EXPECT_EQ(times[3], 700);
  EXPECT_EQ(times[4], 1100);
  EXPECT_EQ(end, 6400);
}

TEST(SipServerTransaction, InviteSends100ThenRetransmitsFinalOnTimerGUntilTimerH) {
  Instant t0{};
  auto req = request("INVITE");
  ServerTransaction tx(t0, req, kUdp, {});
  auto trying = tx.poll_transmit();
  ASSERT_TRUE(trying);
  auto p = parse_message(trying->bytes);
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.message.status, 100);
  EXPECT_EQ(p.message.to()->tag(), "");
  // A retransmitted INVITE gets the 100 again.
  EXPECT_FALSE(tx.handle_request(t0 + milliseconds(500), req));
  EXPECT_TRUE(tx.poll_transmit());
  tx.send_response(t0 + milliseconds(1000), response_to(req, 486));
  long end = 0;
  auto times = run(tx, t0, t0 + milliseconds(1000), &end);
  EXPECT_EQ(times, (std::vector<long>{1000, 1500, 2500, 4500, 8500, 12500, 16500, 20500,
                                      24500, 28500, 32500}));
  EXPECT_EQ(end, 33000);  // H = 64*T1 after the final
  EXPECT_TRUE(tx.timed_out());
}

TEST(SipServerTransaction, AckConfirmsAndTimerIIsT4) {
  Instant t0{};
  auto req = request("INVITE");
  ServerTransaction tx(t0, req, kUdp, {});
  (void)tx.poll_transmit();
  tx.send_response(t0, response_to(req, 603));
  (void)tx.poll_transmit();
  auto ack = request("ACK");
  EXPECT_TRUE(tx.handle_request(t0 + milliseconds(700), ack));
  EXPECT_EQ(tx.state(), ServerTransaction::State::Confirmed);
  EXPECT_EQ(ms(tx.next_timeout(), t0), 5700);
  EXPECT_TRUE(tx.handle_request(t0 + milliseconds(900), ack));  // absorbed
  EXPECT_FALSE(tx.poll_transmit());
  tx.handle_timeout(tx.next_timeout());
  EXPECT_TRUE(tx.terminated());
  EXPECT_FALSE(tx.timed_out());
}

TEST(SipServerTransaction, Invite2xxAcceptedAbsorbsRetransmissionsUntilTimerL) {
  Instant t0{};
  auto req = request("INVITE");
  ServerTransaction tx(t0, req, kUdp, {});
  (void)tx.poll_transmit();
  tx.send_response(t0 + milliseconds(10), response_to(req, 200));
  EXPECT_TRUE(tx.poll_transmit());
  EXPECT_EQ(tx.state(), ServerTransaction::State::Accepted);
  EXPECT_FALSE(tx.handle_request(t0 + milliseconds(500), req));
  EXPECT_FALSE(tx.poll_transmit());                          // the TU retransmits 2xx
  tx.send_response(t0 + milliseconds(510), response_to(req, 200));
  EXPECT_TRUE(tx.poll_transmit());
  EXPECT_EQ(ms(tx.next_timeout(), t0), 32010);
}

TEST(SipServerTransaction, NonInviteRepeatsFinalAndLingersTimerJ) {
  Instant t0{};
  auto req = request("OPTIONS");
  ServerTransaction tx(t0, req, kUdp, {});
  EXPECT_FALSE(tx.poll_transmit());  // no automatic 100 for non-INVITE
  EXPECT_FALSE(tx.handle_request(t0, req));
  EXPECT_FALSE(tx.poll_transmit());  // nothing to repeat yet
  tx.send_response(t0 + milliseconds(20), response_to(req, 200));
  EXPECT_TRUE(tx.poll_transmit());
  EXPECT_FALSE(tx.handle_request(t0 + milliseconds(520), req));
  EXPECT_TRUE(tx.poll_transmit());
  EXPECT_EQ(ms(tx.next_timeout(), t0), 32020);  // J = 64*T1

  ServerTransaction rel(t0, req, kTcp, {});
  rel.send_response(t0, response_to(req, 200));
  EXPECT_TRUE(rel.terminated());  // J = 0
}

TEST(SipServerTransaction, ReliableInviteHasNoTimerGAndZeroTimerI) {
  Instant t0{};
  auto req = request("INVITE");
  ServerTransaction tx(t0, req, kTcp, {});
  tx.send_response(t0, response_to(req, 486));
  long end = 0;
  std::vector<long> times;
  while (tx.poll_transmit()) times.push_back(0);
  EXPECT_EQ(times.size(), 2u);  // 100 and 486, no retransmissions
  EXPECT_EQ(ms(tx.next_timeout(), t0), 32000);  // H still runs
  EXPECT_TRUE(tx.handle_request(t0, request("ACK")));
  EXPECT_TRUE(tx.terminated());
  (void)end;
}

// Lingering transactions keep only what retransmission and matching need.
TEST(SipTransactionMemory, FinalResponseReleasesRequestCopies) {
  Instant t0{};
  Message req = request("MESSAGE");
  std::string text(2000, 'x');
  req.add("Content-Type", "text/plain");
  req.body = Bytes(text.begin(), text.end());
  ClientTransaction c(t0, req, kUdp, {});
  c.poll_transmit();
  // Retransmissions reuse the bytes serialized once.
  c.handle_timeout(t0 + milliseconds(500));
  auto again = c.poll_transmit();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->bytes, req.serialize());
  c.handle_response(t0 + seconds(1), response_to(req, 200));
  EXPECT_EQ(c.state(), ClientTransaction::State::Completed);  // timer K running
  EXPECT_TRUE(c.request().body.empty());
  EXPECT_EQ(c.request().headers.size(), 3u);  // From, Call-ID, CSeq
  EXPECT_EQ(c.request().call_id(), "tx-test@127.0.0.1");

  ServerTransaction s(t0, req, kUdp, {});
  Message ok = response_to(req, 200);
  s.send_response(t0, ok);
  EXPECT_TRUE(s.request().body.empty());
  EXPECT_FALSE(s.request().has("Content-Type"));
  EXPECT_TRUE(s.request().top_via());
  EXPECT_EQ(s.last_status(), 200);
  ASSERT_TRUE(s.last_response());
  EXPECT_EQ(s.last_response()->status, 200);
  // A retransmitted request still gets the final again (timer J).
  s.poll_transmit();
  s.handle_request(t0 + seconds(1), req);
  auto rep = s.poll_transmit();
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->bytes, ok.serialize());
}
