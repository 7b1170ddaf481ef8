// RFC 3261 §18.1.1 on a virtual clock: requests over 1300 bytes leave UDP
// for TCP (Via rewritten), back to UDP when the TCP connection fails, and a
// transport failure ends pending transactions with 503 at once (§8.1.3.1).
#include "gateway/sip/user_agent.hpp"

#include "ua_test_util.hpp"

using namespace floe;
using namespace floe::sip;
using namespace floe::sip::test;

namespace {
const Uri kBob = *Uri::parse("sip:bob@127.0.0.1:5070");
const Uri kAlice = *Uri::parse("sip:alice@127.0.0.1");

Message message_of(UserAgent& ua, std::size_t body, const Uri& to = kBob) {
  Message m = ua.new_request("MESSAGE", to, to, kAlice);
  m.add("Content-Type", "text/plain");
  m.body = Bytes(body, 'x');
  return m;
}
}  // namespace

TEST(SipTransportRules, SerializedSizeMatchesSerialize) {
  UserAgent ua(ua_config());
  for (std::size_t n : {0, 10, 1500}) {
    Message m = message_of(ua, n);
    EXPECT_EQ(m.serialized_size(), m.serialize().size());
    Message r = make_response(m, 180);
    EXPECT_EQ(r.serialized_size(), r.serialize().size());
  }
}

TEST(SipTransportRules, LargeRequestMovesToTcpSmallOneStays) {
  Instant t0{};
  UserAgent ua(ua_config());
  ua.send_request(t0, message_of(ua, 100));
  auto small = drain(ua).at(0);
  EXPECT_EQ(small.transmit.transport, Transport::Udp);
  EXPECT_EQ(small.message.top_via()->transport, "UDP");

  ua.send_request(t0, message_of(ua, 1300));
  auto big = drain(ua).at(0);
  EXPECT_EQ(big.transmit.transport, Transport::Tcp);
  EXPECT_EQ(big.transmit.destination, kPeer);
  EXPECT_EQ(big.message.top_via()->transport, "TCP");
  EXPECT_GT(big.transmit.bytes.size(), 1300u);
  EXPECT_EQ(ua.stats().udp_to_tcp_switches, 1u);

  // transport=udp in the URI is the sender's explicit choice.
  Uri udp = kBob;
  udp.params.push_back({"transport", "udp", true});
  ua.send_request(t0, message_of(ua, 1300, udp));
  EXPECT_EQ(drain(ua).at(0).transmit.transport, Transport::Udp);

  auto cfg = ua_config();
  cfg.udp_max_request = 0;
  UserAgent never(cfg);
  never.send_request(t0, message_of(never, 5000));
  EXPECT_EQ(drain(never).at(0).transmit.transport, Transport::Udp);
}

TEST(SipTransportRules, FailedTcpConnectionFallsBackToUdp) {
  Instant t0{};
  UserAgent ua(ua_config());
  auto h = ua.send_request(t0, message_of(ua, 2000));
  auto tcp = drain(ua).at(0);
  ASSERT_EQ(tcp.transmit.transport, Transport::Tcp);
  ua.handle_transport_error(t0 + milliseconds(3), Transport::Tcp, kPeer);
  auto sent = drain(ua);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].transmit.transport, Transport::Udp);
  EXPECT_EQ(sent[0].message.top_via()->transport, "UDP");
  EXPECT_NE(sent[0].message.top_via()->branch(), tcp.message.top_via()->branch());
  EXPECT_EQ(sent[0].message.body.size(), 2000u);
  EXPECT_TRUE(events(ua).empty());
  EXPECT_EQ(ua.stats().tcp_to_udp_fallbacks, 1u);
  deliver(ua, t0 + milliseconds(10), reply(sent[0].message, 200));
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, h);
  EXPECT_EQ(evs[0].status, 200);
  // A second failure on the UDP retry cannot happen over a stream; errors on
  // the same TCP destination now touch nothing.
  ua.handle_transport_error(t0 + milliseconds(20), Transport::Tcp, kPeer);
  EXPECT_TRUE(drain(ua).empty());
  EXPECT_TRUE(events(ua).empty());
}

TEST(SipTransportRules, TransportErrorFailsPendingRequestsWith503) {
  Instant t0{};
  auto cfg = ua_config();
  cfg.transport = Transport::Tcp;
  UserAgent ua(cfg);
  auto h1 = ua.send_request(t0, ua.new_request("OPTIONS", kBob, kBob, kAlice));
  Uri other = *Uri::parse("sip:carol@127.0.0.1:5080");
  auto h2 = ua.send_request(t0, ua.new_request("OPTIONS", other, other, kAlice));
  drain(ua);
  ua.handle_transport_error(t0 + milliseconds(1), Transport::Tcp, kPeer);
  auto evs = events(ua);
  ASSERT_EQ(evs.size(), 1u);  // only the one to the failed destination
  EXPECT_EQ(evs[0].kind, UaEvent::Kind::RequestFailed);
  EXPECT_EQ(evs[0].id, h1);
  EXPECT_EQ(evs[0].status, 503);
  EXPECT_NE(h2, 0u);
  // A request already answered is not reported again.
  auto h3 = ua.send_request(t0, ua.new_request("OPTIONS", kBob, kBob, kAlice));
  auto req = drain(ua).at(0).message;
  deliver(ua, t0, reply(req, 200));
  EXPECT_EQ(events(ua).at(0).id, h3);
  ua.handle_transport_error(t0 + milliseconds(2), Transport::Tcp, kPeer);
  EXPECT_TRUE(events(ua).empty());
}
