#include "base/address.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

using floe::IpAddress;
using floe::SocketAddress;

TEST(SocketAddress, ParsesV4AndV6) {
  auto a = SocketAddress::parse("192.0.2.1:3478");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port(), 3478);
  EXPECT_EQ(a->to_string(), "192.0.2.1:3478");
  auto b = SocketAddress::parse("[2001:db8::1]:5");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->ip().is_v6());
  EXPECT_EQ(b->to_string(), "[2001:db8::1]:5");
  EXPECT_EQ(SocketAddress::parse("::1", 3478)->to_string(), "[::1]:3478");
}

TEST(SocketAddress, RejectsGarbage) {
  EXPECT_FALSE(SocketAddress::parse(""));
  EXPECT_FALSE(SocketAddress::parse("1.2.3.4:"));
  EXPECT_FALSE(SocketAddress::parse("1.2.3.4:70000"));
  EXPECT_FALSE(SocketAddress::parse("[::1"));
  EXPECT_FALSE(SocketAddress::parse("host.example:1"));
  EXPECT_FALSE(SocketAddress::parse("1.2.3.4"));
}

TEST(IpAddress, Classifies) {
  EXPECT_TRUE(IpAddress::parse("127.0.0.2")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("::1")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("10.1.2.3")->is_private());
  EXPECT_TRUE(IpAddress::parse("172.31.0.1")->is_private());
  EXPECT_FALSE(IpAddress::parse("172.32.0.1")->is_private());
  EXPECT_TRUE(IpAddress::parse("fe80::1")->is_link_local());
  EXPECT_TRUE(IpAddress::parse("fd00::1")->is_private());
  EXPECT_TRUE(IpAddress::parse("224.0.0.1")->is_multicast());
  EXPECT_FALSE(IpAddress::parse("192.0.2.1")->is_private());
}

TEST(SocketAddress, SockaddrRoundTrip) {
  for (const char* t : {"198.51.100.7:9", "[2001:db8::7]:65535"}) {
    auto a = *SocketAddress::parse(t);
    sockaddr_storage ss;
    a.to_sockaddr(&ss);
    auto b = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
    ASSERT_TRUE(b);
    EXPECT_EQ(a, *b);
  }
}
