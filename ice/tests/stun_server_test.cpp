#include "ice/stun/server.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace floe;
using namespace floe::stun;

namespace {

SocketAddress addr(const char* text) { return *SocketAddress::parse(text); }

const SocketAddress kClient = addr("198.51.100.7:40000");

// Builds a Binding request; `extra` adds attributes before FINGERPRINT.
template <typename F>
Bytes request(F extra, bool fingerprint = true, Class cls = Class::Request,
              std::uint16_t m = method::Binding) {
  Bytes b;
  MessageBuilder mb(b, cls, m, random_transaction_id());
  extra(mb);
  if (fingerprint) mb.add_fingerprint();
  return b;
}
Bytes plain_request(bool fingerprint = true) {
  return request([](MessageBuilder&) {}, fingerprint);
}

// The four RFC 5780 sockets of one group: primary/alternate IP x port.
struct Rfc5780Server {
  BindingServer server;
  SocketId pp, pa, ap, aa;
  explicit Rfc5780Server(Transport t = Transport::Udp) {
    pp = server.add_socket({addr("192.0.2.1:3478"), t, 0, false, false});
    pa = server.add_socket({addr("192.0.2.1:3479"), t, 0, false, true});
    ap = server.add_socket({addr("192.0.2.2:3478"), t, 0, true, false});
    aa = server.add_socket({addr("192.0.2.2:3479"), t, 0, true, true});
  }
};

struct Reply {
  ServerTransmit tx;
  Bytes bytes;
  std::optional<Message> msg;
};
std::optional<Reply> exchange(BindingServer& s, SocketId on, const SocketAddress& from,
                              const Bytes& req) {
  s.handle_input(Instant{}, on, from, req);
  auto tx = s.poll_output();
  if (!tx) return std::nullopt;
  Reply r{*tx, Bytes(tx->data.begin(), tx->data.end()), std::nullopt};
  r.msg = Message::parse(r.bytes);
  return r;
}

}  // namespace

TEST(BindingServer, AnswersWithXorMappedAddressSoftwareAndFingerprint) {
  BindingServer s;
  SocketId id = s.add_socket({addr("0.0.0.0:3478")});
  Bytes req = plain_request();
  auto r = exchange(s, id, kClient, req);
  ASSERT_TRUE(r && r->msg);
  EXPECT_EQ(r->tx.socket, id);
  EXPECT_EQ(r->tx.to, kClient);
  EXPECT_EQ(r->msg->cls(), Class::Success);
  EXPECT_EQ(r->msg->method(), method::Binding);
  EXPECT_EQ(0, std::memcmp(r->msg->transaction_id().data(), req.data() + 8, 12));
  EXPECT_EQ(r->msg->xor_address(attr::XorMappedAddress), kClient);
  EXPECT_EQ(r->msg->string(attr::Software), "floe");
  EXPECT_EQ(r->msg->check_fingerprint(), IntegrityResult::Ok);
  // Without alternates the RFC 5780 attributes stay out.
  EXPECT_FALSE(r->msg->has(attr::OtherAddress));
  EXPECT_FALSE(r->msg->has(attr::ResponseOrigin));
  EXPECT_EQ(s.counters().binding_success, 1u);
  // No FINGERPRINT in the request, none in the reply.
  r = exchange(s, id, kClient, plain_request(false));
  ASSERT_TRUE(r && r->msg);
  EXPECT_FALSE(r->msg->has(attr::Fingerprint));
}

TEST(BindingServer, AnswersIpv6AndUnmapsV4MappedSources) {
  BindingServer s;
  SocketId id = s.add_socket({addr("[::]:3478")});
  auto r = exchange(s, id, addr("[2001:db8::5]:1234"), plain_request());
  ASSERT_TRUE(r && r->msg);
  EXPECT_EQ(r->msg->xor_address(attr::XorMappedAddress), addr("[2001:db8::5]:1234"));
  r = exchange(s, id, addr("[::ffff:203.0.113.9]:555"), plain_request());
  ASSERT_TRUE(r && r->msg);
  EXPECT_EQ(r->msg->xor_address(attr::XorMappedAddress), addr("203.0.113.9:555"));
}

