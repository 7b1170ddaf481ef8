#include "dtls/engine_clock.hpp"

#include <sys/time.h>
#include <time.h>

namespace floe::dtls {
namespace {

thread_local bool t_active = false;
thread_local Instant t_now{};

// OpenSSL treats a zero timeval as "no timer"; keep engine times far from it.
constexpr long long kEpochOffsetSeconds = 1'000'000'000;

}  // namespace

ScopedEngineClock::ScopedEngineClock(Instant now)
    : previous_(t_now), had_previous_(t_active) {
  t_active = true;
  t_now = now;
}

ScopedEngineClock::~ScopedEngineClock() {
  t_active = had_previous_;
  t_now = previous_;
}

}  // namespace floe::dtls

extern "C" int gettimeofday(struct timeval* __restrict tv, void* __restrict tz) noexcept {
  if (tz != nullptr) {  // obsolete (POSIX leaves it unspecified); glibc reports UTC
    auto* zone = static_cast<struct timezone*>(tz);
    zone->tz_minuteswest = 0;
    zone->tz_dsttime = 0;
  }
  if (floe::dtls::t_active) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  floe::dtls::t_now.time_since_epoch())
                  .count();
    tv->tv_sec = static_cast<time_t>(us / 1'000'000 + floe::dtls::kEpochOffsetSeconds);
    tv->tv_usec = static_cast<suseconds_t>(us % 1'000'000);
    return 0;
  }
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = static_cast<suseconds_t>(ts.tv_nsec / 1000);
  return 0;
}
