#include "gateway/media/source_filter.hpp"

#include <gtest/gtest.h>

using namespace floe;
using namespace floe::media;

namespace {
SocketAddress addr(const char* s) { return *SocketAddress::parse(s); }
const Instant t0 = Instant{} + seconds(100);
}  // namespace

TEST(SourceFilter, StrictAcceptsOnlyTheSignalledAddress) {
  SourceFilter f(SourceMode::Strict);
  EXPECT_FALSE(f.accept(t0, addr("192.0.2.1:4000")));
  EXPECT_EQ(f.counters().dropped[static_cast<int>(SourceDrop::NoRemote)], 1u);
  f.set_signalled(t0, addr("192.0.2.1:4000"));
  EXPECT_TRUE(f.accept(t0, addr("192.0.2.1:4000")));
  EXPECT_FALSE(f.accept(t0, addr("192.0.2.1:4002")));
  EXPECT_FALSE(f.accept(t0, addr("198.51.100.7:4000")));
  EXPECT_EQ(f.counters().dropped[static_cast<int>(SourceDrop::NotSignalled)], 2u);
  EXPECT_EQ(f.counters().accepted, 1u);
  EXPECT_EQ(f.destination(), addr("192.0.2.1:4000"));
}

TEST(SourceFilter, LearnLocksToTheFirstSourceInTheWindow) {
  SourceFilter f(SourceMode::Learn, seconds(2));
  f.set_signalled(t0, addr("10.0.0.5:4000"));  // private address behind NAT
  EXPECT_TRUE(f.learning(t0));
  EXPECT_TRUE(f.accept(t0 + milliseconds(300), addr("203.0.113.9:61000")));
  EXPECT_EQ(f.locked(), addr("203.0.113.9:61000"));
  EXPECT_EQ(f.destination(), addr("203.0.113.9:61000"));  // symmetric RTP
  // An attacker racing in later (RTP bleed) is dropped, even the signalled one.
  EXPECT_FALSE(f.accept(t0 + milliseconds(400), addr("198.51.100.66:5000")));
  EXPECT_FALSE(f.accept(t0 + milliseconds(500), addr("10.0.0.5:4000")));
  EXPECT_EQ(f.counters().dropped[static_cast<int>(SourceDrop::NotLearned)], 2u);
  EXPECT_TRUE(f.accept(t0 + std::chrono::minutes(5), addr("203.0.113.9:61000")));
  EXPECT_EQ(f.counters().learned, 1u);
}

TEST(SourceFilter, AfterTheWindowOnlyTheSignalledAddressCanLock) {
  SourceFilter f(SourceMode::Learn, seconds(2));
  f.set_signalled(t0, addr("192.0.2.1:4000"));
  EXPECT_FALSE(f.learning(t0 + seconds(3)));
  EXPECT_FALSE(f.accept(t0 + seconds(3), addr("198.51.100.66:5000")));
  EXPECT_EQ(f.counters().dropped[static_cast<int>(SourceDrop::NotSignalled)], 1u);
  EXPECT_TRUE(f.accept(t0 + seconds(4), addr("192.0.2.1:4000")));
  EXPECT_EQ(f.locked(), addr("192.0.2.1:4000"));
}

TEST(SourceFilter, RelearnsOnlyWhenTheSignalledAddressChanges) {
  SourceFilter f(SourceMode::Learn, seconds(2));
  f.set_signalled(t0, addr("192.0.2.1:4000"));
  ASSERT_TRUE(f.accept(t0, addr("203.0.113.9:61000")));
  // A re-INVITE refreshing the session with the same address keeps the lock.
  f.set_signalled(t0 + seconds(60), addr("192.0.2.1:4000"));
  EXPECT_EQ(f.locked(), addr("203.0.113.9:61000"));
  EXPECT_FALSE(f.accept(t0 + seconds(60), addr("198.51.100.66:5000")));
  // Media moved: a new window.
  f.set_signalled(t0 + seconds(90), addr("192.0.2.44:5000"));
  EXPECT_FALSE(f.locked());
  EXPECT_TRUE(f.accept(t0 + seconds(91), addr("203.0.113.10:62000")));
  EXPECT_EQ(f.counters().learned, 2u);
}

TEST(SourceFilter, HoldAddressNamesNoSource) {
  SourceFilter strict(SourceMode::Strict);
  strict.set_signalled(t0, addr("0.0.0.0:4000"));
  EXPECT_FALSE(strict.accept(t0, addr("192.0.2.1:4000")));
  EXPECT_EQ(strict.destination(), std::nullopt);
  SourceFilter learn(SourceMode::Learn, seconds(1));
  learn.set_signalled(t0, addr("0.0.0.0:4000"));
  EXPECT_FALSE(learn.accept(t0 + seconds(2), addr("192.0.2.1:4000")));
  EXPECT_EQ(learn.counters().dropped[static_cast<int>(SourceDrop::NoRemote)], 1u);
  EXPECT_STREQ(to_string(SourceDrop::NotLearned), "not_learned");
}
