// The four authenticated TURN requests (RFC 8656 §7-§12).
#include <algorithm>
#include <cstring>

#include "base/random.hpp"
#include "ice/turn/attributes.hpp"
#include "ice/turn/channel_data.hpp"
#include "ice/turn/turn_server.hpp"

namespace floe::turn {
namespace {


Duration clamp_lifetime(std::optional<std::uint32_t> requested) {
  // §7.2: below the default the default applies; the server caps the maximum.
  if (!requested) return kDefaultLifetime;
  const Duration d = seconds(*requested);
  return std::clamp(d, kDefaultLifetime, kMaxLifetime);
}

std::uint32_t as_seconds(Duration d) {
  return static_cast<std::uint32_t>(std::chrono::duration_cast<seconds>(d).count());
}

// §14.12 ADDRESS-ERROR-CODE: family, reserved, then an ERROR-CODE body.
void add_address_error(stun::MessageBuilder& b, Family f, int code) {
  const auto reason = stun::reason_phrase(code);
  Bytes v = {f == Family::V4 ? kFamilyV4 : kFamilyV6, 0, static_cast<std::uint8_t>(code / 100),
             static_cast<std::uint8_t>(code % 100)};
  v.insert(v.end(), reason.begin(), reason.end());
  b.add(stun::attr::AddressErrorCode, v);
}

}  // namespace

int TurnServer::check_peer_for(const ServerAllocation& a, const SocketAddress& peer) {
  // §10.2 / §11.2: a peer of a family the allocation has no relay for.
  if (!a.relay_for(peer.family())) return 443;
  const PeerDenial d = check_peer(cfg_.limits, peer.ip());
  if (d != PeerDenial::None) {
    ++counters_.denied_peers[static_cast<std::size_t>(d)];
    return 403;
  }
  return 0;
}

void TurnServer::on_allocate(Instant now, const FiveTuple& t, const stun::Message& m,
                             Auth& auth) {
  const stun::Attribute* rt = m.find(stun::attr::RequestedTransport);
  if (!rt || rt->value.size() != 4) return send_error(t, m, 400, &auth);
  if (rt->value[0] != kProtocolUdp) return send_error(t, m, 442, &auth);

  const stun::Attribute* even = m.find(stun::attr::EvenPort);
  const stun::Attribute* token = m.find(stun::attr::ReservationToken);
  const stun::Attribute* raf = m.find(stun::attr::RequestedAddressFamily);
  const stun::Attribute* aaf = m.find(stun::attr::AdditionalAddressFamily);
  if (!aaf) aaf = m.find(kAdditionalAddressFamilyDraft);
  // §7.2: combinations that cannot be honoured together.
  if ((token && even) || (raf && aaf) || (token && (raf || aaf)))
    return send_error(t, m, 400, &auth);
  if ((even && even->value.size() != 1) || (token && token->value.size() != 8))
    return send_error(t, m, 400, &auth);

  Family family = Family::V4;
  if (raf) {
    if (raf->value.size() != 4) return send_error(t, m, 400, &auth);
    if (raf->value[0] == kFamilyV6)
      family = Family::V6;
    else if (raf->value[0] != kFamilyV4)
      return send_error(t, m, 440, &auth);
  }
  // §7.2: ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6 on top of IPv4.
  if (aaf && (aaf->value.size() != 4 || aaf->value[0] != kFamilyV6))
    return send_error(t, m, 400, &auth);
  if (!token && !relays_.supports(family)) return send_error(t, m, 440, &auth);

  const std::string quota_user(auth_.quota_user(auth.username));
  if (table_.count_for_user(quota_user) >= cfg_.limits.max_allocations_per_user) {
    ++counters_.quota_user;
    return send_error(t, m, 486, &auth);
  }
  if (table_.size() >= cfg_.limits.max_allocations_total) {
    ++counters_.quota_total;
    return send_error(t, m, 508, &auth);
  }

  auto a = std::make_unique<ServerAllocation>();
  std::optional<SocketAddress> reserved;
  if (token) {
    auto it = std::find_if(reservations_.begin(), reservations_.end(), [&](const Reservation& r) {
      return std::equal(r.token.begin(), r.token.end(), token->value.begin()) && r.expiry > now;
    });
    if (it == reservations_.end()) {
      ++counters_.relay_unavailable;
      return send_error(t, m, 508, &auth);
    }
    a->relays.push_back(it->relay);
    reservations_.erase(it);
  } else {
    RelayRequest req{family, even != nullptr, even && (even->value[0] & 0x80),
                     m.has(stun::attr::DontFragment)};
    auto grant = relays_.open_relay(req);
    if (!grant) {
      ++counters_.relay_unavailable;
      return send_error(t, m, 508, &auth);
    }
    a->relays.push_back(grant->relay);
    reserved = grant->reserved;
  }
  int additional_error = 0;
  if (aaf) {
    if (!relays_.supports(Family::V6)) {
      additional_error = 440;
    } else if (auto g6 = relays_.open_relay({Family::V6, false, false,
                                             m.has(stun::attr::DontFragment)})) {
      a->relays.push_back(g6->relay);
    } else {
      additional_error = 508;
    }
  }

  const Duration lifetime = clamp_lifetime(m.u32(stun::attr::Lifetime));
  a->tuple = t;
  a->username = auth.username;
  a->quota_user = quota_user;
  a->key = auth.key;
  a->expiry = now + lifetime;
  a->allocate_tid = m.transaction_id();
  a->rate = RateLimiter(cfg_.limits.max_bytes_per_second);

  Bytes& out = emit_client(t);
  stun::MessageBuilder b(out, stun::Class::Success, m.method(), m.transaction_id());
  for (const auto& r : a->relays) b.add_xor_address(stun::attr::XorRelayedAddress, r);
  if (additional_error) add_address_error(b, Family::V6, additional_error);
  b.add_u32(stun::attr::Lifetime, as_seconds(lifetime));
  if (reserved && reservations_.size() >= cfg_.limits.max_allocations_total) {
    relays_.close_relay(*reserved);  // too many held ports: no token this time
    reserved.reset();
  }
  if (reserved) {
    Reservation r;
    random_bytes(r.token);
    r.relay = *reserved;
    r.expiry = now + cfg_.reservation_lifetime;
    reservations_.push_back(r);
    b.add(stun::attr::ReservationToken, r.token);
  }
  b.add_xor_address(stun::attr::XorMappedAddress, t.client);
  finish(b, auth);
  a->allocate_response = out;

  table_.note_user(quota_user, +1);
  table_.insert(std::move(a));
  ++counters_.allocations_created;
  schedule_sweep(now);
}

void TurnServer::on_refresh(Instant now, const FiveTuple& t, const stun::Message& m,
                            const Auth& auth, ServerAllocation& a) {
  // §8.2: a REQUESTED-ADDRESS-FAMILY naming a family the allocation lacks.
  if (const stun::Attribute* raf = m.find(stun::attr::RequestedAddressFamily)) {
    const bool v6 = raf->value.size() == 4 && raf->value[0] == kFamilyV6;
    if (!a.relay_for(v6 ? Family::V6 : Family::V4)) return send_error(t, m, 443, &auth);
  }
  const auto requested = m.u32(stun::attr::Lifetime);
  Duration lifetime = Duration::zero();
  if (requested && *requested == 0) {
    ++counters_.allocations_deleted;
    remove_allocation(t);
  } else {
    lifetime = clamp_lifetime(requested);
    a.expiry = now + lifetime;
  }
  Bytes& out = emit_client(t);
  stun::MessageBuilder b(out, stun::Class::Success, m.method(), m.transaction_id());
  b.add_u32(stun::attr::Lifetime, as_seconds(lifetime));
  finish(b, auth);
}

void TurnServer::on_create_permission(Instant now, const FiveTuple& t, const stun::Message& m,
                                      const Auth& auth, ServerAllocation& a) {
  bool malformed = false;
  const auto peers = xor_addresses(m, stun::attr::XorPeerAddress, &malformed);
  if (malformed || peers.empty()) return send_error(t, m, 400, &auth);
  // §10.2: all or nothing.
  for (const auto& p : peers)
    if (int code = check_peer_for(a, p)) return send_error(t, m, code, &auth);
  std::size_t fresh = 0;
  for (const auto& p : peers) fresh += a.has_permission(p.ip(), Instant::min()) ? 0 : 1;
  a.sweep(now);
  if (a.permissions.size() + fresh > cfg_.limits.max_permissions_per_allocation) {
    ++counters_.relay_unavailable;
    return send_error(t, m, 508, &auth);
  }
  for (const auto& p : peers) a.install_permission(p.ip(), now + kPermissionLifetime);
  counters_.permissions_created += peers.size();
  Bytes& out = emit_client(t);
  stun::MessageBuilder b(out, stun::Class::Success, m.method(), m.transaction_id());
  finish(b, auth);
}

void TurnServer::on_channel_bind(Instant now, const FiveTuple& t, const stun::Message& m,
                                 const Auth& auth, ServerAllocation& a) {
  const stun::Attribute* cn = m.find(stun::attr::ChannelNumber);
  auto peer = m.xor_address(stun::attr::XorPeerAddress);
  if (!cn || cn->value.size() != 4 || !peer) return send_error(t, m, 400, &auth);
  const std::uint16_t number = load_be16(cn->value.data());
  if (!valid_channel(number, cfg_.limits.allow_rfc5766_channels)) return send_error(t, m, 400, &auth);
  if (int code = check_peer_for(a, *peer)) return send_error(t, m, code, &auth);
  a.sweep(now);
  const bool new_channel = std::none_of(a.channels.begin(), a.channels.end(),
                                        [&](const ChannelBinding& c) { return c.number == number; });
  const bool new_permission = !a.has_permission(peer->ip(), Instant::min());
  if ((new_channel && a.channels.size() >= cfg_.limits.max_channels_per_allocation) ||
      (new_permission && a.permissions.size() >= cfg_.limits.max_permissions_per_allocation)) {
    ++counters_.relay_unavailable;
    return send_error(t, m, 508, &auth);
  }
  if (int code = a.bind_channel(number, *peer, now)) return send_error(t, m, code, &auth);
  // §12.2: a binding also installs or refreshes the permission for the peer.
  a.install_permission(peer->ip(), now + kPermissionLifetime);
  ++counters_.channels_bound;
  Bytes& out = emit_client(t);
  stun::MessageBuilder b(out, stun::Class::Success, m.method(), m.transaction_id());
  finish(b, auth);
}

}  // namespace floe::turn
