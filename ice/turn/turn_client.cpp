#include "ice/turn/turn_client.hpp"

#include <algorithm>
#include <cstring>

#include "base/random.hpp"
#include "ice/stun/credentials.hpp"
#include "ice/turn/attributes.hpp"
#include "ice/turn/channel_data.hpp"

namespace floe::turn {
namespace {

// §9: permissions last 300 s, channels 600 s; refresh a minute early.
constexpr Duration kPermissionRefresh = seconds(240);
constexpr Duration kChannelRefresh = seconds(540);
constexpr int kMaxNonceRetries = 3;

std::uint32_t as_seconds(Duration d) {
  return static_cast<std::uint32_t>(std::chrono::duration_cast<seconds>(d).count());
}

}  // namespace

const char* to_string(ClientState s) {
  switch (s) {
    case ClientState::Allocating: return "allocating";
    case ClientState::Allocated: return "allocated";
    case ClientState::Closing: return "closing";
    case ClientState::Closed: return "closed";
    case ClientState::Failed: return "failed";
  }
  return "?";
}

const char* to_string(ClientEvent::Kind k) {
  using K = ClientEvent::Kind;
  switch (k) {
    case K::Allocated: return "allocated";
    case K::AllocateFailed: return "allocate-failed";
    case K::PermissionCreated: return "permission-created";
    case K::PermissionFailed: return "permission-failed";
    case K::ChannelBound: return "channel-bound";
    case K::ChannelFailed: return "channel-failed";
    case K::RefreshFailed: return "refresh-failed";
    case K::Closed: return "closed";
  }
  return "?";
}

Allocation::Allocation(Instant now, ClientConfig config) : cfg_(std::move(config)) {
  if (is_stream(cfg_.transport)) cfg_.transaction.reliable = true;
  start(now, Kind::Allocate, {}, {}, 0, as_seconds(cfg_.lifetime));
}

std::optional<SocketAddress> Allocation::relayed_address() const {
  if (relayed_.empty()) return std::nullopt;
  return relayed_.front();
}

Bytes& Allocation::emit() {
  if (out_size_ == out_.size()) out_.emplace_back();
  Bytes& b = out_[out_size_++];
  b.clear();
  return b;
}

ByteView Allocation::poll_transmit() {
  if (out_head_ < out_size_) return out_[out_head_++];
  out_head_ = out_size_ = 0;
  for (auto& r : requests_)
    if (ByteView b = r.tx.poll_transmit(); !b.empty()) return b;
  return {};
}

std::optional<ClientEvent> Allocation::poll_event() {
  if (events_.empty()) return std::nullopt;
  ClientEvent e = events_.front();
  events_.erase(events_.begin());
  return e;
}

void Allocation::start(Instant now, Kind kind, const IpAddress& ip, const SocketAddress& peer,
                       std::uint16_t channel, std::uint32_t lifetime, int nonce_retries) {
  static constexpr std::uint16_t kMethods[] = {stun::method::Allocate, stun::method::Refresh,
                                               stun::method::CreatePermission,
                                               stun::method::ChannelBind};
  Bytes buf;
  stun::MessageBuilder b(buf, stun::Class::Request, kMethods[static_cast<int>(kind)],
                         stun::random_transaction_id());
  switch (kind) {
    case Kind::Allocate:
      b.add_u32(stun::attr::RequestedTransport, std::uint32_t{kProtocolUdp} << 24);
      if (cfg_.family) {
        const std::uint8_t f = *cfg_.family == Family::V6 ? kFamilyV6 : kFamilyV4;
        b.add_u32(stun::attr::RequestedAddressFamily, std::uint32_t{f} << 24);
      }
      b.add_u32(stun::attr::Lifetime, lifetime);
      break;
    case Kind::Refresh:
      b.add_u32(stun::attr::Lifetime, lifetime);
      break;
    case Kind::Permission:
      // §10.1: only the IP matters; the port is ignored.
      b.add_xor_address(stun::attr::XorPeerAddress, SocketAddress(ip, 0));
      break;
    case Kind::Channel:
      b.add_u32(stun::attr::ChannelNumber, std::uint32_t{channel} << 16);
      b.add_xor_address(stun::attr::XorPeerAddress, peer);
      break;
  }
  if (!cfg_.software.empty()) b.add_string(stun::attr::Software, cfg_.software);
  const bool authed = !key_.empty();
  if (authed) {
    b.add_string(stun::attr::Username, cfg_.username);
    b.add_string(stun::attr::Realm, realm_);
    b.add_string(stun::attr::Nonce, nonce_);
    b.add_integrity(key_);
  }
  Request r{stun::ClientTransaction(now, std::move(buf), cfg_.transaction), kind, ip, peer,
            channel, lifetime, nonce_retries, authed};
  requests_.push_back(std::move(r));
}

std::optional<Received> Allocation::handle_input(Instant now, ByteView data) {
  if (looks_like_channel_data(data)) {
    auto cd = parse_channel_data(data);
    const Channel* ch = cd ? channel_by_number(cd->channel) : nullptr;
    if (!ch) {
      ++stats_.dropped;
      return std::nullopt;
    }
    ++stats_.received_channel_data;
    return Received{ch->peer, cd->data, true};
  }
  auto m = stun::Message::parse(data);
  if (!m) {
    ++stats_.dropped;
    return std::nullopt;
  }
  if (m->cls() == stun::Class::Indication) {
    auto peer = m->xor_address(stun::attr::XorPeerAddress);
    const stun::Attribute* d = m->find(stun::attr::Data);
    if (m->method() != stun::method::Data || !peer || !d) {
      ++stats_.dropped;
      return std::nullopt;
    }
    ++stats_.received_indications;
    return Received{*peer, d->value, false};
  }
  if (m->cls() == stun::Class::Request) {
    ++stats_.dropped;
    return std::nullopt;
  }
  auto it = std::find_if(requests_.begin(), requests_.end(), [&](const Request& r) {
    return r.tx.id() == m->transaction_id();
  });
  if (it == requests_.end()) return std::nullopt;  // a late retransmission's answer
  // RFC 8489 §9.2.5: a response to an authenticated request must verify.
  if (it->authenticated && m->has(stun::attr::MessageIntegrity) &&
      m->check_integrity(key_) != stun::IntegrityResult::Ok) {
    ++stats_.dropped;
    return std::nullopt;
  }
  Request r = std::move(*it);
  requests_.erase(it);
  r.tx.handle_response(now);
  on_response(now, *m, r);
  return std::nullopt;
}

void Allocation::on_response(Instant now, const stun::Message& m, Request& r) {
  if (m.cls() == stun::Class::Success) return on_success(now, m, r);
  const auto err = m.error_code();
  const int code = err ? err->code : 0;
  auto realm = m.string(stun::attr::Realm);
  auto nonce = m.string(stun::attr::Nonce);
  // §9.2.3-§9.2.5 (RFC 8489): the first 401 supplies realm and nonce; a 438
  // a fresh nonce. Retry with them; a 401 to credentials is final.
  const bool challenge = (code == 401 && !r.authenticated) || code == 438;
  if (challenge && realm && nonce && r.nonce_retries < kMaxNonceRetries) {
    if (*realm != realm_ || key_.empty())
      key_ = stun::long_term_key(cfg_.username, *realm, cfg_.password);
    realm_.assign(*realm);
    nonce_.assign(*nonce);
    ++stats_.retries_after_challenge;
    return start(now, r.kind, r.peer_ip, r.peer, r.channel, r.lifetime, r.nonce_retries + 1);
  }
  on_failure(now, r, code);
}

void Allocation::schedule_refresh(Instant now, Duration lifetime) {
  expiry_ = now + lifetime;
  refresh_at_ = now + (lifetime > seconds(120) ? lifetime - seconds(60) : lifetime / 2);
}

void Allocation::on_success(Instant now, const stun::Message& m, const Request& r) {
  const auto lifetime = seconds(m.u32(stun::attr::Lifetime).value_or(0));
  switch (r.kind) {
    case Kind::Allocate: {
      bool malformed = false;
      relayed_ = xor_addresses(m, stun::attr::XorRelayedAddress, &malformed);
      mapped_ = m.xor_address(stun::attr::XorMappedAddress);
      if (relayed_.empty()) return on_failure(now, r, 0);
      state_ = ClientState::Allocated;
      schedule_refresh(now, lifetime.count() ? Duration(lifetime) : cfg_.lifetime);
      ClientEvent e{ClientEvent::Kind::Allocated};
      e.relayed = relayed_.front();
      if (mapped_) e.mapped = *mapped_;
      events_.push_back(e);
      return;
    }
    case Kind::Refresh:
      if (r.lifetime == 0) {
        state_ = ClientState::Closed;
        refresh_at_ = expiry_ = kNever;
        events_.push_back({ClientEvent::Kind::Closed});
        return;
      }
      schedule_refresh(now, lifetime.count() ? Duration(lifetime) : cfg_.lifetime);
      return;
    case Kind::Permission: {
      Perm* p = perm(r.peer_ip);
      if (!p) return;
      if (p->status != Status::Active) {
        ClientEvent e{ClientEvent::Kind::PermissionCreated};
        e.peer_ip = p->ip;
        events_.push_back(e);
      }
      p->status = Status::Active;
      p->refresh_at = now + kPermissionRefresh;
      return flush_queue(r.peer_ip, true);
    }
    case Kind::Channel: {
      Channel* ch = channel_by_peer(r.peer);
      if (!ch) return;
      if (ch->status != Status::Active) {
        ClientEvent e{ClientEvent::Kind::ChannelBound};
        e.peer = ch->peer;
        e.channel = ch->number;
        events_.push_back(e);
      }
      ch->status = Status::Active;
      ch->refresh_at = now + kChannelRefresh;
      // §12.2: the binding installed a permission for the peer too.
      Perm* p = perm(r.peer.ip());
      if (!p) {
        perms_.push_back({r.peer.ip(), Status::Active, now + kPermissionRefresh});
      } else if (p->status != Status::Active) {
        p->status = Status::Active;
        p->refresh_at = now + kPermissionRefresh;
        flush_queue(r.peer.ip(), true);
      }
      return;
    }
  }
}

void Allocation::on_failure(Instant, const Request& r, int code) {
  ClientEvent e{};
  e.error_code = code;
  switch (r.kind) {
    case Kind::Allocate:
      state_ = ClientState::Failed;
      e.kind = ClientEvent::Kind::AllocateFailed;
      break;
    case Kind::Refresh:
      refresh_at_ = expiry_ = kNever;
      if (r.lifetime == 0) {
        state_ = ClientState::Closed;
        e.kind = ClientEvent::Kind::Closed;
      } else {
        state_ = ClientState::Failed;
        e.kind = ClientEvent::Kind::RefreshFailed;
      }
      break;
    case Kind::Permission:
      if (Perm* p = perm(r.peer_ip)) p->status = Status::Failed;
      flush_queue(r.peer_ip, false);
      e.kind = ClientEvent::Kind::PermissionFailed;
      e.peer_ip = r.peer_ip;
      break;
    case Kind::Channel:
      if (Channel* ch = channel_by_peer(r.peer)) ch->status = Status::Failed;
      e.kind = ClientEvent::Kind::ChannelFailed;
      e.peer = r.peer;
      e.channel = r.channel;
      break;
  }
  events_.push_back(e);
}

void Allocation::handle_timeout(Instant now) {
  for (std::size_t i = 0; i < requests_.size();) {
    requests_[i].tx.handle_timeout(now);
    if (requests_[i].tx.state() != stun::ClientTransaction::State::TimedOut) {
      ++i;
      continue;
    }
    Request r = std::move(requests_[i]);
    requests_.erase(requests_.begin() + static_cast<std::ptrdiff_t>(i));
    on_failure(now, r, 0);
  }
  if (state_ != ClientState::Allocated) return;
  if (now >= expiry_) {
    state_ = ClientState::Failed;
    ClientEvent e{ClientEvent::Kind::RefreshFailed};
    events_.push_back(e);
    return;
  }
  if (now >= refresh_at_) {
    refresh_at_ = kNever;  // until the answer schedules the next one
    start(now, Kind::Refresh, {}, {}, 0, as_seconds(cfg_.lifetime));
  }
  for (auto& p : perms_) {
    if (p.status == Status::Active && now >= p.refresh_at) {
      p.refresh_at = kNever;
      start(now, Kind::Permission, p.ip);
    }
  }
  for (auto& ch : channels_) {
    if (ch.status == Status::Active && now >= ch.refresh_at) {
      ch.refresh_at = kNever;
      start(now, Kind::Channel, ch.peer.ip(), ch.peer, ch.number);
    }
  }
}

Instant Allocation::next_timeout() const {
  Instant t = kNever;
  for (const auto& r : requests_) t = std::min(t, r.tx.next_timeout());
  if (state_ == ClientState::Allocated) {
    t = std::min({t, refresh_at_, expiry_});
    for (const auto& p : perms_)
      if (p.status == Status::Active) t = std::min(t, p.refresh_at);
    for (const auto& ch : channels_)
      if (ch.status == Status::Active) t = std::min(t, ch.refresh_at);
  }
  return t;
}

Allocation::Perm* Allocation::perm(const IpAddress& ip) {
  for (auto& p : perms_)
    if (p.ip == ip) return &p;
  return nullptr;
}

Allocation::Channel* Allocation::channel_by_peer(const SocketAddress& peer) {
  for (auto& c : channels_)
    if (c.peer == peer) return &c;
  return nullptr;
}

const Allocation::Channel* Allocation::channel_by_number(std::uint16_t n) const {
  for (const auto& c : channels_)
    if (c.number == n && c.status != Status::Failed) return &c;
  return nullptr;
}

bool Allocation::has_permission(const IpAddress& ip) const {
  for (const auto& p : perms_)
    if (p.ip == ip) return p.status == Status::Active;
  return false;
}

std::optional<std::uint16_t> Allocation::channel_for(const SocketAddress& peer) const {
  for (const auto& c : channels_)
    if (c.peer == peer && c.status == Status::Active) return c.number;
  return std::nullopt;
}

void Allocation::create_permission(Instant now, const IpAddress& ip) {
  if (state_ != ClientState::Allocated) return;
  Perm* p = perm(ip);
  if (p && p->status != Status::Failed) return;
  if (p)
    p->status = Status::Pending;
  else
    perms_.push_back({ip, Status::Pending, kNever});
  start(now, Kind::Permission, ip);
}

bool Allocation::bind_channel(Instant now, const SocketAddress& peer) {
  if (state_ != ClientState::Allocated) return false;
  Channel* ch = channel_by_peer(peer);
  if (ch && ch->status != Status::Failed) return true;
  if (!ch) {
    if (next_channel_ > kChannelMax) return false;
    channels_.push_back({next_channel_++, peer, Status::Pending, kNever});
    ch = &channels_.back();
  }
  ch->status = Status::Pending;
  start(now, Kind::Channel, peer.ip(), peer, ch->number);
  return true;
}

void Allocation::send_data(const SocketAddress& peer, ByteView data) {
  Bytes& out = emit();
  for (const auto& c : channels_) {
    if (c.peer == peer && c.status == Status::Active) {
      ++stats_.sent_channel_data;
      write_channel_data(out, c.number, data, is_stream(cfg_.transport));
      return;
    }
  }
  // A counter-based id: indications need no unpredictability (§11.1).
  stun::TransactionId id{};
  const std::uint64_t n = ++indication_counter_;
  std::memcpy(id.data(), "FLOE", 4);
  store_be32(id.data() + 4, static_cast<std::uint32_t>(n >> 32));
  store_be32(id.data() + 8, static_cast<std::uint32_t>(n));
  stun::MessageBuilder b(out, stun::Class::Indication, stun::method::Send, id);
  b.add_xor_address(stun::attr::XorPeerAddress, peer);
  b.add(stun::attr::Data, data);
  ++stats_.sent_indications;
}

bool Allocation::send_to(Instant now, const SocketAddress& peer, ByteView data) {
  if (state_ != ClientState::Allocated) return false;
  if (has_permission(peer.ip())) {
    send_data(peer, data);
    return true;
  }
  create_permission(now, peer.ip());
  if (queue_.size() >= cfg_.max_queued_packets) return false;
  queue_.push_back({peer, Bytes(data.begin(), data.end())});
  return true;
}

void Allocation::flush_queue(const IpAddress& ip, bool deliver) {
  std::vector<Queued> keep;
  for (auto& q : queue_) {
    if (q.peer.ip() != ip)
      keep.push_back(std::move(q));
    else if (deliver)
      send_data(q.peer, q.data);
  }
  queue_ = std::move(keep);
}

void Allocation::close(Instant now) {
  if (state_ != ClientState::Allocated) return;
  state_ = ClientState::Closing;
  refresh_at_ = kNever;
  start(now, Kind::Refresh, {}, {}, 0, 0);
}

}  // namespace floe::turn
