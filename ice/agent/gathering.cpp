#include "ice/agent/gathering.hpp"

#include <algorithm>
#include <charconv>

namespace floe::ice {

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  unsigned max = ip->is_v4() ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    auto num = text.substr(slash + 1);
    auto r = std::from_chars(num.data(), num.data() + num.size(), len);
    if (r.ec != std::errc() || r.ptr != num.data() + num.size() || len > max)
      return std::nullopt;
  }
  return IpPrefix{*ip, len};
}

bool IpPrefix::contains(const IpAddress& ip) const {
  if (ip.family() != address.family()) return false;
  unsigned full = length / 8, rest = length % 8;
  for (unsigned i = 0; i < full; ++i)
    if (ip.data()[i] != address.data()[i]) return false;
  if (rest == 0) return true;
  const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (ip.data()[full] & mask) == (address.data()[full] & mask);
}

bool Gatherer::allowed(const IpAddress& ip) const {
  auto in = [&ip](const IpPrefix& p) { return p.contains(ip); };
  if (!cfg_.include.empty() && std::none_of(cfg_.include.begin(), cfg_.include.end(), in))
    return false;
  return std::none_of(cfg_.exclude.begin(), cfg_.exclude.end(), in);
}

HostAddressResult Gatherer::add_host(Instant now, const SocketAddress& base) {
  const auto& ip = base.ip();
  if (ip.is_unspecified() || ip.is_multicast() || base.port() == 0)
    return HostAddressResult::Unusable;
  if (ip.is_v6() && ip.is_link_local()) return HostAddressResult::LinkLocal;
  if (!allowed(ip)) {
    ++filtered_;
    return HostAddressResult::Filtered;
  }
  if (std::find(bases_.begin(), bases_.end(), base) != bases_.end())
    return HostAddressResult::Duplicate;
  const auto pref = local_preference_for(ip, bases_.size());
  bases_.push_back(base);

  auto host = [&](const IpAddress& advertised) {
    Candidate c;
    c.type = CandidateType::Host;
    c.component = 1;
    c.priority = compute_priority(CandidateType::Host, pref, 1);
    c.foundation = compute_foundation(CandidateType::Host, advertised, std::nullopt);
    c.address = SocketAddress(advertised, base.port());
    c.base = base;
    return c;
  };
  if (cfg_.nat_1to1_address && cfg_.nat_1to1_address->family() == ip.family()) {
    ready_.push_back(host(*cfg_.nat_1to1_address));
    if (cfg_.nat_1to1_keep_host) {
      // Two host candidates on one base: the second one is redundant for
      // pairing (§6.1.2.4) but lets peers on the inside reach us directly.
      auto inner = host(ip);
      inner.priority -= 256;  // distinct priority, same base
      ready_.push_back(inner);
    }
  } else {
    ready_.push_back(host(ip));
  }

  if (cfg_.stun_server && cfg_.stun_server->family() == ip.family()) {
    Bytes req;
    stun::MessageBuilder(req, stun::Class::Request, stun::method::Binding,
                         stun::random_transaction_id())
        .add_fingerprint();
    queries_.push_back(Query{base, pref, stun::ClientTransaction(now, std::move(req),
                                                                 cfg_.stun_transaction)});
  }
  return HostAddressResult::Added;
}

void Gatherer::add_relayed(const Candidate& c) { ready_.push_back(c); }

void Gatherer::reset() {
  bases_.clear();
  queries_.clear();
  ready_.clear();
  addresses_done_ = false;
}

bool Gatherer::handle_response(Instant now, const Datagram& d, const stun::Message& m) {
  auto it = std::find_if(queries_.begin(), queries_.end(), [&](const Query& q) {
    return q.txn.id() == m.transaction_id();
  });
  if (it == queries_.end()) return false;
  if (d.remote != *cfg_.stun_server || d.local != it->base) return true;  // spoofed path
  it->txn.handle_response(now);
  auto mapped = m.cls() == stun::Class::Success ? m.mapped_address() : std::nullopt;
  if (!mapped) {
    ++stun_failures_;
  } else if (*mapped != it->base) {
    // §5.1.3: a srflx equal to its base is redundant with the host candidate.
    Candidate c;
    c.type = CandidateType::ServerReflexive;
    c.component = 1;
    c.priority = compute_priority(CandidateType::ServerReflexive, it->local_preference, 1);
    c.foundation = compute_foundation(CandidateType::ServerReflexive, it->base.ip(),
                                      cfg_.stun_server->ip());
    c.address = *mapped;
    c.base = it->base;
    c.related = it->base;
    ready_.push_back(std::move(c));
  }
  queries_.erase(it);
  return true;
}

void Gatherer::handle_timeout(Instant now) {
  for (auto& q : queries_) q.txn.handle_timeout(now);
  auto before = queries_.size();
  // Unsent retransmissions stay queued until poll_transmit drains them.
  std::erase_if(queries_, [](const Query& q) { return q.txn.done(); });
  stun_failures_ += before - queries_.size();
}

Instant Gatherer::next_timeout() const {
  Instant t = kNever;
  for (auto& q : queries_) t = std::min(t, q.txn.next_timeout());
  return t;
}

std::optional<Transmit> Gatherer::poll_transmit() {
  for (auto& q : queries_) {
    auto bytes = q.txn.poll_transmit();
    if (!bytes.empty())
      return Transmit{q.base, *cfg_.stun_server, Bytes(bytes.begin(), bytes.end())};
  }
  return std::nullopt;
}

std::optional<Candidate> Gatherer::poll_candidate() {
  if (ready_.empty()) return std::nullopt;
  auto c = std::move(ready_.front());
  ready_.pop_front();
  return c;
}

}  // namespace floe::ice
