#include "gateway/sip/io/transport.hpp"

#include <optional>
#include <vector>

namespace floe::sip::io {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

asio::ip::address to_asio(const IpAddress& ip) {
  if (ip.is_v4()) return asio::ip::address_v4(ip.v4_host_order());
  asio::ip::address_v6::bytes_type b;
  std::copy(ip.data(), ip.data() + 16, b.begin());
  return asio::ip::address_v6(b);
}

SocketAddress from_asio(const asio::ip::address& a, std::uint16_t port) {
  if (a.is_v4()) return SocketAddress(IpAddress::v4(a.to_v4().to_uint()), port);
  auto b = a.to_v6().to_bytes();
  return SocketAddress(IpAddress::v6(b.data()), port);
}

std::unique_ptr<tcp::acceptor> listen_on(asio::io_context& io, const tcp::endpoint& ep) {
  auto a = std::make_unique<tcp::acceptor>(io);
  a->open(ep.protocol());
  a->set_option(tcp::acceptor::reuse_address(true));
  a->bind(ep);
  a->listen();
  return a;
}

}  // namespace

// One stream connection: plain TCP uses `socket`, TLS the ssl::stream (which
// owns its own socket). Both are framed the same way (§18.3).
struct SipTransport::Connection {
  Connection(asio::io_context& io, const ParseLimits& limits) : socket(io), framer(limits) {}
  Connection(asio::io_context& io, ssl::context& ctx, const ParseLimits& limits)
      : socket(io), tls(std::in_place, io, ctx), framer(limits), transport(Transport::Tls) {}
  tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }
  template <typename F>
  void with_stream(F&& f) {
    if (tls) f(*tls);
    else f(socket);
  }

  tcp::socket socket;
  std::optional<ssl::stream<tcp::socket>> tls;
  SocketAddress peer;
  StreamFramer framer;
  Transport transport = Transport::Tcp;
  std::array<std::uint8_t, 16384> buf{};
  std::deque<Bytes> queue;  // bytes waiting for the connection or the previous write
  bool connected = false;
  bool outgoing = false;
  bool writing = false;
  Instant partial_since = kNever;  // when the framer last started holding a partial message
};

SipTransport::SipTransport(asio::io_context& io, UserAgent& ua, const SocketAddress& local,
                           bool with_tcp)
    : io_(io), ua_(ua), udp_(io), timer_(io), sweep_timer_(io) {
  udp::endpoint ep(to_asio(local.ip()), local.port());
  udp_.open(ep.protocol());
  udp_.bind(ep);
  if (with_tcp) {
    // Same port for TCP as UDP, as §18 expects of a UA listening on 5060.
    acceptor_ = listen_on(io, tcp::endpoint(to_asio(local.ip()), udp_.local_endpoint().port()));
    accept_tcp();
    sweep();
  }
  receive_udp();
}

SipTransport::SipTransport(asio::io_context& io, UserAgent& ua, const SocketAddress& local,
                           bool with_tcp, const TlsOptions& tls)
    : SipTransport(io, ua, local, with_tcp) {
  tls_ = std::make_unique<TlsContexts>(tls);
  if (tls.listen) {
    tls_acceptor_ = listen_on(io, tcp::endpoint(to_asio(local.ip()), tls.listen_port));
    ua_.set_tls_port(tls_acceptor_->local_endpoint().port());
    accept_tls();
  }
  if (!acceptor_) sweep();
}

SipTransport::~SipTransport() {
  *alive_ = false;
  close();
}

void SipTransport::close() {
  boost::system::error_code ec;
  udp_.close(ec);
  if (acceptor_) acceptor_->close(ec);
  if (tls_acceptor_) tls_acceptor_->close(ec);
  for (auto& [key, c] : connections_) c->lowest().close(ec);
  connections_.clear();
  timer_.cancel();
  sweep_timer_.cancel();
}

void SipTransport::sweep() {
  sweep_timer_.expires_after(std::min<Duration>(seconds(5), partial_timeout_ / 2));
  sweep_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    Instant now = Clock::now();
    std::vector<std::shared_ptr<Connection>> stale;
    for (auto& [key, c] : connections_)
      if (c->partial_since != kNever && now - c->partial_since > partial_timeout_)
        stale.push_back(c);
    for (auto& c : stale) {
      ++stats_.partial_timeouts;
      drop(c);
    }
    sweep();
  });
}

