#pragma once
// Puts the C libraries Floe embeds on the engine's clock.
//
// OpenSSL 3.0 reads the wall clock (gettimeofday) for its DTLS retransmission
// timer, both when the owner asks (DTLSv1_handle_timeout) and, on its own,
// whenever a read finds no datagram; usrsctp stamps RTT samples and PR-SCTP
// lifetimes with gettimeofday. Neither has a hook to supply the time, so an
// engine driven by a virtual clock would see two clocks. While a
// ScopedEngineClock is alive on a thread, gettimeofday on that thread returns
// the engine's `now`; on other threads, or outside such a scope, it returns
// the real time. Floe defines gettimeofday for the process for that (see
// engine_clock.cpp); the libraries reach it through their PLT entries.
#include "base/time.hpp"

namespace floe::dtls {

class ScopedEngineClock {
 public:
  explicit ScopedEngineClock(Instant now);
  ~ScopedEngineClock();
  ScopedEngineClock(const ScopedEngineClock&) = delete;
  ScopedEngineClock& operator=(const ScopedEngineClock&) = delete;

 private:
  Instant previous_;
  bool had_previous_;
};

}  // namespace floe::dtls
