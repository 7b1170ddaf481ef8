#include "gateway/media/port_range.hpp"

#include <gtest/gtest.h>

using namespace floe::media;

TEST(RtpPortRange, HandsOutEvenPortsRoundRobin) {
  RtpPortRange r(10001, 10009);  // rounds up to 10002; pairs 10002..10008
  EXPECT_EQ(r.capacity(), 4u);
  EXPECT_EQ(r.acquire(), 10002);
  EXPECT_EQ(r.acquire(), 10004);
  EXPECT_TRUE(r.release(10002));
  // Round robin: a port just released is not handed out next.
  EXPECT_EQ(r.acquire(), 10006);
  EXPECT_EQ(r.acquire(), 10008);
  EXPECT_EQ(r.acquire(), 10002);
  EXPECT_EQ(r.acquire(), std::nullopt);
  EXPECT_EQ(r.in_use(), 4u);
}

TEST(RtpPortRange, RtcpPortMustFitTheRange) {
  RtpPortRange r(20000, 20002);
  EXPECT_EQ(r.capacity(), 1u);  // 20002's RTCP would be 20003
  RtpPortRange one(20000, 20001);
  EXPECT_EQ(one.capacity(), 1u);
  RtpPortRange none(20000, 20000);
  EXPECT_EQ(none.capacity(), 0u);
  EXPECT_EQ(none.acquire(), std::nullopt);
  RtpPortRange top(65535, 65535);
  EXPECT_EQ(top.capacity(), 0u);
  RtpPortRange edge(65534, 65535);
  EXPECT_EQ(edge.acquire(), 65534);
  RtpPortRange low(0, 3);
  EXPECT_EQ(low.acquire(), 2);
}

TEST(RtpPortRange, ReleaseIgnoresForeignPorts) {
  RtpPortRange r(30000, 30099);
  EXPECT_EQ(r.capacity(), 50u);
  auto p = r.acquire();
  ASSERT_TRUE(p);
  EXPECT_FALSE(r.release(30001));   // odd
  EXPECT_FALSE(r.release(29998));   // below
  EXPECT_FALSE(r.release(30100));   // above
  EXPECT_FALSE(r.release(30002));   // not in use
  EXPECT_TRUE(r.release(*p));
  EXPECT_FALSE(r.release(*p));      // twice
  EXPECT_EQ(r.in_use(), 0u);
}

TEST(RtpPortRange, BindFailureRetryPattern) {
  // The driver acquires, fails to bind, acquires the next, then releases the
  // bad one: the cursor has moved on so it is not retried at once.
  RtpPortRange r(40000, 40007);
  auto bad = r.acquire();
  auto good = r.acquire();
  r.release(*bad);
  EXPECT_EQ(*good, 40002);
  EXPECT_EQ(r.acquire(), 40004);
}
