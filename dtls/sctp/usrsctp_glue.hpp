#pragma once
// usrsctp is one process-wide stack. This file owns what is global about it:
// initialisation (usrsctp_init_nothreads, so no usrsctp thread ever runs),
// the AF_CONN address registry that routes its callbacks to associations,
// and the shared timer wheel (usrsctp_handle_timers).
//
// AF_CONN addresses are opaque pointers to usrsctp; Floe gives each
// association a numeric id cast to a pointer instead of `this`, so a late
// callback for an association already destroyed finds nothing and is dropped.
#include <cstddef>
#include <cstdint>

#include "base/time.hpp"

namespace floe::sctp {

class SctpAssociation;

namespace glue {

// Ensures usrsctp is initialised, registers the association and returns its
// AF_CONN address. usrsctp is never finished: its teardown needs timers to
// run after the last socket closes, and re-initialising it is not supported.
void* register_association(SctpAssociation* assoc);
// Stops routing callbacks for `address` (before its socket closes) ...
void unregister_association(void* address);
// ... and, once the socket is closed, releases the address in usrsctp.
void release_address(void* address);
// Routes a usrsctp receive callback (ulp_info = address) to its association.
void deliver_inbound(void* address, const void* data, std::size_t len, std::uint16_t sid,
                     std::uint32_t ppid, int flags);

// Advances usrsctp's timers to `now` (all associations in the process share
// them). A `now` earlier than the last one starts a new time base (a new
// virtual clock in tests) instead of moving time backwards.
void advance_timers(Instant now);

// usrsctp's timer tick; associations ask to be woken this often.
inline constexpr Duration kTick = milliseconds(10);

struct GlobalCounters {
  std::uint64_t packets_for_unknown_address = 0;  // callbacks after teardown
  std::uint64_t live_associations = 0;
};
GlobalCounters counters();

}  // namespace glue
}  // namespace floe::sctp
