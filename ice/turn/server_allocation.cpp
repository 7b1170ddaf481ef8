#include "ice/turn/server_allocation.hpp"

#include <algorithm>

namespace floe::turn {

const char* to_string(Transport t) {
  switch (t) {
    case Transport::Udp: return "udp";
    case Transport::Tcp: return "tcp";
    case Transport::Tls: return "tls";
  }
  return "?";
}

std::size_t FiveTupleHash::operator()(const FiveTuple& t) const noexcept {
  SocketAddressHash h;
  return h(t.client) * 31 + h(t.server) * 7 + static_cast<std::size_t>(t.transport);
}

const SocketAddress* ServerAllocation::relay_for(Family f) const {
  for (const auto& r : relays)
    if (r.family() == f) return &r;
  return nullptr;
}

bool ServerAllocation::has_permission(const IpAddress& peer, Instant now) const {
  for (const auto& p : permissions)
    if (p.peer == peer) return now < p.expiry;
  return false;
}

void ServerAllocation::install_permission(const IpAddress& peer, Instant expiry_at) {
  for (auto& p : permissions) {
    if (p.peer == peer) {
      p.expiry = expiry_at;
      return;
    }
  }
  permissions.push_back({peer, expiry_at});
}

const ChannelBinding* ServerAllocation::channel_by_number(std::uint16_t n, Instant now) const {
  for (const auto& c : channels)
    if (c.number == n) return now < c.expiry ? &c : nullptr;
  return nullptr;
}

const ChannelBinding* ServerAllocation::channel_by_peer(const SocketAddress& peer,
                                                        Instant now) const {
  for (const auto& c : channels)
    if (c.peer == peer && now < c.expiry) return &c;
  return nullptr;
}

int ServerAllocation::bind_channel(std::uint16_t n, const SocketAddress& peer, Instant now) {
  // §12.2: the number may not be bound (or quarantined) to another peer, and
  // the peer may not be bound to another number.
  ChannelBinding* same = nullptr;
  for (auto& c : channels) {
    const bool held = now < c.expiry + kChannelQuarantine;
    if (c.number == n) {
      if (held && c.peer != peer) return 400;
      same = &c;
    } else if (c.peer == peer && held) {
      return 400;
    }
  }
  if (same) {
    same->peer = peer;
    same->expiry = now + kChannelLifetime;
  } else {
    channels.push_back({n, peer, now + kChannelLifetime});
  }
  return 0;
}

void ServerAllocation::sweep(Instant now) {
  std::erase_if(permissions, [&](const Permission& p) { return p.expiry <= now; });
  std::erase_if(channels,
                [&](const ChannelBinding& c) { return c.expiry + kChannelQuarantine <= now; });
}

ServerAllocation* AllocationTable::find(const FiveTuple& t) {
  auto it = by_tuple_.find(t);
  return it == by_tuple_.end() ? nullptr : it->second.get();
}

ServerAllocation* AllocationTable::find_by_relay(const SocketAddress& relay) {
  auto it = by_relay_.find(relay);
  return it == by_relay_.end() ? nullptr : it->second;
}

ServerAllocation& AllocationTable::insert(std::unique_ptr<ServerAllocation> a) {
  ServerAllocation* p = a.get();
  for (const auto& r : p->relays) by_relay_[r] = p;
  by_tuple_[p->tuple] = std::move(a);
  return *p;
}

void AllocationTable::erase(const FiveTuple& t) {
  auto it = by_tuple_.find(t);
  if (it == by_tuple_.end()) return;
  for (const auto& r : it->second->relays) by_relay_.erase(r);
  by_tuple_.erase(it);
}

std::size_t AllocationTable::count_for_user(std::string_view user) const {
  auto it = per_user_.find(std::string(user));
  return it == per_user_.end() ? 0 : it->second;
}

void AllocationTable::note_user(std::string_view user, int delta) {
  auto& n = per_user_[std::string(user)];
  if (delta < 0 && n > 0) --n;
  if (delta > 0) ++n;
  if (n == 0) per_user_.erase(std::string(user));
}

std::vector<FiveTuple> AllocationTable::expired(Instant now) const {
  std::vector<FiveTuple> out;
  for (const auto& [k, a] : by_tuple_)
    if (a->expiry <= now) out.push_back(k);
  return out;
}

}  // namespace floe::turn
