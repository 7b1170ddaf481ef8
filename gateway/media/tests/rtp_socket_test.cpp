// The RTP socket driver on 127.0.0.1: real UDP datagrams through the kernel.
#include "gateway/media/io/rtp_socket.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "gateway/media/rtcp.hpp"
#include "gateway/media/rtp.hpp"

using namespace floe;
using namespace floe::media;
using floe::media::io::Component;
using floe::media::io::RtpSocket;

namespace {

struct Received {
  Component component;
  SocketAddress from;
  std::vector<std::uint8_t> bytes;
  std::size_t room;
};

struct Recorder : floe::media::io::RtpSocketReceiver {
  std::vector<Received> got;
  RtpSocket* close_on_first = nullptr;
  int batch_ends = 0;
  void on_batch_end() override { ++batch_ends; }
  void on_datagram(Component c, const SocketAddress& from, std::span<std::uint8_t> buffer,
                   std::size_t length) override {
    got.push_back({c, from, {buffer.begin(), buffer.begin() + static_cast<long>(length)},
                   buffer.size()});
    if (close_on_first) close_on_first->close();
  }
};

const IpAddress kLoopback = *IpAddress::parse("127.0.0.1");

// A per-process slice of high ports, so parallel test runs rarely collide
// (and when they do, the retry path is what handles it).
std::uint16_t base_port() { return static_cast<std::uint16_t>(42000 + (getpid() % 500) * 20); }

template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

std::vector<std::uint8_t> rtp_packet(std::uint16_t seq) {
  std::vector<std::uint8_t> p(12 + 160, 0xd5);
  write_rtp_header(p, {false, 0, seq, 160u * seq, 0x1234});
  return p;
}

std::vector<std::uint8_t> rtcp_rr() {
  std::vector<std::uint8_t> p(64);
  RtcpReportParams r;
  r.ssrc = 0x1234;
  r.cname = "peer";
  p.resize(write_rtcp_report(p, r));
  return p;
}

}  // namespace

TEST(RtpSocket, SeparateRtcpPortCarriesEachComponent) {
  boost::asio::io_context io;
  Recorder rec;
  RtpSocket sock(io, rec);
  RtpPortRange range(base_port(), static_cast<std::uint16_t>(base_port() + 19));
  ASSERT_FALSE(sock.open(range, kLoopback, false));
  EXPECT_EQ(sock.rtp_address().port() % 2, 0);
  EXPECT_EQ(sock.rtcp_address().port(), sock.rtp_address().port() + 1);
  EXPECT_FALSE(sock.rtcp_mux());

  floe::io::UdpSocket peer(io);
  ASSERT_FALSE(peer.open(SocketAddress(kLoopback, 0)));
  const auto rtp = rtp_packet(7);
  const auto rr = rtcp_rr();
  ASSERT_TRUE(peer.send_to(rtp, sock.rtp_address()));
  ASSERT_TRUE(peer.send_to(rr, sock.rtcp_address()));
  ASSERT_TRUE(run_until(io, [&] { return rec.got.size() == 2; }));
  for (const auto& g : rec.got) {
    EXPECT_EQ(g.from, peer.local_address());
    EXPECT_EQ(g.room, RtpSocket::kScratch);  // spare room for in-place SRTP
    if (g.component == Component::Rtp) EXPECT_EQ(g.bytes, rtp);
    else EXPECT_EQ(g.bytes, rr);
  }
  EXPECT_NE(rec.got[0].component, rec.got[1].component);

  // And back: RTP from the RTP port, RTCP from the RTCP port.
  ASSERT_TRUE(sock.send_rtp(rtp, peer.local_address()));
  ASSERT_TRUE(sock.send_rtcp(rr, peer.local_address()));
  std::vector<std::pair<SocketAddress, std::size_t>> back;
  ASSERT_TRUE(run_until(io, [&] {
    std::uint8_t buf[2048];
    SocketAddress from;
    while (auto n = peer.receive_from(buf, &from)) back.emplace_back(from, n);
    return back.size() == 2;
  }));
  EXPECT_EQ(back[0].first, sock.rtp_address());
  EXPECT_EQ(back[0].second, rtp.size());
  EXPECT_EQ(back[1].first, sock.rtcp_address());
  EXPECT_EQ(sock.counters().sent, 2u);
  EXPECT_EQ(sock.counters().received, 2u);
}

