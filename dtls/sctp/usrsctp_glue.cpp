#include "dtls/sctp/usrsctp_glue.hpp"

#include <usrsctp.h>

#include <mutex>
#include <unordered_map>

#include "dtls/engine_clock.hpp"
#include "dtls/sctp/association.hpp"

namespace floe::sctp::glue {

using dtls::ScopedEngineClock;
namespace {

std::mutex registry_mu;
std::unordered_map<std::uintptr_t, SctpAssociation*> registry;
std::uintptr_t next_address = 1;
GlobalCounters global;

std::mutex timer_mu;
bool timer_started = false;
Instant timer_last{};

// usrsctp hands every outgoing SCTP packet for an AF_CONN address here. With
// usrsctp_init_nothreads it runs inside our own usrsctp_* calls.
int conn_output(void* addr, void* buffer, std::size_t length, std::uint8_t, std::uint8_t) {
  std::lock_guard lock(registry_mu);
  auto it = registry.find(reinterpret_cast<std::uintptr_t>(addr));
  if (it == registry.end()) {
    ++global.packets_for_unknown_address;
    return 0;
  }
  it->second->on_packet_out(buffer, length);
  return 0;
}

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    usrsctp_init_nothreads(0, conn_output, nullptr);
    // ECN means nothing inside DTLS; no ABORT for out-of-the-blue packets.
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_blackhole(2);
    // Data channels want low latency: SACK at once when asked (RFC 7053).
    usrsctp_sysctl_set_sctp_enable_sack_immediately(1);
    usrsctp_sysctl_set_sctp_rto_initial_default(1000);
    usrsctp_sysctl_set_sctp_rto_min_default(200);
    usrsctp_sysctl_set_sctp_rto_max_default(10000);
    usrsctp_sysctl_set_sctp_init_rto_max_default(10000);
  });
}

}  // namespace

void* register_association(SctpAssociation* assoc) {
  init_once();
  std::lock_guard lock(registry_mu);
  std::uintptr_t id = next_address++;
  registry[id] = assoc;
  ++global.live_associations;
  void* addr = reinterpret_cast<void*>(id);
  usrsctp_register_address(addr);
  return addr;
}

void unregister_association(void* address) {
  std::lock_guard lock(registry_mu);
  if (registry.erase(reinterpret_cast<std::uintptr_t>(address)) != 0)
    --global.live_associations;
}

void release_address(void* address) { usrsctp_deregister_address(address); }

void deliver_inbound(void* address, const void* data, std::size_t len, std::uint16_t sid,
                     std::uint32_t ppid, int flags) {
  std::lock_guard lock(registry_mu);
  auto it = registry.find(reinterpret_cast<std::uintptr_t>(address));
  if (it == registry.end()) {
    ++global.packets_for_unknown_address;
    return;
  }
  it->second->on_inbound(data, len, sid, ppid, flags);
}

void advance_timers(Instant now) {
  std::lock_guard lock(timer_mu);
  if (!timer_started || now < timer_last) {
    timer_started = true;
    timer_last = now;
    return;
  }
  auto elapsed = std::chrono::duration_cast<milliseconds>(now - timer_last);
  if (elapsed.count() <= 0) return;
  timer_last += elapsed;
  ScopedEngineClock clock(now);
  usrsctp_handle_timers(static_cast<std::uint32_t>(
      std::min<long long>(elapsed.count(), 0x7fffffff)));
}

GlobalCounters counters() {
  std::lock_guard lock(registry_mu);
  return global;
}

}  // namespace floe::sctp::glue
