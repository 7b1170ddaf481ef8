#include "ice/turn/turn_server.hpp"

#include <cstring>

#include "base/random.hpp"
#include "ice/turn/channel_data.hpp"

namespace floe::turn {

TurnServer::TurnServer(ServerConfig config, RelayProvider& relays, WallClock wall,
                       ByteView nonce_secret)
    : cfg_(std::move(config)), relays_(relays), wall_(wall), auth_(cfg_.auth, nonce_secret) {
  random_bytes(tid_prefix_);
}

// ---- outputs -------------------------------------------------------------

Bytes& TurnServer::emit_client(const FiveTuple& t) {
  if (out_size_ == out_.size()) out_.emplace_back();
  ServerOutput& o = out_[out_size_++];
  o.kind = ServerOutput::Kind::ToClient;
  o.tuple = t;
  o.data.clear();  // keeps capacity: no allocation per packet once warm
  return o.data;
}

Bytes& TurnServer::emit_peer(const SocketAddress& relay, const SocketAddress& peer) {
  if (out_size_ == out_.size()) out_.emplace_back();
  ServerOutput& o = out_[out_size_++];
  o.kind = ServerOutput::Kind::ToPeer;
  o.relay = relay;
  o.peer = peer;
  o.data.clear();
  return o.data;
}

const ServerOutput* TurnServer::poll_output() {
  if (out_head_ < out_size_) {
    const ServerOutput* o = &out_[out_head_++];
    if (o->kind == ServerOutput::Kind::ToPeer) {
      ++counters_.to_peer_packets;
      counters_.to_peer_bytes += o->data.size();
    } else {
      ++counters_.to_client_packets;
      counters_.to_client_bytes += o->data.size();
    }
    return o;
  }
  out_head_ = out_size_ = 0;
  return nullptr;
}

void TurnServer::finish(stun::MessageBuilder& b, const Auth& auth) {
  if (!cfg_.software.empty()) b.add_string(stun::attr::Software, cfg_.software);
  if (!auth.key.empty()) {
    if (auth.sha256)
      b.add_integrity_sha256(auth.key);
    else
      b.add_integrity(auth.key);
  }
  if (auth.fingerprint) b.add_fingerprint();
}

void TurnServer::send_error(const FiveTuple& t, const stun::Message& req, int code,
                            const Auth* auth, bool challenge) {
  ++counters_.errors_sent;
  for (std::size_t i = 0; i < kErrorCodes.size(); ++i)
    if (kErrorCodes[i] == code) ++counters_.errors_by_code[i];
  Bytes& out = emit_client(t);
  stun::MessageBuilder b(out, stun::Class::Error, req.method(), req.transaction_id());
  b.add_error_code(code, {});
  if (challenge) {
    // §9.2.4 (RFC 8489): 401 and 438 carry REALM and a fresh NONCE.
    b.add_string(stun::attr::Realm, auth_.realm());
    b.add_string(stun::attr::Nonce, nonce_for_response_);
  }
  if (code == 420) {
    std::uint16_t unknown[stun::kMaxAttributes];
    const std::size_t n = req.unknown_required(unknown);
    b.add_unknown_attributes(std::span<const std::uint16_t>(unknown, n));
  }
  Auth none;
  none.fingerprint = req.has(stun::attr::Fingerprint);
  finish(b, auth ? *auth : none);
}

stun::TransactionId TurnServer::next_indication_id() {
  // Unique per indication without a random draw per packet.
  stun::TransactionId id;
  std::memcpy(id.data(), tid_prefix_.data(), 4);
  const std::uint64_t c = ++tid_counter_;
  store_be32(id.data() + 4, static_cast<std::uint32_t>(c >> 32));
  store_be32(id.data() + 8, static_cast<std::uint32_t>(c));
  return id;
}

// ---- input dispatch --------------------------------------------------------

void TurnServer::handle_client(Instant now, const FiveTuple& t, ByteView data) {
  if (looks_like_channel_data(data)) return on_channel_data(now, t, data);
  auto m = stun::Message::parse(data);
  if (!m) {
    ++counters_.dropped_malformed;
    return;
  }
  switch (m->cls()) {
    case stun::Class::Request:
      ++counters_.requests;
      if (m->method() == stun::method::Binding) return on_binding(t, *m);
      return handle_request(now, t, *m);
    case stun::Class::Indication:
      if (m->method() == stun::method::Send) return on_send(now, t, *m);
      ++counters_.dropped_malformed;
      return;
    default:
      ++counters_.dropped_malformed;  // a server expects no responses
      return;
  }
}

void TurnServer::on_binding(const FiveTuple& t, const stun::Message& m) {
  Bytes& out = emit_client(t);
  stun::MessageBuilder b(out, stun::Class::Success, m.method(), m.transaction_id());
  b.add_xor_address(stun::attr::XorMappedAddress, t.client);
  Auth none;
  none.fingerprint = m.has(stun::attr::Fingerprint);
  finish(b, none);
}

bool TurnServer::authenticate(Instant now, const FiveTuple& t, const stun::Message& m,
                              Auth* auth) {
  auth->fingerprint = m.has(stun::attr::Fingerprint);
  const bool has_mi = m.has(stun::attr::MessageIntegrity);
  const bool has_mi256 = m.has(stun::attr::MessageIntegritySha256);
  if (!has_mi && !has_mi256) {
    ++counters_.auth_challenges;
    nonce_for_response_ = auth_.make_nonce(now);
    send_error(t, m, 401, nullptr, true);
    return false;
  }
  auto username = m.string(stun::attr::Username);
  auto realm = m.string(stun::attr::Realm);
  auto nonce = m.string(stun::attr::Nonce);
  if (!username || !realm || !nonce) {
    send_error(t, m, 400, nullptr);
    return false;
  }
  if (!auth_.nonce_fresh(*nonce, now)) {
    ++counters_.stale_nonces;
    nonce_for_response_ = auth_.make_nonce(now);
    send_error(t, m, 438, nullptr, true);
    return false;
  }
  const KeyLookup found = auth_.key_for(*username, wall_.unix_at(now), &auth->key);
  bool ok = found == KeyLookup::Found && *realm == auth_.realm();
  if (ok) {
    auth->sha256 = has_mi256;
    const auto r = has_mi256 ? m.check_integrity_sha256(auth->key) : m.check_integrity(auth->key);
    ok = r == stun::IntegrityResult::Ok;
  }
  if (!ok) {
    if (found == KeyLookup::RestExpired) ++counters_.rest_expired;
    ++counters_.auth_failures;
    auth->key.clear();
    nonce_for_response_ = auth_.make_nonce(now);
    send_error(t, m, 401, nullptr, true);
    return false;
  }
  auth->username.assign(*username);
  return true;
}

void TurnServer::handle_request(Instant now, const FiveTuple& t, const stun::Message& m) {
  const auto method = m.method();
  if (method != stun::method::Allocate && method != stun::method::Refresh &&
      method != stun::method::CreatePermission && method != stun::method::ChannelBind) {
    send_error(t, m, 400, nullptr);
    return;
  }
  Auth auth;
  if (!authenticate(now, t, m, &auth)) return;
  std::uint16_t unknown[1];
  if (m.unknown_required(unknown) > 0) return send_error(t, m, 420, &auth);

  ServerAllocation* a = table_.find(t);
  if (method == stun::method::Allocate) {
    if (a) {
      // §7.2: a retransmitted Allocate gets the original answer; anything
      // else on a 5-tuple that has an allocation is a mismatch.
      if (a->allocate_tid == m.transaction_id() && !a->allocate_response.empty()) {
        emit_client(t) = a->allocate_response;
        return;
      }
      return send_error(t, m, 437, &auth);
    }
    return on_allocate(now, t, m, auth);
  }
  if (!a) return send_error(t, m, 437, &auth);
  // §5: later requests must use the credentials the allocation was made with.
  if (a->username != auth.username) return send_error(t, m, 441, &auth);
  if (method == stun::method::Refresh) return on_refresh(now, t, m, auth, *a);
  if (method == stun::method::CreatePermission) return on_create_permission(now, t, m, auth, *a);
  return on_channel_bind(now, t, m, auth, *a);
}

// ---- data path ------------------------------------------------------------

void TurnServer::relay_to_peer(Instant now, ServerAllocation& a, const SocketAddress& peer,
                               ByteView data) {
  const SocketAddress* relay = a.relay_for(peer.family());
  if (!relay || !a.has_permission(peer.ip(), now)) {
    ++counters_.dropped_no_permission;
    return;
  }
  if (!a.rate.allow(now, data.size())) {
    ++counters_.dropped_bandwidth;
    return;
  }
  Bytes& out = emit_peer(*relay, peer);
  out.assign(data.begin(), data.end());
}

void TurnServer::on_send(Instant now, const FiveTuple& t, const stun::Message& m) {
  ServerAllocation* a = table_.find(t);
  if (!a) {
    ++counters_.dropped_no_allocation;
    return;
  }
  auto peer = m.xor_address(stun::attr::XorPeerAddress);
  const stun::Attribute* data = m.find(stun::attr::Data);
  if (!peer || !data) {
    ++counters_.dropped_malformed;
    return;
  }
  relay_to_peer(now, *a, *peer, data->value);
}

void TurnServer::on_channel_data(Instant now, const FiveTuple& t, ByteView data) {
  auto cd = parse_channel_data(data);
  if (!cd) {
    ++counters_.dropped_malformed;
    return;
  }
  ServerAllocation* a = table_.find(t);
  if (!a) {
    ++counters_.dropped_no_allocation;
    return;
  }
  const ChannelBinding* ch = a->channel_by_number(cd->channel, now);
  if (!ch) {
    ++counters_.dropped_no_channel;
    return;
  }
  relay_to_peer(now, *a, ch->peer, cd->data);
}

void TurnServer::handle_relay(Instant now, const SocketAddress& relay, const SocketAddress& peer,
                              ByteView data) {
  ServerAllocation* a = table_.find_by_relay(relay);
  if (!a) {
    ++counters_.dropped_no_allocation;
    return;
  }
  // §11.3 / §12.6: only peers with a permission may reach the client.
  if (!a->has_permission(peer.ip(), now)) {
    ++counters_.dropped_no_permission;
    return;
  }
  if (!a->rate.allow(now, data.size())) {
    ++counters_.dropped_bandwidth;
    return;
  }
  Bytes& out = emit_client(a->tuple);
  if (const ChannelBinding* ch = a->channel_by_peer(peer, now)) {
    write_channel_data(out, ch->number, data, is_stream(a->tuple.transport));
    return;
  }
  stun::MessageBuilder b(out, stun::Class::Indication, stun::method::Data, next_indication_id());
  b.add_xor_address(stun::attr::XorPeerAddress, peer);
  b.add(stun::attr::Data, data);
}

// ---- lifetimes ------------------------------------------------------------

void TurnServer::remove_allocation(const FiveTuple& t) {
  ServerAllocation* a = table_.find(t);
  if (!a) return;
  for (const auto& r : a->relays) relays_.close_relay(r);
  table_.note_user(a->quota_user, -1);
  table_.erase(t);
}

void TurnServer::handle_connection_closed(Instant, const FiveTuple& t) {
  if (!table_.find(t)) return;
  ++counters_.allocations_deleted;
  remove_allocation(t);
}

void TurnServer::schedule_sweep(Instant now) {
  if (next_sweep_ == kNever) next_sweep_ = now + cfg_.sweep_interval;
}

void TurnServer::handle_timeout(Instant now) {
  if (now < next_sweep_) return;
  for (const FiveTuple& t : table_.expired(now)) {
    ++counters_.allocations_expired;
    remove_allocation(t);
  }
  table_.for_each([&](ServerAllocation& a) { a.sweep(now); });
  std::erase_if(reservations_, [&](const Reservation& r) {
    if (r.expiry > now) return false;
    relays_.close_relay(r.relay);
    return true;
  });
  next_sweep_ = (table_.size() || !reservations_.empty()) ? now + cfg_.sweep_interval : kNever;
}

Instant TurnServer::next_timeout() const { return next_sweep_; }

}  // namespace floe::turn
