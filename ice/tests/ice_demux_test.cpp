#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "ice/agent/demux.hpp"
#include "ice/stun/message.hpp"

// Counts heap allocations so the test can prove routing allocates nothing.
namespace {
std::atomic<long> g_allocations{0};
}
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++g_allocations;
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace floe;
using namespace floe::ice;

namespace {
SocketAddress A(const char* s) { return *SocketAddress::parse(s); }

Bytes request(std::string_view username) {
  Bytes b;
  stun::MessageBuilder m(b, stun::Class::Request, stun::method::Binding,
                         stun::random_transaction_id());
  m.add_string(stun::attr::Username, username);
  m.add_fingerprint();
  return b;
}
Bytes response() {
  Bytes b;
  stun::MessageBuilder(b, stun::Class::Success, stun::method::Binding,
                       stun::random_transaction_id())
      .add_fingerprint();
  return b;
}
}  // namespace

TEST(IceDemux, ClassifiesFirstByteRfc7983) {
  std::uint8_t stun[] = {0x00}, dtls[] = {22}, rtp[] = {0x80}, rtcp[] = {200 - 9},
               other[] = {100};
  EXPECT_EQ(classify_packet(stun), PacketClass::Stun);
  EXPECT_EQ(classify_packet(dtls), PacketClass::Dtls);
  EXPECT_EQ(classify_packet(rtp), PacketClass::Rtp);
  EXPECT_EQ(classify_packet(rtcp), PacketClass::Rtp);
  EXPECT_EQ(classify_packet(other), PacketClass::Unknown);
  EXPECT_EQ(classify_packet({}), PacketClass::Unknown);
}

TEST(IceDemux, RoutesByUfragThenByValidatedTuple) {
  IceDemux d;
  const auto local = A("127.0.0.1:3478");
  const auto browser1 = A("192.0.2.1:50000"), browser2 = A("192.0.2.2:50000");
  d.add_ufrag("aaaa", 1);
  d.add_ufrag("bbbb", 2);
  EXPECT_EQ(d.route(local, browser1, request("aaaa:xyz")), 1u);
  EXPECT_EQ(d.route(local, browser2, request("bbbb:xyz")), 2u);
  EXPECT_FALSE(d.route(local, browser2, request("cccc:xyz")));
  EXPECT_EQ(d.counters().unknown_ufrag, 1u);
  // A response finds its agent by the 5-tuple the request went out on.
  EXPECT_FALSE(d.route(local, browser1, response()));
  d.add_tuple(local, browser1, 1, false);
  EXPECT_EQ(d.route(local, browser1, response()), 1u);
  // Media only from a validated tuple (no RTP bleed).
  std::uint8_t rtp[] = {0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
  std::uint8_t dtls[] = {22, 0xfe, 0xfd, 0, 0};
  EXPECT_FALSE(d.route(local, browser1, rtp));
  EXPECT_EQ(d.counters().unvalidated_data, 1u);
  d.add_tuple(local, browser1, 1, true);
  PacketClass cls;
  EXPECT_EQ(d.route(local, browser1, rtp, &cls), 1u);
  EXPECT_EQ(cls, PacketClass::Rtp);
  EXPECT_EQ(d.route(local, browser1, dtls, &cls), 1u);
  EXPECT_EQ(cls, PacketClass::Dtls);
  // Another agent's attempt does not steal a validated path.
  d.add_tuple(local, browser1, 2, false);
  EXPECT_EQ(d.route(local, browser1, rtp), 1u);
  // Malformed STUN is counted, not routed.
  std::uint8_t junk[] = {0x01, 0x01, 0x00, 0x00};
  EXPECT_FALSE(d.route(local, browser1, junk));
  EXPECT_EQ(d.counters().malformed, 1u);
  d.remove_agent(1);
  EXPECT_FALSE(d.route(local, browser1, rtp));
  EXPECT_FALSE(d.route(local, browser1, request("aaaa:xyz")));
  EXPECT_EQ(d.route(local, browser2, request("bbbb:xyz")), 2u);
  d.remove_ufrag("bbbb");
  EXPECT_EQ(d.ufrag_count(), 0u);
}

TEST(IceDemux, RoutingDoesNotAllocate) {
  IceDemux d(1024);
  const auto local = A("127.0.0.1:3478");
  for (std::uint32_t i = 0; i < 500; ++i) {
    d.add_ufrag("ufrag" + std::to_string(i), i);
    d.add_tuple(local, SocketAddress(IpAddress::v4(0xC0000200u + i), 40000), i, true);
  }
  auto req = request("ufrag321:remote");
  auto resp = response();
  std::uint8_t rtp[] = {0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
  const auto peer = SocketAddress(IpAddress::v4(0xC0000200u + 77), 40000);
  const long before = g_allocations.load();
  std::uint64_t sum = 0;
  for (int i = 0; i < 10000; ++i) {
    sum += *d.route(local, peer, req);
    sum += *d.route(local, peer, resp);
    sum += *d.route(local, peer, rtp);
  }
  EXPECT_EQ(g_allocations.load(), before);
  EXPECT_EQ(sum, 10000u * (321 + 77 + 77));
}
