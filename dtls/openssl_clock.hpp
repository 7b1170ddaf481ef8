#pragma once
// Puts OpenSSL's DTLS timer on the engine's clock.
//
// OpenSSL 3.0 reads the wall clock (gettimeofday) for its DTLS retransmission
// timer, both when the owner asks (DTLSv1_handle_timeout) and, on its own,
// whenever a read finds no datagram. It has no hook to supply the time, so an
// engine driven by a virtual clock would resend on the wrong schedule. While a
// ScopedOpenSslClock is alive on a thread, gettimeofday on that thread returns
// the engine's `now`; everywhere else it returns the real time. Floe defines
// gettimeofday for the process for that (see openssl_clock.cpp).
#include "base/time.hpp"

namespace floe::dtls {

class ScopedOpenSslClock {
 public:
  explicit ScopedOpenSslClock(Instant now);
  ~ScopedOpenSslClock();
  ScopedOpenSslClock(const ScopedOpenSslClock&) = delete;
  ScopedOpenSslClock& operator=(const ScopedOpenSslClock&) = delete;

 private:
  Instant previous_;
  bool had_previous_;
};

}  // namespace floe::dtls
