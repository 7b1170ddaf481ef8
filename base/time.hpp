#pragma once
// Engines never read a clock: the driver passes `now` in. Tests pass a virtual one.
#include <chrono>

namespace floe {

using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;
using Duration = Clock::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::microseconds;

// "No timer wanted": engines return this from next_timeout() when idle.
inline constexpr Instant kNever = Instant::max();

}  // namespace floe
