#include "ice/io/turn_relays.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include "base/random.hpp"

namespace floe::io {

struct TurnRelays::Relay {
  explicit Relay(boost::asio::io_context& io) : socket(io) {}
  UdpSocket socket;
  SocketAddress address;
  bool closed = false;
};

TurnRelays::TurnRelays(boost::asio::io_context& io, TurnRelayOptions options,
                       DatagramHandler on_datagram, std::function<void()> after_batch)
    : io_(io),
      opt_(std::move(options)),
      on_datagram_(std::move(on_datagram)),
      after_batch_(std::move(after_batch)),
      batch_(32, 2048) {}

TurnRelays::~TurnRelays() { close_all(); }

void TurnRelays::close_all() {
  for (auto& [a, r] : relays_) {
    r->closed = true;
    r->socket.close();
  }
  relays_.clear();
}

bool TurnRelays::supports(Family f) const {
  return f == Family::V4 ? opt_.ipv4.has_value() : opt_.ipv6.has_value();
}

std::shared_ptr<TurnRelays::Relay> TurnRelays::bind(const IpAddress& ip, std::uint16_t port) {
  auto r = std::make_shared<Relay>(io_);
  r->address = SocketAddress(ip, port);
  if (r->socket.open(r->address, opt_.socket_buffer)) return nullptr;
  return r;
}

std::optional<turn::RelayGrant> TurnRelays::open_relay(const turn::RelayRequest& req) {
  const auto& ip = req.family == Family::V4 ? opt_.ipv4 : opt_.ipv6;
  if (!ip) return std::nullopt;
  const std::uint32_t lo = opt_.port_min, hi = opt_.port_max;
  if (hi < lo) return std::nullopt;
  const std::uint32_t span = hi - lo + 1;
  // Random starting points make relayed ports hard to predict (RFC 8656 §7.2
  // recommends it), then a bounded number of attempts.
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::uint32_t port = lo + random_below(span);
    if (req.even && (port & 1)) port = port > lo ? port - 1 : port + 1;
    if (port < lo || port > hi || (req.even && (port & 1))) continue;
    if (req.reserve_next && port + 1 > hi) continue;
    auto r = bind(*ip, static_cast<std::uint16_t>(port));
    if (!r) {
      ++bind_failures_;
      continue;
    }
    std::shared_ptr<Relay> next;
    if (req.reserve_next) {
      next = bind(*ip, static_cast<std::uint16_t>(port + 1));
      if (!next) {
        ++bind_failures_;
        r->socket.close();
        continue;
      }
    }
    if (req.dont_fragment) {
      // RFC 8656 §14.8: relay with DF set (path MTU discovery "do").
      const int v = IP_PMTUDISC_DO;
      const int fd = r->socket.native_handle();
      if (ip->is_v4())
        ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v);
      else
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof v);
    }
    turn::RelayGrant g{r->address, std::nullopt};
    relays_[r->address] = r;
    arm(r);
    if (next) {
      g.reserved = next->address;
      relays_[next->address] = next;
      arm(next);
    }
    return g;
  }
  return std::nullopt;
}

void TurnRelays::close_relay(const SocketAddress& relay) {
  auto it = relays_.find(relay);
  if (it == relays_.end()) return;
  it->second->closed = true;
  it->second->socket.close();
  relays_.erase(it);
}

bool TurnRelays::send(const SocketAddress& relay, const SocketAddress& peer, ByteView data) {
  auto it = relays_.find(relay);
  if (it == relays_.end() || !it->second->socket.send_to(data, peer)) {
    ++send_failures_;
    return false;
  }
  return true;
}

void TurnRelays::arm(const std::shared_ptr<Relay>& r) {
  r->socket.async_wait_readable([this, r](std::error_code ec) {
    if (ec || r->closed) return;
    on_readable(r);
  });
}

void TurnRelays::on_readable(const std::shared_ptr<Relay>& r) {
  // Drain a few batches, then yield so one busy relay cannot starve others.
  for (int round = 0; round < 4 && !r->closed; ++round) {
    std::error_code ec;
    const std::size_t n = r->socket.receive(batch_, &ec);
    for (std::size_t i = 0; i < n && !r->closed; ++i) {
      if (batch_.truncated(i)) {
        ++truncated_;
        continue;
      }
      if (auto peer = batch_.peer(i)) on_datagram_(r->address, *peer, batch_.data(i));
    }
    if (n > 0) after_batch_();
    if (n < batch_.capacity()) break;
  }
  if (!r->closed) arm(r);
}

}  // namespace floe::io