TEST(BindingServer, UnknownComprehensionRequiredGives420) {
  BindingServer s;
  SocketId id = s.add_socket({addr("0.0.0.0:3478")});
  Bytes req = request([](MessageBuilder& b) {
    b.add_u32(0x7F01, 1);
    b.add_u32(0xC001, 1);  // comprehension-optional: ignored
    b.add_u32(0x7F02, 1);
  });
  auto r = exchange(s, id, kClient, req);
  ASSERT_TRUE(r && r->msg);
  EXPECT_EQ(r->msg->cls(), Class::Error);
  ASSERT_TRUE(r->msg->error_code());
  EXPECT_EQ(r->msg->error_code()->code, 420);
  std::uint16_t types[8];
  ASSERT_EQ(r->msg->unknown_attributes(types), 2u);
  EXPECT_EQ(types[0], 0x7F01);
  EXPECT_EQ(types[1], 0x7F02);
  EXPECT_EQ(r->msg->check_fingerprint(), IntegrityResult::Ok);
  EXPECT_EQ(s.counters().error_420, 1u);
}

TEST(BindingServer, Rfc5780AttributesWithoutAlternatesGive420) {
  BindingServer s;
  SocketId id = s.add_socket({addr("192.0.2.1:3478")});
  auto r = exchange(s, id, kClient, request([](MessageBuilder& b) {
                      b.add_u32(attr::ChangeRequest, kChangeIp);
                      b.add_u32(attr::ResponsePort, 5000u << 16);
                    }));
  ASSERT_TRUE(r && r->msg && r->msg->error_code());
  EXPECT_EQ(r->msg->error_code()->code, 420);
  std::uint16_t types[4];
  ASSERT_EQ(r->msg->unknown_attributes(types), 2u);
  EXPECT_EQ(types[0], attr::ChangeRequest);
  EXPECT_EQ(types[1], attr::ResponsePort);
  // A CHANGE-REQUEST asking for no change can be honoured by anyone.
  r = exchange(s, id, kClient,
               request([](MessageBuilder& b) { b.add_u32(attr::ChangeRequest, 0); }));
  ASSERT_TRUE(r && r->msg);
  EXPECT_EQ(r->msg->cls(), Class::Success);
}

TEST(BindingServer, MalformedInputIsCountedAndDropped) {
  BindingServer s;
  SocketId id = s.add_socket({addr("0.0.0.0:3478")});
  auto none = [&](const Bytes& b) { return !exchange(s, id, kClient, b).has_value(); };

  EXPECT_TRUE(none(Bytes{0x00, 0x01, 0x00}));                 // too short
  Bytes rtp(40, 0);
  rtp[0] = 0x80;
  EXPECT_TRUE(none(rtp));                                      // RFC 7983: not STUN
  Bytes bad_cookie = plain_request();
  bad_cookie[4] ^= 0xFF;
  EXPECT_TRUE(none(bad_cookie));
  EXPECT_EQ(s.counters().drops(ServerDrop::NotStun), 3u);

  Bytes bad_len = plain_request();
  bad_len[3] += 4;                                             // runs past the datagram
  EXPECT_TRUE(none(bad_len));
  Bytes trailing = plain_request();
  trailing.insert(trailing.end(), {0, 0, 0, 0});
  EXPECT_TRUE(none(trailing));
  Bytes truncated_attr = request([](MessageBuilder& b) { b.add_u32(attr::Priority, 1); }, false);
  store_be16(truncated_attr.data() + kHeaderSize + 2, 40);     // attribute longer than body
  EXPECT_TRUE(none(truncated_attr));
  EXPECT_EQ(s.counters().drops(ServerDrop::Malformed), 3u);

  Bytes bad_fp = plain_request();
  bad_fp.back() ^= 1;
  EXPECT_TRUE(none(bad_fp));
  EXPECT_EQ(s.counters().drops(ServerDrop::BadFingerprint), 1u);

  EXPECT_TRUE(none(request([](MessageBuilder&) {}, true, Class::Success)));
  EXPECT_EQ(s.counters().drops(ServerDrop::NotRequest), 1u);

  s.handle_input(Instant{}, 42, kClient, plain_request());
  EXPECT_FALSE(s.poll_output());
  EXPECT_EQ(s.counters().drops(ServerDrop::UnknownSocket), 1u);
  EXPECT_EQ(s.counters().binding_success, 0u);
}

TEST(BindingServer, IndicationsAreIgnoredAndOtherMethodsGet400) {
  BindingServer s;
  SocketId id = s.add_socket({addr("0.0.0.0:3478")});
  EXPECT_FALSE(exchange(s, id, kClient, request([](MessageBuilder&) {}, true, Class::Indication)));
  EXPECT_EQ(s.counters().indications, 1u);
  auto r = exchange(s, id, kClient,
                    request([](MessageBuilder&) {}, true, Class::Request, method::Allocate));
  ASSERT_TRUE(r && r->msg && r->msg->error_code());
  EXPECT_EQ(r->msg->method(), method::Allocate);
  EXPECT_EQ(r->msg->error_code()->code, 400);
}

