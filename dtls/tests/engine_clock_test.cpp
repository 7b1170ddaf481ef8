// gettimeofday follows the engine clock inside a ScopedEngineClock, on that
// thread only, and the real clock everywhere else.
#include <gtest/gtest.h>
#include <sys/time.h>

#include <thread>

#include "dtls/engine_clock.hpp"

namespace floe::dtls {
namespace {

double wall_seconds() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

TEST(EngineClock, ScopedTimeIsVirtualNestedAndThreadLocal) {
  const double real_before = wall_seconds();
  const Instant t0 = Instant{} + seconds(42);
  double a, b, inner, other_thread;
  {
    ScopedEngineClock outer(t0);
    a = wall_seconds();
    {
      ScopedEngineClock nested(t0 + milliseconds(1500));
      inner = wall_seconds();
    }
    b = wall_seconds();
    std::thread([&] { other_thread = wall_seconds(); }).join();
  }
  const double real_after = wall_seconds();
  EXPECT_DOUBLE_EQ(inner - a, 1.5);
  EXPECT_DOUBLE_EQ(b, a);  // the nested scope restored the outer time
  EXPECT_GE(other_thread, real_before);
  EXPECT_LE(other_thread, real_after);
  EXPECT_GE(real_after, real_before);
  EXPECT_LT(real_after - real_before, 60.0);
  timeval tv{};
  struct timezone tz{123, 1};
  gettimeofday(&tv, &tz);
  EXPECT_EQ(tz.tz_minuteswest, 0);
}

}  // namespace
}  // namespace floe::dtls