TEST(RtpSocket, RtcpMuxClassifiesBySecondByte) {
  boost::asio::io_context io;
  Recorder rec;
  RtpSocket sock(io, rec);
  RtpPortRange range(base_port(), static_cast<std::uint16_t>(base_port() + 19));
  ASSERT_FALSE(sock.open(range, kLoopback, true));
  EXPECT_TRUE(sock.rtcp_mux());
  EXPECT_EQ(sock.rtcp_address(), sock.rtp_address());
  floe::io::UdpSocket peer(io);
  ASSERT_FALSE(peer.open(SocketAddress(kLoopback, 0)));
  for (int i = 0; i < 100; ++i) {  // more than one receive batch
    ASSERT_TRUE(peer.send_to(rtp_packet(static_cast<std::uint16_t>(i)), sock.rtp_address()));
    if (i % 10 == 0) {
      ASSERT_TRUE(peer.send_to(rtcp_rr(), sock.rtp_address()));
    }
  }
  ASSERT_TRUE(run_until(io, [&] { return rec.got.size() == 110; }));
  std::size_t rtcp = 0;
  std::uint16_t next_seq = 0;
  for (const auto& g : rec.got) {
    if (g.component == Component::Rtcp) {
      ++rtcp;
      EXPECT_TRUE(looks_like_rtcp(g.bytes));
    } else {
      auto p = RtpPacket::parse(std::span<std::uint8_t>(const_cast<std::uint8_t*>(g.bytes.data()),
                                                        g.bytes.size()));
      ASSERT_TRUE(p);
      EXPECT_EQ(p->sequence(), next_seq++);  // loopback keeps order
    }
  }
  EXPECT_EQ(rtcp, 10u);
  ASSERT_TRUE(sock.send_rtcp(rtcp_rr(), peer.local_address()));
}

TEST(RtpSocket, SkipsAPairThatIsTakenAndReleasesOnClose) {
  boost::asio::io_context io;
  Recorder rec;
  const std::uint16_t first = static_cast<std::uint16_t>(base_port() + 10);
  RtpPortRange range(first, static_cast<std::uint16_t>(first + 9));
  // Another process holds the RTCP port of the first pair.
  floe::io::UdpSocket squatter(io);
  ASSERT_FALSE(squatter.open(SocketAddress(kLoopback, static_cast<std::uint16_t>(first + 1))));
  {
    RtpSocket sock(io, rec);
    ASSERT_FALSE(sock.open(range, kLoopback, false));
    EXPECT_EQ(sock.rtp_address().port(), first + 2);
    EXPECT_EQ(sock.counters().bind_retries, 1u);
    EXPECT_EQ(range.in_use(), 1u);
    sock.close();
    EXPECT_EQ(range.in_use(), 0u);
    EXPECT_FALSE(sock.is_open());
    EXPECT_FALSE(sock.send_rtp(rtp_packet(1), squatter.local_address()));
    EXPECT_EQ(sock.counters().send_failures, 1u);
  }
  // The destructor path releases too, and a full range reports an error.
  RtpPortRange one(first, static_cast<std::uint16_t>(first + 1));
  RtpSocket a(io, rec), b(io, rec);
  EXPECT_TRUE(a.open(one, kLoopback, false));  // its only pair is held
  EXPECT_EQ(one.in_use(), 0u);
}

TEST(RtpSocket, ReceiverMayCloseTheSocketFromItsCallback) {
  boost::asio::io_context io;
  Recorder rec;
  RtpSocket sock(io, rec);
  rec.close_on_first = &sock;
  RtpPortRange range(base_port(), static_cast<std::uint16_t>(base_port() + 19));
  ASSERT_FALSE(sock.open(range, kLoopback, true));
  const auto to = sock.rtp_address();
  floe::io::UdpSocket peer(io);
  ASSERT_FALSE(peer.open(SocketAddress(kLoopback, 0)));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(peer.send_to(rtp_packet(1), to));
  ASSERT_TRUE(run_until(io, [&] { return !rec.got.empty(); }));
  io.restart();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(rec.got.size(), 1u);
  EXPECT_EQ(range.in_use(), 0u);
}