TEST(BindingServer, Rfc5780ReportsOriginAndOtherAddress) {
  Rfc5780Server g;
  for (SocketId id : {g.pp, g.pa, g.ap, g.aa}) EXPECT_TRUE(g.server.behaviour_discovery(id));
  auto r = exchange(g.server, g.pp, kClient, plain_request());
  ASSERT_TRUE(r && r->msg);
  EXPECT_EQ(r->tx.socket, g.pp);
  EXPECT_EQ(r->msg->address(attr::ResponseOrigin), addr("192.0.2.1:3478"));
  EXPECT_EQ(r->msg->address(attr::OtherAddress), addr("192.0.2.2:3479"));
  // Every socket names the same alternate address, so a client aiming test
  // III with the test II response still reaches the alternate IP and port.
  r = exchange(g.server, g.ap, kClient, plain_request());
  ASSERT_TRUE(r && r->msg);
  EXPECT_EQ(r->msg->address(attr::ResponseOrigin), addr("192.0.2.2:3478"));
  EXPECT_EQ(r->msg->address(attr::OtherAddress), addr("192.0.2.2:3479"));
}

TEST(BindingServer, ChangeRequestRoutesTheReplyToTheOtherSocket) {
  Rfc5780Server g;
  struct Case {
    std::uint32_t flags;
    SocketId expect;
    const char* origin;
  } cases[] = {
      {0, g.pp, "192.0.2.1:3478"},
      {kChangePort, g.pa, "192.0.2.1:3479"},
      {kChangeIp, g.ap, "192.0.2.2:3478"},
      {kChangeIp | kChangePort, g.aa, "192.0.2.2:3479"},
  };
  for (const Case& c : cases) {
    auto r = exchange(g.server, g.pp, kClient, request([&](MessageBuilder& b) {
                        b.add_u32(attr::ChangeRequest, c.flags);
                      }));
    ASSERT_TRUE(r && r->msg) << c.flags;
    EXPECT_EQ(r->tx.socket, c.expect) << c.flags;
    EXPECT_EQ(r->tx.to, kClient);
    EXPECT_EQ(r->msg->address(attr::ResponseOrigin), addr(c.origin)) << c.flags;
    EXPECT_EQ(r->msg->xor_address(attr::XorMappedAddress), kClient);
  }
  // From the alternate socket, "change IP and port" leads back to the primary.
  auto r = exchange(g.server, g.aa, kClient, request([](MessageBuilder& b) {
                      b.add_u32(attr::ChangeRequest, kChangeIp | kChangePort);
                    }));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tx.socket, g.pp);
  EXPECT_EQ(g.server.counters().changed_origin, 4u);
}

TEST(BindingServer, ResponsePortRedirectsTheReplyOnly) {
  Rfc5780Server g;
  auto r = exchange(g.server, g.pp, kClient, request([](MessageBuilder& b) {
                      b.add_u32(attr::ResponsePort, 40002u << 16);
                    }));
  ASSERT_TRUE(r && r->msg);
  EXPECT_EQ(r->tx.to, addr("198.51.100.7:40002"));
  EXPECT_EQ(r->msg->xor_address(attr::XorMappedAddress), kClient);
  EXPECT_EQ(g.server.counters().response_port, 1u);
  // Port 0, or a RESPONSE-PORT of the wrong size, is a bad request.
  r = exchange(g.server, g.pp, kClient,
               request([](MessageBuilder& b) { b.add_u32(attr::ResponsePort, 0); }));
  ASSERT_TRUE(r && r->msg && r->msg->error_code());
  EXPECT_EQ(r->msg->error_code()->code, 400);
  r = exchange(g.server, g.pp, kClient,
               request([](MessageBuilder& b) { b.add_u64(attr::ResponsePort, 1); }));
  ASSERT_TRUE(r && r->msg && r->msg->error_code());
  EXPECT_EQ(r->msg->error_code()->code, 400);
}

