// The Asio driver on real loopback sockets: UDP OPTIONS, TCP framing across
// writes, and closing a connection that holds a partial message too long.
#include "gateway/sip/io/transport.hpp"

#include <gtest/gtest.h>

#include "gateway/sip/parser.hpp"

using namespace floe;
using namespace floe::sip;
namespace asio = boost::asio;

namespace {

const std::string kOptions =
    "OPTIONS sip:floe@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKio1\r\n"
    "From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:floe@127.0.0.1>\r\nCall-ID: io-1\r\n"
    "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

struct Fixture {
  asio::io_context io;
  UserAgent ua{[] {
    UserAgentConfig c;
    c.host = "127.0.0.1";
    return c;
  }()};
  io::SipTransport net{io, ua, *SocketAddress::parse("127.0.0.1:0")};
  asio::ip::address lo = asio::ip::make_address("127.0.0.1");
};

}  // namespace

TEST(SipIo, UdpOptionsAnswered) {
  Fixture f;
  asio::ip::udp::socket client(f.io, asio::ip::udp::endpoint(f.lo, 0));
  std::string udp = kOptions;
  udp.replace(udp.find("TCP"), 3, "UDP");
  udp.replace(udp.find("branch"), 6, "rport;branch");  // RFC 3581: answer our source port
  client.send_to(asio::buffer(udp), asio::ip::udp::endpoint(f.lo, f.net.local_udp().port()));
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  client.async_receive(asio::buffer(buf), [&](auto ec, std::size_t len) {
    n = ec ? 0 : len;
    f.io.stop();
  });
  f.io.run_for(std::chrono::seconds(2));
  ASSERT_GT(n, 0u);
  auto r = parse_message(as_bytes(std::string_view(buf.data(), n)));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.message.status, 200);
  EXPECT_EQ(f.net.stats().udp_in, 1u);
}

TEST(SipIo, TcpMessageSplitAcrossWritesIsFramed) {
  Fixture f;
  asio::ip::tcp::socket client(f.io);
  client.connect(asio::ip::tcp::endpoint(f.lo, f.net.local_tcp().port()));
  asio::write(client, asio::buffer(kOptions.substr(0, 50)));
  f.io.run_for(std::chrono::milliseconds(100));
  asio::write(client, asio::buffer(kOptions.substr(50) + kOptions));  // rest + a retransmission
  std::array<char, 8192> buf{};
  std::size_t n = 0;
  client.async_read_some(asio::buffer(buf), [&](auto ec, std::size_t len) {
    n = ec ? 0 : len;
    f.io.stop();
  });
  f.io.run_for(std::chrono::seconds(2));
  ASSERT_GT(n, 0u);
  EXPECT_TRUE(std::string_view(buf.data(), n).starts_with("SIP/2.0 200 OK"));
  EXPECT_EQ(f.net.stats().tcp_in, 2u);
}

TEST(SipIo, StalledPartialMessageClosesTheConnection) {
  Fixture f;
  f.net.set_partial_timeout(std::chrono::milliseconds(200));
  asio::ip::tcp::socket client(f.io);
  client.connect(asio::ip::tcp::endpoint(f.lo, f.net.local_tcp().port()));
  // A Content-Length that promises more than ever arrives.
  std::string lie = kOptions;
  lie.replace(lie.find("Content-Length: 0"), 17, "Content-Length: 500");
  asio::write(client, asio::buffer(lie + "only a little"));
  bool closed = false;
  std::array<char, 256> buf{};
  client.async_read_some(asio::buffer(buf), [&](auto ec, std::size_t) {
    closed = bool(ec);
    f.io.stop();
  });
  f.io.run_for(std::chrono::seconds(2));
  EXPECT_TRUE(closed);
  EXPECT_EQ(f.net.stats().partial_timeouts, 1u);
}

namespace {
Message big_message(UserAgent& ua, const Uri& to) {
  Message m = ua.new_request("MESSAGE", to, to, Uri::sip("alice", "127.0.0.1"));
  m.add("Content-Type", "text/plain");
  m.body = Bytes(2000, 'x');
  return m;
}
}  // namespace

// §18.1.1 on real sockets: a 2 KB request toward a UDP target goes over TCP
// when the target listens on TCP, and back to UDP when it does not.
TEST(SipIo, LargeRequestUsesTcpWhenTheTargetListens) {
  Fixture f;
  UserAgent peer_ua{[] {
    UserAgentConfig c;
    c.host = "127.0.0.1";
    return c;
  }()};
  io::SipTransport peer(f.io, peer_ua, *SocketAddress::parse("127.0.0.1:0"));
  peer.on_event = [&](UaEvent& e) {
    if (e.kind == UaEvent::Kind::IncomingRequest) peer_ua.respond(Clock::now(), e.id, peer_ua.make_response(e.id, 200));
  };
  int status = 0;
  f.net.on_event = [&](UaEvent& e) {
    if (e.kind == UaEvent::Kind::Response) status = e.status;
  };
  Uri to = Uri::sip("bob", "127.0.0.1", peer.local_udp().port());
  f.ua.send_request(Clock::now(), big_message(f.ua, to));
  f.net.kick();
  for (int i = 0; i < 200 && status == 0; ++i) f.io.run_for(std::chrono::milliseconds(10));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(peer.stats().tcp_in, 1u);
  EXPECT_EQ(peer.stats().udp_in, 0u);
  EXPECT_EQ(f.ua.stats().udp_to_tcp_switches, 1u);
}

TEST(SipIo, LargeRequestFallsBackToUdpWhenTcpIsRefused) {
  Fixture f;
  // A UDP-only target: nothing listens on TCP at that port.
  asio::ip::udp::socket target(f.io, asio::ip::udp::endpoint(f.lo, 0));
  Uri to = Uri::sip("bob", "127.0.0.1", target.local_endpoint().port());
  f.ua.send_request(Clock::now(), big_message(f.ua, to));
  f.net.kick();
  std::vector<char> buf(65536);
  std::size_t n = 0;
  target.async_receive(asio::buffer(buf), [&](auto ec, std::size_t len) {
    n = ec ? 0 : len;
    f.io.stop();
  });
  f.io.run_for(std::chrono::seconds(3));
  ASSERT_GT(n, 2000u);
  auto r = parse_message(as_bytes(std::string_view(buf.data(), n)));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.message.top_via()->transport, "UDP");
  EXPECT_EQ(f.ua.stats().tcp_to_udp_fallbacks, 1u);
  EXPECT_EQ(f.net.stats().delivery_failures, 1u);
}