TEST(RtpSocket, ExplicitAddressesWithoutARange) {
  boost::asio::io_context io;
  Recorder rec;
  RtpSocket sock(io, rec);
  ASSERT_FALSE(sock.open(SocketAddress(kLoopback, 0), SocketAddress(kLoopback, 0)));
  EXPECT_NE(sock.rtp_address().port(), 0);
  EXPECT_NE(sock.rtcp_address().port(), 0);
  floe::io::UdpSocket peer(io);
  ASSERT_FALSE(peer.open(SocketAddress(kLoopback, 0)));
  ASSERT_TRUE(peer.send_to(rtcp_rr(), sock.rtcp_address()));
  ASSERT_TRUE(run_until(io, [&] { return rec.got.size() == 1; }));
  EXPECT_EQ(rec.got[0].component, Component::Rtcp);
}

TEST(RtpSocket, QueuedSendsGoOutInOneBatchPerFlush) {
  boost::asio::io_context io;
  Recorder rec, far;
  RtpSocket sock(io, rec), peer(io, far);
  RtpPortRange range(base_port(), static_cast<std::uint16_t>(base_port() + 19));
  ASSERT_FALSE(sock.open(range, kLoopback, false));
  ASSERT_FALSE(peer.open(range, kLoopback, true));
  // 40 RTP (more than one 32-slot batch: the first flushes itself) and 2 RTCP.
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(sock.queue_rtp(rtp_packet(static_cast<std::uint16_t>(i)), peer.rtp_address()));
  ASSERT_TRUE(sock.queue_rtcp(rtcp_rr(), peer.rtp_address()));
  ASSERT_TRUE(sock.queue_rtcp(rtcp_rr(), peer.rtp_address()));
  EXPECT_EQ(sock.counters().batches_sent, 1u);
  sock.flush();
  EXPECT_EQ(sock.counters().batches_sent, 3u);  // the RTP rest + the RTCP socket
  EXPECT_EQ(sock.counters().sent, 42u);
  EXPECT_EQ(sock.counters().send_failures, 0u);
  sock.flush();  // nothing queued: no system call
  EXPECT_EQ(sock.counters().batches_sent, 3u);
  ASSERT_TRUE(run_until(io, [&] { return far.got.size() == 42; }));
  std::size_t rtcp = 0;
  for (const auto& g : far.got) {
    rtcp += g.component == Component::Rtcp;
    EXPECT_EQ(g.from, g.component == Component::Rtcp ? sock.rtcp_address() : sock.rtp_address());
  }
  EXPECT_EQ(rtcp, 2u);
  EXPECT_GE(far.batch_ends, 1);
  EXPECT_LE(far.batch_ends, 42);
  std::vector<std::uint8_t> huge(RtpSocket::kScratch + 1);
  EXPECT_FALSE(sock.queue_rtp(huge, peer.rtp_address()));
}

TEST(RtpSocket, Ipv6Loopback) {
  boost::asio::io_context io;
  Recorder rec;
  RtpSocket sock(io, rec);
  const IpAddress v6 = *IpAddress::parse("::1");
  RtpPortRange range(base_port(), static_cast<std::uint16_t>(base_port() + 19));
  ASSERT_FALSE(sock.open(range, v6, false));
  EXPECT_TRUE(sock.rtp_address().ip().is_v6());
  floe::io::UdpSocket peer(io);
  ASSERT_FALSE(peer.open(SocketAddress(v6, 0)));
  ASSERT_TRUE(peer.send_to(rtp_packet(3), sock.rtp_address()));
  ASSERT_TRUE(peer.send_to(rtcp_rr(), sock.rtcp_address()));
  ASSERT_TRUE(run_until(io, [&] { return rec.got.size() == 2; }));
  EXPECT_EQ(rec.got[0].from, peer.local_address());
  ASSERT_TRUE(sock.send_rtp(rtp_packet(4), peer.local_address()));
}