SocketAddress SipTransport::local_udp() const {
  auto ep = udp_.local_endpoint();
  return from_asio(ep.address(), ep.port());
}

SocketAddress SipTransport::local_tcp() const {
  if (!acceptor_) return {};
  auto ep = acceptor_->local_endpoint();
  return from_asio(ep.address(), ep.port());
}

SocketAddress SipTransport::local_tls() const {
  if (!tls_acceptor_) return {};
  auto ep = tls_acceptor_->local_endpoint();
  return from_asio(ep.address(), ep.port());
}

void SipTransport::send(Transmit t) {
  if (t.transport == Transport::Udp) {
    boost::system::error_code ec;
    udp_.send_to(asio::buffer(t.bytes),
                 udp::endpoint(to_asio(t.destination.ip()), t.destination.port()), 0, ec);
    if (ec) ++stats_.send_errors;
    else ++stats_.udp_out;
    return;
  }
  send_stream(t.transport, t.destination, std::move(t.bytes));
}

void SipTransport::kick() {
  while (auto t = ua_.poll_transmit()) send(std::move(*t));
  while (auto e = ua_.poll_event()) {
    if (on_event) on_event(*e);
    // The handler may have called the UserAgent: flush that too.
    while (auto t = ua_.poll_transmit()) send(std::move(*t));
  }
  arm_timer();
}

void SipTransport::arm_timer() {
  Instant next = ua_.next_timeout();
  if (next == armed_) return;
  armed_ = next;
  if (next == kNever) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(next);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    armed_ = kNever;
    ua_.handle_timeout(Clock::now());
    kick();
  });
}

void SipTransport::receive_udp() {
  udp_.async_receive_from(asio::buffer(udp_buf_), udp_from_,
                          [this, alive = alive_](const boost::system::error_code& ec, std::size_t n) {
                            if (!*alive || ec == asio::error::operation_aborted) return;
                            if (!ec) {
                              ++stats_.udp_in;
                              ua_.handle_input(Clock::now(), Transport::Udp,
                                               from_asio(udp_from_.address(), udp_from_.port()),
                                               ByteView(udp_buf_.data(), n));
                              kick();
                            }
                            receive_udp();
                          });
}

void SipTransport::accept_tcp() {
  auto c = std::make_shared<Connection>(io_, ua_.config().limits);
  acceptor_->async_accept(c->socket, [this, c, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    if (!ec) {
      ++stats_.tcp_accepted;
      auto ep = c->socket.remote_endpoint();
      c->peer = from_asio(ep.address(), ep.port());
      c->connected = true;
      connections_[{Transport::Tcp, c->peer}] = c;
      start_read(c);
    }
    accept_tcp();
  });
}

void SipTransport::accept_tls() {
  auto c = std::make_shared<Connection>(io_, tls_->server, ua_.config().limits);
  tls_acceptor_->async_accept(c->lowest(), [this, c, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    if (!ec) {
      boost::system::error_code rec;
      auto ep = c->lowest().remote_endpoint(rec);
      if (!rec) {
        c->peer = from_asio(ep.address(), ep.port());
        // Registered before the handshake so the partial-message sweep also
        // closes a client that connects and never finishes it.
        c->partial_since = Clock::now();
        connections_[{Transport::Tls, c->peer}] = c;
        c->tls->async_handshake(ssl::stream_base::server,
                                [this, c, alive](const boost::system::error_code& hec) {
                                  if (!*alive) return;
                                  if (hec) {
                                    ++stats_.tls_handshake_failures;
                                    drop(c);
                                    return;
                                  }
                                  ++stats_.tls_accepted;
                                  c->partial_since = kNever;
                                  on_connected(c);
                                });
      }
    }
    accept_tls();
  });
}

void SipTransport::on_connected(const std::shared_ptr<Connection>& c) {
  c->connected = true;
  start_read(c);
  write_next(c);
}

