// Two Floe WebRtcTransports (one DTLS client, one DTLS server) over a
// scripted network on a virtual clock: ICE connects, DTLS connects, SRTP
// flows both ways, a data channel carries a message both ways, media from
// an address ICE never validated is refused, and the media path does not
// allocate.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <vector>

#include "dtls/certificate.hpp"
#include "gateway/webrtc/transport.hpp"

using namespace floe;
using namespace floe::webrtc;

// Counts operator new calls, to prove the media path does not allocate.
static std::atomic<std::uint64_t> g_news{0};
void* operator new(std::size_t n) {
  ++g_news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

struct End {
  std::string name;
  SocketAddress addr;
  std::unique_ptr<WebRtcTransport> t;
  std::vector<Bytes> rtp, rtcp;
  std::vector<std::string> messages;
  std::vector<std::uint16_t> opened;
  std::vector<std::string> trickled;  // candidates to hand to the other end
  bool dtls = false, sctp = false, selected = false;
  std::string failure;
};

class Net {
 public:
  Instant now = Instant{} + seconds(1000);
  Duration delay = milliseconds(10);
  // Scripted misbehaviour: return true to drop a datagram.
  std::function<bool(const SocketAddress& from, const SocketAddress& to)> drop;

  void send(const SocketAddress& from, const SocketAddress& to, Bytes b) {
    if (drop && drop(from, to)) return;
    flight_.emplace(std::make_pair(now + delay, seq_++), Packet{from, to, std::move(b)});
  }

  void pump(End& e, End& other) {
    while (auto o = e.t->poll_output()) {
      if (auto* tx = std::get_if<ice::Transmit>(&*o)) send(tx->local, tx->remote, tx->bytes);
      else if (auto* c = std::get_if<out::LocalCandidate>(&*o))
        other.t->add_remote_candidate(ice::format_candidate(c->candidate));
      else if (std::holds_alternative<out::GatheringComplete>(*o)) other.t->end_of_remote_candidates();
      else if (std::holds_alternative<out::SelectedPair>(*o)) e.selected = true;
      else if (std::holds_alternative<out::DtlsConnected>(*o)) e.dtls = true;
      else if (std::holds_alternative<out::SctpConnected>(*o)) e.sctp = true;
      else if (auto* op = std::get_if<out::ChannelOpen>(&*o)) e.opened.push_back(op->id);
      else if (auto* m = std::get_if<out::ChannelMessage>(&*o))
        e.messages.emplace_back(as_chars(m->data));
      else if (auto* f = std::get_if<out::Failed>(&*o)) e.failure = f->reason;
    }
  }

  void deliver(End& to, const SocketAddress& from, Bytes& bytes) {
    auto in = to.t->handle_input(now, to.addr, from, bytes);
    if (in.kind == MediaIn::Kind::Rtp) to.rtp.emplace_back(in.packet.begin(), in.packet.end());
    if (in.kind == MediaIn::Kind::Rtcp) to.rtcp.emplace_back(in.packet.begin(), in.packet.end());
  }

  // One event: the earliest delivery or timer.
  bool step(End& a, End& b, Instant until) {
    pump(a, b);
    pump(b, a);
    Instant next = std::min(a.t->next_timeout(), b.t->next_timeout());
    if (!flight_.empty()) next = std::min(next, flight_.begin()->first.first);
    if (next > until) return false;
    now = std::max(now, next);
    while (!flight_.empty() && flight_.begin()->first.first <= now) {
      auto node = flight_.extract(flight_.begin());
      auto& p = node.mapped();
      End* to = p.to == a.addr ? &a : p.to == b.addr ? &b : nullptr;
      if (to) deliver(*to, p.from, p.bytes);
    }
    if (a.t->next_timeout() <= now) a.t->handle_timeout(now);
    if (b.t->next_timeout() <= now) b.t->handle_timeout(now);
    return true;
  }

  template <class Pred>
  bool run_until(End& a, End& b, Pred done, Duration limit) {
    const Instant until = now + limit;
    while (!done()) {
      if (!step(a, b, until)) return done();
    }
    return true;
  }

 private:
  struct Packet {
    SocketAddress from, to;
    Bytes bytes;
  };
  std::map<std::pair<Instant, std::uint64_t>, Packet> flight_;
  std::uint64_t seq_ = 0;
};

// A minimal RTP packet: V=2, PT 111, the given seq/ssrc, a text payload.
Bytes rtp_packet(std::uint16_t seq, std::uint32_t ssrc, std::string_view payload) {
  Bytes b(12);
  b[0] = 0x80;
  b[1] = 111;
  store_be16(&b[2], seq);
  store_be32(&b[4], 960u * seq);
  store_be32(&b[8], ssrc);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// An RTCP receiver report with no blocks (RFC 3550 §6.4.2).
Bytes rtcp_rr(std::uint32_t ssrc) {
  Bytes b(8);
  b[0] = 0x80;
  b[1] = 201;
  store_be16(&b[2], 1);
  store_be32(&b[4], ssrc);
  return b;
}

struct Fixture {
  Net net;
  End a{"a", *SocketAddress::parse("10.0.0.1:5000")};
  End b{"b", *SocketAddress::parse("10.0.0.2:6000")};

  Fixture() {
    auto ctx_a = dtls::DtlsContext::create(dtls::Certificate::generate());
    auto ctx_b = dtls::DtlsContext::create(dtls::Certificate::generate());
    WebRtcConfig ca, cb;
    ca.ice_role = ice::IceRole::Controlling;  // the offerer (a browser)
    ca.dtls_context = ctx_a;
    ca.dtls_role = dtls::Role::Server;        // it offered actpass, we answered active
    ca.remote_fingerprint = ctx_b->certificate().fingerprint();
    cb.ice_role = ice::IceRole::Controlled;   // Floe answering
    cb.dtls_context = ctx_b;
    cb.dtls_role = dtls::Role::Client;
    cb.remote_fingerprint = ctx_a->certificate().fingerprint();
    a.t = std::make_unique<WebRtcTransport>(ca);
    b.t = std::make_unique<WebRtcTransport>(cb);
    a.t->set_remote_credentials(b.t->local_credentials().ufrag, b.t->local_credentials().pwd);
    b.t->set_remote_credentials(a.t->local_credentials().ufrag, a.t->local_credentials().pwd);
  }

  void start() {
    a.t->start(net.now);
    b.t->start(net.now);
    a.t->add_local_address(net.now, a.addr);
    b.t->add_local_address(net.now, b.addr);
    a.t->end_of_local_addresses();
    b.t->end_of_local_addresses();
  }

  bool connect() {
    return net.run_until(a, b, [&] { return a.sctp && b.sctp; }, seconds(10));
  }

  // Protects and sends one packet from `from` as a driver would.
  bool send_media(End& from, Bytes plain, bool rtcp) {
    std::array<std::uint8_t, 1500> buf{};
    std::copy(plain.begin(), plain.end(), buf.begin());
    auto n = rtcp ? from.t->protect_rtcp(buf, plain.size()) : from.t->protect_rtp(buf, plain.size());
    auto route = from.t->media_route();
    if (!n || !route) return false;
    net.send(route->local, route->remote, Bytes(buf.begin(), buf.begin() + *n));
    from.t->note_sent(net.now);
    return true;
  }
};

}  // namespace

TEST(WebRtcTransport, IceDtlsSrtpAndDataChannelBothWays) {
  Fixture f;
  const Instant t0 = f.net.now;
  f.start();
  ASSERT_TRUE(f.connect()) << "a: " << f.a.failure << " b: " << f.b.failure;
  EXPECT_TRUE(f.a.selected && f.b.selected);
  EXPECT_TRUE(f.a.dtls && f.b.dtls);
  EXPECT_LT(f.net.now - t0, seconds(2));
  EXPECT_TRUE(f.a.t->media_ready() && f.b.t->media_ready());

  for (std::uint16_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(f.send_media(f.a, rtp_packet(100 + i, 0xA, "from-a"), false));
    ASSERT_TRUE(f.send_media(f.b, rtp_packet(200 + i, 0xB, "from-b"), false));
  }
  ASSERT_TRUE(f.send_media(f.a, rtcp_rr(0xA), true));
  ASSERT_TRUE(f.send_media(f.b, rtcp_rr(0xB), true));
  f.net.run_until(f.a, f.b, [&] { return f.a.rtp.size() == 5 && f.b.rtp.size() == 5 &&
                                         f.a.rtcp.size() == 1 && f.b.rtcp.size() == 1; },
                  seconds(1));
  ASSERT_EQ(f.b.rtp.size(), 5u);
  ASSERT_EQ(f.a.rtp.size(), 5u);
  EXPECT_EQ(f.b.rtp[0], rtp_packet(100, 0xA, "from-a"));
  EXPECT_EQ(f.a.rtp[4], rtp_packet(204, 0xB, "from-b"));
  ASSERT_EQ(f.a.rtcp.size(), 1u);
  EXPECT_EQ(f.b.rtcp[0], rtcp_rr(0xA));

  // The offerer opens a channel (as the browser does); each side sends once.
  auto id = f.a.t->open_channel(f.net.now, {.label = "floe"});
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(f.net.run_until(f.a, f.b, [&] { return !f.b.opened.empty(); }, seconds(2)));
  EXPECT_EQ(f.b.opened[0], *id);
  ASSERT_TRUE(f.a.t->send_message(f.net.now, *id, as_bytes("hello b"), false));
  ASSERT_TRUE(f.net.run_until(f.a, f.b, [&] { return !f.b.messages.empty(); }, seconds(2)));
  EXPECT_EQ(f.b.messages[0], "hello b");
  ASSERT_TRUE(f.b.t->send_message(f.net.now, *id, as_bytes("hello a"), false));
  ASSERT_TRUE(f.net.run_until(f.a, f.b, [&] { return !f.a.messages.empty(); }, seconds(2)));
  EXPECT_EQ(f.a.messages[0], "hello a");
  EXPECT_TRUE(f.a.failure.empty() && f.b.failure.empty());
  EXPECT_EQ(f.a.t->counters().srtp_drops + f.b.t->counters().srtp_drops, 0u);
}

TEST(WebRtcTransport, MediaFromUnvalidatedAddressIsRefused) {
  Fixture f;
  f.start();
  ASSERT_TRUE(f.connect());
  // A valid SRTP packet replayed from another source address never reaches
  // SRTP: ICE did not validate that 5-tuple.
  std::array<std::uint8_t, 1500> buf{};
  auto plain = rtp_packet(7, 0xA, "bleed");
  std::copy(plain.begin(), plain.end(), buf.begin());
  auto n = f.a.t->protect_rtp(buf, plain.size());
  ASSERT_TRUE(n);
  Bytes forged(buf.begin(), buf.begin() + *n);
  auto in = f.b.t->handle_input(f.net.now, f.b.addr, *SocketAddress::parse("10.9.9.9:5000"), forged);
  EXPECT_EQ(in.kind, MediaIn::Kind::None);
  EXPECT_EQ(f.b.t->counters().rtp_in, 0u);
  EXPECT_GE(f.b.t->ice().counters().data_unvalidated, 1u);
}

TEST(WebRtcTransport, WrongFingerprintFailsTheTransport) {
  Fixture f;
  auto other = dtls::Certificate::generate();
  WebRtcConfig cb;
  cb.ice_role = ice::IceRole::Controlled;
  cb.dtls_context = dtls::DtlsContext::create(dtls::Certificate::generate());
  cb.dtls_role = dtls::Role::Client;
  cb.remote_fingerprint = other->fingerprint();  // not a's certificate
  f.b.t = std::make_unique<WebRtcTransport>(cb);
  f.a.t->set_remote_credentials(f.b.t->local_credentials().ufrag, f.b.t->local_credentials().pwd);
  f.b.t->set_remote_credentials(f.a.t->local_credentials().ufrag, f.a.t->local_credentials().pwd);
  f.start();
  f.net.run_until(f.a, f.b, [&] { return !f.b.failure.empty(); }, seconds(5));
  EXPECT_NE(f.b.failure.find("DTLS"), std::string::npos) << f.b.failure;
  EXPECT_FALSE(f.b.t->media_ready());
}

TEST(WebRtcTransport, MediaPathDoesNotAllocate) {
  Fixture f;
  f.start();
  ASSERT_TRUE(f.connect());
  auto route = f.a.t->media_route();
  ASSERT_TRUE(route);
  std::array<std::uint8_t, 1500> buf{};
  const auto plain = rtp_packet(1, 0xA, "twenty bytes of opus");
  const auto rr = rtcp_rr(0xA);
  std::uint64_t delivered = 0;
  const auto before = g_news.load();
  for (std::uint16_t i = 0; i < 200; ++i) {
    // Sender: protect in place; receiver: unprotect in place (what the
    // echo call does per packet, minus the socket).
    const bool rtcp = i % 50 == 49;
    const ByteView src = rtcp ? ByteView(rr) : ByteView(plain);
    std::copy(src.begin(), src.end(), buf.begin());
    if (!rtcp) store_be16(&buf[2], static_cast<std::uint16_t>(1 + i));
    auto n = rtcp ? f.a.t->protect_rtcp(buf, src.size()) : f.a.t->protect_rtp(buf, src.size());
    ASSERT_TRUE(n);
    f.a.t->note_sent(f.net.now);
    auto in = f.b.t->handle_input(f.net.now, f.b.addr, f.a.addr, std::span(buf).first(*n));
    if (in.kind != MediaIn::Kind::None) ++delivered;
    while (f.b.t->poll_output()) {
    }
  }
  EXPECT_GT(before, 0u) << "the counting operator new is not in use";
  EXPECT_EQ(g_news.load() - before, 0u) << "allocations on the media path";
  EXPECT_EQ(delivered, 200u);
}

TEST(WebRtcTransport, ConnectsOverALossyLink) {
  for (unsigned seed = 1; seed <= 10; ++seed) {
    Fixture f;
    // 10% loss both ways, STUN, DTLS and SCTP alike. (At 25% a DTLS
    // handshake of four multi-datagram flights can exhaust its 30 s budget
    // of doubling retransmissions: that is DTLS, not this composition.)
    std::mt19937 rng(seed);
    f.net.drop = [&](const SocketAddress&, const SocketAddress&) { return rng() % 10 == 0; };
    f.start();
    ASSERT_TRUE(f.net.run_until(f.a, f.b, [&] { return f.a.sctp && f.b.sctp; }, seconds(40)))
        << "seed " << seed << " a: " << f.a.failure << " b: " << f.b.failure;
    EXPECT_TRUE(f.a.t->media_ready() && f.b.t->media_ready());
  }
}
