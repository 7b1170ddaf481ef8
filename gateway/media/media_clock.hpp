#pragma once
// Conversions between the engine clock (floe::Instant, steady) and the two
// clocks RTP talks in: RTP timestamp ticks at a payload's clock rate
// (RFC 3550 §5.1) and NTP wall-clock time in RTCP sender reports (§4, 32.32
// fixed point seconds since 1900).
#include <chrono>
#include <cstdint>

#include "base/time.hpp"

namespace floe::media {

// Whole ticks of `clock_rate` Hz in `d` (negative for negative d). Split in
// seconds and remainder so a 90 kHz clock does not overflow for days.
inline std::int64_t to_ticks(Duration d, std::uint32_t clock_rate) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  const std::int64_t s = ns / 1'000'000'000;
  const std::int64_t rem = ns % 1'000'000'000;
  return s * clock_rate + rem * static_cast<std::int64_t>(clock_rate) / 1'000'000'000;
}
inline Duration from_ticks(std::int64_t ticks, std::uint32_t clock_rate) {
  if (clock_rate == 0) return Duration::zero();
  const std::int64_t s = ticks / clock_rate;
  const std::int64_t rem = ticks % clock_rate;
  return std::chrono::duration_cast<Duration>(
      std::chrono::seconds(s) + std::chrono::nanoseconds(rem * 1'000'000'000 / clock_rate));
}

// NTP time of an Instant: one (Instant, NTP) pair read once by the driver at
// start-up, then steady time from there, so reports never go backwards when
// the wall clock is stepped. Tests construct it with fixed values.
class NtpClock {
 public:
  NtpClock() = default;
  NtpClock(Instant base, std::uint64_t base_ntp) : base_(base), base_ntp_(base_ntp) {}
  // Reads std::chrono::system_clock: call it in drivers, not in engines.
  static NtpClock from_system(Instant now);

  std::uint64_t ntp(Instant t) const {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - base_).count();
    const std::int64_t s = ns / 1'000'000'000;
    const std::int64_t rem = ns % 1'000'000'000;
    const std::int64_t frac = (rem << 32) / 1'000'000'000;
    return base_ntp_ + static_cast<std::uint64_t>((s << 32) + frac);
  }
  // The middle 32 bits (16.16 seconds) that LSR and RTT arithmetic use
  // (RFC 3550 §6.4.1).
  std::uint32_t ntp_short(Instant t) const { return static_cast<std::uint32_t>(ntp(t) >> 16); }

 private:
  Instant base_{};
  std::uint64_t base_ntp_ = 0;
};

// A span of 1/65536 s units (DLSR, RTT) as a Duration.
inline Duration from_ntp_short(std::uint32_t units) {
  return std::chrono::duration_cast<Duration>(
      std::chrono::nanoseconds((static_cast<std::int64_t>(units) * 1'000'000'000) >> 16));
}
inline std::uint32_t to_ntp_short(Duration d) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  if (ns <= 0) return 0;
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(ns) << 16) / 1'000'000'000);
}

}  // namespace floe::media