TEST(BindingServer, PaddingIsEchoedUpToTheRequestSize) {
  Rfc5780Server g;
  Bytes pad(1500, 0xAA);
  Bytes req = request([&](MessageBuilder& b) { b.add(attr::Padding, pad); });
  auto r = exchange(g.server, g.pp, kClient, req);
  ASSERT_TRUE(r && r->msg);
  EXPECT_TRUE(r->msg->has(attr::Padding));
  EXPECT_LE(r->bytes.size(), req.size());
  EXPECT_GE(r->bytes.size() + 4, req.size());
  EXPECT_EQ(r->msg->check_fingerprint(), IntegrityResult::Ok);
  // Small padding that cannot be matched is simply not echoed.
  Bytes tiny = request([](MessageBuilder& b) { b.add_u32(attr::Padding, 0); });
  r = exchange(g.server, g.pp, kClient, tiny);
  ASSERT_TRUE(r && r->msg);
  EXPECT_FALSE(r->msg->has(attr::Padding));
}

TEST(BindingServer, TcpRefusesChangeRequestAndResponsePort) {
  Rfc5780Server g(Transport::Tcp);
  auto r = exchange(g.server, g.pp, kClient, plain_request());
  ASSERT_TRUE(r && r->msg);
  EXPECT_EQ(r->msg->cls(), Class::Success);
  EXPECT_TRUE(r->msg->has(attr::OtherAddress));
  r = exchange(g.server, g.pp, kClient,
               request([](MessageBuilder& b) { b.add_u32(attr::ChangeRequest, kChangeIp); }));
  ASSERT_TRUE(r && r->msg && r->msg->error_code());
  EXPECT_EQ(r->msg->error_code()->code, 400);
  EXPECT_EQ(r->tx.socket, g.pp);
}

TEST(FrameStream, SplitsBackToBackMessages) {
  Bytes a = plain_request(), b = plain_request(false);
  Bytes stream = a;
  stream.insert(stream.end(), b.begin(), b.end());
  std::size_t n = 0;
  EXPECT_EQ(frame_stream(ByteView(stream).first(10), &n), FrameStatus::NeedMore);
  EXPECT_EQ(frame_stream(ByteView(stream).first(a.size() - 1), &n), FrameStatus::NeedMore);
  ASSERT_EQ(frame_stream(stream, &n), FrameStatus::Complete);
  EXPECT_EQ(n, a.size());
  ASSERT_EQ(frame_stream(ByteView(stream).subspan(n), &n), FrameStatus::Complete);
  EXPECT_EQ(n, b.size());
  const std::uint8_t http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(frame_stream(http, &n), FrameStatus::NotStun);
  const std::uint8_t tls[] = {0x16, 0x03, 0x01};
  EXPECT_EQ(frame_stream(tls, &n), FrameStatus::NeedMore);  // 0x16 has top bits clear
  const std::uint8_t rtp[] = {0x80};
  EXPECT_EQ(frame_stream(rtp, &n), FrameStatus::NotStun);
}

// Bad input from the wire is a counted drop or a clean answer, never a crash:
// deterministic mutations of valid requests (under ASan/UBSan in CI).
TEST(BindingServer, SurvivesMutatedRequests) {
  Rfc5780Server g;
  BindingServer& s = g.server;
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const Bytes seeds[] = {
      plain_request(),
      request([](MessageBuilder& b) {
        b.add_u32(attr::ChangeRequest, kChangeIp | kChangePort);
        b.add_u32(attr::ResponsePort, 40000u << 16);
        b.add(attr::Padding, Bytes(64, 0));
        b.add_u32(0x7F00, 1);
      }),
  };
  std::uint64_t answered = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes m = seeds[round % 2];
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (next() % 3) {
        case 0: m[next() % m.size()] ^= static_cast<std::uint8_t>(1u << (next() % 8)); break;
        case 1: m.resize(next() % (m.size() + 1)); break;
        case 2: m.push_back(static_cast<std::uint8_t>(next())); break;
      }
      if (m.empty()) m.push_back(0);
    }
    s.handle_input(Instant{}, static_cast<SocketId>(next() % 4), kClient, m);
    if (auto tx = s.poll_output()) {
      ++answered;
      // Whatever goes out is itself a well-formed STUN message.
      auto reply = Message::parse(tx->data);
      ASSERT_TRUE(reply);
      EXPECT_EQ(reply->raw().size(), tx->data.size());
    }
  }
  const auto& c = s.counters();
  std::uint64_t dropped = 0;
  for (auto d : c.dropped) dropped += d;
  EXPECT_EQ(c.received, 20000u);
  EXPECT_EQ(answered, c.binding_success + c.error_400 + c.error_420);
  EXPECT_EQ(c.received, answered + dropped + c.indications);
}