void SipTransport::start_read(const std::shared_ptr<Connection>& c) {
  auto on_read = [this, c, alive = alive_](const boost::system::error_code& ec, std::size_t n) {
    if (!*alive) return;
    if (ec) {
      drop(c);
      return;
    }
    c->framer.push(ByteView(c->buf.data(), n));
    bool progressed = false;
    while (auto msg = c->framer.next()) {
      if (c->transport == Transport::Tls) ++stats_.tls_in;
      else ++stats_.tcp_in;
      progressed = true;
      ua_.handle_input(Clock::now(), c->transport, c->peer, *msg);
    }
    if (c->framer.buffered() == 0) c->partial_since = kNever;
    else if (progressed || c->partial_since == kNever) c->partial_since = Clock::now();
    kick();
    if (c->framer.failed()) {
      // §18.3: a stream that cannot be framed cannot resynchronise.
      ++stats_.framing_errors;
      drop(c);
      return;
    }
    start_read(c);
  };
  c->with_stream([&](auto& s) { s.async_read_some(asio::buffer(c->buf), std::move(on_read)); });
}

void SipTransport::send_stream(Transport transport, const SocketAddress& to, Bytes bytes) {
  if (transport == Transport::Tls && !tls_) {
    ++stats_.send_errors;  // TLS was not configured: never fall back to plain text
    ++stats_.delivery_failures;
    ua_.handle_transport_error(Clock::now(), transport, to);  // kick() is polling: no re-entry
    return;
  }
  auto it = connections_.find({transport, to});
  if (it != connections_.end()) {
    it->second->queue.push_back(std::move(bytes));
    if (it->second->connected) write_next(it->second);
    return;
  }
  auto c = transport == Transport::Tls
               ? std::make_shared<Connection>(io_, tls_->client, ua_.config().limits)
               : std::make_shared<Connection>(io_, ua_.config().limits);
  c->peer = to;
  c->outgoing = true;
  c->queue.push_back(std::move(bytes));
  connections_[{transport, to}] = c;
  if (c->tls && !prepare_client_stream(c->tls->native_handle(), tls_->options, to)) {
    ++stats_.send_errors;
    drop(c);
    ++stats_.delivery_failures;
    ua_.handle_transport_error(Clock::now(), transport, to);
    return;
  }
  c->lowest().async_connect(
      tcp::endpoint(to_asio(to.ip()), to.port()),
      [this, c, alive = alive_](const boost::system::error_code& ec) {
        if (!*alive) return;
        if (ec) {
          ++stats_.send_errors;
          fail(c);
          return;
        }
        if (!c->tls) {
          ++stats_.tcp_connected;
          on_connected(c);
          return;
        }
        c->tls->async_handshake(ssl::stream_base::client,
                                [this, c, alive](const boost::system::error_code& hec) {
                                  if (!*alive) return;
                                  if (hec) {
                                    ++stats_.tls_handshake_failures;
                                    fail(c);
                                    return;
                                  }
                                  ++stats_.tls_connected;
                                  on_connected(c);
                                });
      });
}

void SipTransport::write_next(const std::shared_ptr<Connection>& c) {
  if (c->writing || c->queue.empty()) return;
  c->writing = true;
  auto on_written = [this, c, alive = alive_](const boost::system::error_code& ec, std::size_t) {
    if (!*alive) return;
    c->writing = false;
    if (ec) {
      ++stats_.send_errors;
      fail(c);
      return;
    }
    if (c->transport == Transport::Tls) ++stats_.tls_out;
    else ++stats_.tcp_out;
    c->queue.pop_front();
    write_next(c);
  };
  c->with_stream([&](auto& s) { asio::async_write(s, asio::buffer(c->queue.front()), std::move(on_written)); });
}

void SipTransport::fail(const std::shared_ptr<Connection>& c) {
  drop(c);
  // Only what we could not send counts: an inbound client that breaks off
  // its handshake is not worth a scan of the transactions.
  if (!c->outgoing && c->queue.empty()) return;
  ++stats_.delivery_failures;
  ua_.handle_transport_error(Clock::now(), c->transport, c->peer);
  kick();
}

void SipTransport::drop(const std::shared_ptr<Connection>& c) {
  boost::system::error_code ec;
  c->lowest().close(ec);
  auto it = connections_.find({c->transport, c->peer});
  if (it != connections_.end() && it->second == c) {
    connections_.erase(it);
    ++stats_.tcp_closed;
  }
}

}  // namespace floe::sip::io
