#pragma once
// Server-side allocation state (RFC 8656 §2.2, §9, §12): one allocation per
// client 5-tuple, its relayed transport address(es), permissions (300 s) and
// channel bindings (600 s). The table indexes allocations by 5-tuple for
// client traffic and by relayed address for peer traffic.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/address.hpp"
#include "base/time.hpp"
#include "ice/stun/message.hpp"
#include "ice/turn/limits.hpp"

namespace floe::turn {

inline constexpr Duration kPermissionLifetime = seconds(300);  // §9
inline constexpr Duration kChannelLifetime = seconds(600);     // §12
// §12: a channel number stays reserved for its old peer this long after expiry.
inline constexpr Duration kChannelQuarantine = seconds(300);
inline constexpr Duration kDefaultLifetime = seconds(600);     // §7.2
inline constexpr Duration kMaxLifetime = seconds(3600);

enum class Transport : std::uint8_t { Udp, Tcp, Tls };
const char* to_string(Transport t);
inline bool is_stream(Transport t) { return t != Transport::Udp; }

// The client's 5-tuple as the server sees it (§2.2).
struct FiveTuple {
  SocketAddress client;
  SocketAddress server;
  Transport transport = Transport::Udp;
  bool operator==(const FiveTuple&) const = default;
};
struct FiveTupleHash {
  std::size_t operator()(const FiveTuple& t) const noexcept;
};

struct Permission {
  IpAddress peer;
  Instant expiry;
};

struct ChannelBinding {
  std::uint16_t number;
  SocketAddress peer;
  Instant expiry;  // the binding is usable before this, quarantined until +300 s
};

struct ServerAllocation {
  FiveTuple tuple;
  std::string username;
  std::string quota_user;  // who the per-user quota charges
  Bytes key;                     // long-term key the allocation was created with
  std::vector<SocketAddress> relays;  // one per address family (§7.2 dual allocation)
  Instant expiry;
  stun::TransactionId allocate_tid{};  // to answer a retransmitted Allocate (§7.2)
  Bytes allocate_response;
  std::vector<Permission> permissions;
  std::vector<ChannelBinding> channels;
  RateLimiter rate;

  const SocketAddress* relay_for(Family f) const;
  bool has_permission(const IpAddress& peer, Instant now) const;
  void install_permission(const IpAddress& peer, Instant expiry);
  // Live binding by number / by peer (expired ones are not returned).
  const ChannelBinding* channel_by_number(std::uint16_t n, Instant now) const;
  const ChannelBinding* channel_by_peer(const SocketAddress& peer, Instant now) const;
  // §12.2 rules; returns 0 on success or the error code to answer (400).
  int bind_channel(std::uint16_t n, const SocketAddress& peer, Instant now);
  // Drops expired permissions and channels past their quarantine.
  void sweep(Instant now);
};

class AllocationTable {
 public:
  ServerAllocation* find(const FiveTuple& t);
  ServerAllocation* find_by_relay(const SocketAddress& relay);
  ServerAllocation& insert(std::unique_ptr<ServerAllocation> a);
  // Removes the allocation; the caller closes its relays first.
  void erase(const FiveTuple& t);
  std::size_t size() const { return by_tuple_.size(); }
  std::size_t count_for_user(std::string_view user) const;
  // Calls f(alloc) for every allocation; f may not erase.
  template <typename F>
  void for_each(F&& f) {
    for (auto& [k, a] : by_tuple_) f(*a);
  }
  // Tuples of allocations expired at `now`.
  std::vector<FiveTuple> expired(Instant now) const;
  void note_user(std::string_view user, int delta);

 private:
  std::unordered_map<FiveTuple, std::unique_ptr<ServerAllocation>, FiveTupleHash> by_tuple_;
  std::unordered_map<SocketAddress, ServerAllocation*> by_relay_;
  std::unordered_map<std::string, std::size_t> per_user_;
};

}  // namespace floe::turn
