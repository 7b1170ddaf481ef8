#include "ice/io/turn_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <ctime>
#include <deque>
#include <unordered_map>

#include "base/random.hpp"
#include "ice/io/udp_socket.hpp"
#include "ice/turn/channel_data.hpp"

// TLS needs libssl; the build defines FLOE_TURN_TLS when it links OpenSSL::SSL.
#if FLOE_TURN_TLS
#include <boost/asio/ssl.hpp>
#endif

namespace floe::io {
namespace {

using boost::asio::ip::tcp;

std::optional<SocketAddress> from_endpoint(const tcp::endpoint& ep) {
  return SocketAddress::from_sockaddr(ep.data());
}

tcp::endpoint to_endpoint(const SocketAddress& a) {
  return tcp::endpoint(boost::asio::ip::make_address(a.ip().to_string()), a.port());
}

}  // namespace

struct TurnServerDriver::Impl : std::enable_shared_from_this<Impl> {
  struct UdpListener {
    explicit UdpListener(boost::asio::io_context& io) : socket(io) {}
    UdpSocket socket;
    SocketAddress local;
    SendBatch out{64, 2048};  // replies to clients, one sendmmsg per flush
  };
  struct TcpConn {
    explicit TcpConn(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
#if FLOE_TURN_TLS
    std::unique_ptr<boost::asio::ssl::stream<tcp::socket&>> tls;
#endif
    turn::FiveTuple tuple;
    turn::StreamFramer framer;
    std::array<std::uint8_t, 8192> rbuf{};
    std::deque<Bytes> wq;
    std::size_t wq_bytes = 0;
    bool writing = false;
    bool closed = false;
    Instant last_activity{};
  };

  Impl(boost::asio::io_context& io_, TurnServerOptions o)
      : io(io_), opt(std::move(o)), timer(io_), idle_timer(io_) {}

  boost::asio::io_context& io;
  TurnServerOptions opt;
  std::unique_ptr<TurnRelays> relays;
  std::unique_ptr<turn::TurnServer> engine;
  std::vector<std::unique_ptr<UdpListener>> udp;
  std::unordered_map<SocketAddress, UdpListener*> udp_by_local;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<bool> acceptor_tls;
#if FLOE_TURN_TLS
  std::unique_ptr<boost::asio::ssl::context> tls_ctx;
#endif
  std::unordered_map<turn::FiveTuple, std::shared_ptr<TcpConn>, turn::FiveTupleHash> conns;
  RecvBatch batch{32, 2048};
  boost::asio::steady_timer timer;
  boost::asio::steady_timer idle_timer;
  Instant armed = kNever;
  bool stopped = false;
  TurnServerStats st;

  std::optional<std::string> open(std::vector<std::string>* opened);
  void flush();
  void send_batch(UdpListener& l);
  void arm_timer();
  void arm_udp(UdpListener* l);
  void on_udp(UdpListener* l);
  std::optional<std::string> listen_tcp(const SocketAddress& addr, bool tls,
                                        std::vector<std::string>* opened);
  void accept(tcp::acceptor* a, bool tls);
  void handshake(const std::shared_ptr<TcpConn>& c);
  template <typename Handler>
  void read_some(const std::shared_ptr<TcpConn>& c, Handler&& h);
  template <typename Handler>
  void write_front(const std::shared_ptr<TcpConn>& c, Handler&& h);
  void read(const std::shared_ptr<TcpConn>& c);
  void write(const std::shared_ptr<TcpConn>& c, ByteView data);
  void do_write(const std::shared_ptr<TcpConn>& c);
  void close_conn(const std::shared_ptr<TcpConn>& c);
  void sweep_idle();
  void stop();
};

std::optional<std::string> TurnServerDriver::Impl::open(std::vector<std::string>* opened) {
  relays = std::make_unique<TurnRelays>(
      io, opt.relays,
      [this](const SocketAddress& relay, const SocketAddress& peer, ByteView data) {
        engine->handle_relay(Clock::now(), relay, peer, data);
      },
      [this] { flush(); });
  std::uint8_t secret[16];
  random_bytes(secret);
  const turn::WallClock wall{Clock::now(), static_cast<std::int64_t>(std::time(nullptr))};
  engine = std::make_unique<turn::TurnServer>(opt.engine, *relays, wall, secret);

  for (const auto& addr : opt.listen) {
    if (opt.udp) {
      auto l = std::make_unique<UdpListener>(io);
      if (auto ec = l->socket.open(addr, opt.listen_socket_buffer))
        return "udp " + addr.to_string() + ": " + ec.message();
      l->local = l->socket.local_address();
      udp_by_local[l->local] = l.get();
      if (opened) opened->push_back("udp " + l->local.to_string());
      udp.push_back(std::move(l));
    }
    if (opt.tcp)
      if (auto err = listen_tcp(addr, false, opened)) return err;
  }
  if (!opt.tls_listen.empty()) {
#if FLOE_TURN_TLS
    namespace ssl = boost::asio::ssl;
    tls_ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls_ctx->use_certificate_chain_file(opt.tls_certificate, ec);
    if (!ec) tls_ctx->use_private_key_file(opt.tls_private_key, ssl::context::pem, ec);
    if (ec) return "tls certificate/key: " + ec.message();
    for (const auto& addr : opt.tls_listen)
      if (auto err = listen_tcp(addr, true, opened)) return err;
#else
    return "this build has no TLS support (built without FLOE_TURN_TLS)";
#endif
  }
  for (auto& l : udp) arm_udp(l.get());
  for (std::size_t i = 0; i < acceptors.size(); ++i) accept(acceptors[i].get(), acceptor_tls[i]);
  if (!acceptors.empty()) sweep_idle();
  return std::nullopt;
}

std::optional<std::string> TurnServerDriver::Impl::listen_tcp(const SocketAddress& addr, bool tls,
                                                          std::vector<std::string>* opened) {
  auto a = std::make_unique<tcp::acceptor>(io);
  boost::system::error_code ec;
  const auto ep = to_endpoint(addr);
  a->open(ep.protocol(), ec);
  if (!ec) a->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && addr.ip().is_v6()) a->set_option(boost::asio::ip::v6_only(true), ec);
  if (!ec) a->bind(ep, ec);
  if (!ec) a->listen(128, ec);
  const char* kind = tls ? "tls " : "tcp ";
  if (ec) return kind + addr.to_string() + ": " + ec.message();
  if (opened) opened->push_back(kind + addr.to_string());
  acceptors.push_back(std::move(a));
  acceptor_tls.push_back(tls);
  return std::nullopt;
}

template <typename Handler>
void TurnServerDriver::Impl::read_some(const std::shared_ptr<TcpConn>& c, Handler&& h) {
#if FLOE_TURN_TLS
  if (c->tls) return c->tls->async_read_some(boost::asio::buffer(c->rbuf), std::forward<Handler>(h));
#endif
  c->socket.async_read_some(boost::asio::buffer(c->rbuf), std::forward<Handler>(h));
}

template <typename Handler>
void TurnServerDriver::Impl::write_front(const std::shared_ptr<TcpConn>& c, Handler&& h) {
#if FLOE_TURN_TLS
  if (c->tls)
    return boost::asio::async_write(*c->tls, boost::asio::buffer(c->wq.front()),
                                    std::forward<Handler>(h));
#endif
  boost::asio::async_write(c->socket, boost::asio::buffer(c->wq.front()), std::forward<Handler>(h));
}

void TurnServerDriver::Impl::handshake(const std::shared_ptr<TcpConn>& c) {
#if FLOE_TURN_TLS
  c->tls = std::make_unique<boost::asio::ssl::stream<tcp::socket&>>(c->socket, *tls_ctx);
  c->tls->async_handshake(boost::asio::ssl::stream_base::server,
                          [self = shared_from_this(), c](const boost::system::error_code& ec) {
                            if (self->stopped || c->closed) return;
                            if (ec) {
                              ++self->st.tls_handshake_failed;
                              return self->close_conn(c);
                            }
                            self->read(c);
                          });
#else
  close_conn(c);
#endif
}

void TurnServerDriver::Impl::send_batch(UdpListener& l) {
  const std::size_t queued = l.out.size();
  st.udp_send_dropped += queued - l.socket.send(l.out);
}

void TurnServerDriver::Impl::flush() {
  while (const turn::ServerOutput* o = engine->poll_output()) {
    if (o->kind == turn::ServerOutput::Kind::ToPeer) {
      if (!relays->send(o->relay, o->peer, o->data)) ++st.relay_send_dropped;
      continue;
    }
    if (o->tuple.transport == turn::Transport::Udp) {
      auto it = udp_by_local.find(o->tuple.server);
      if (it == udp_by_local.end()) {
        ++st.udp_send_dropped;
        continue;
      }
      UdpListener& l = *it->second;
      if (l.out.full()) send_batch(l);
      // Datagrams too large for a batch slot go out on their own.
      if (!l.out.push(o->data, o->tuple.client) && !l.socket.send_to(o->data, o->tuple.client))
        ++st.udp_send_dropped;
      continue;
    }
    if (auto it = conns.find(o->tuple); it != conns.end()) write(it->second, o->data);
  }
  for (auto& l : udp)
    if (!l->out.empty()) send_batch(*l);
  arm_timer();
}

void TurnServerDriver::Impl::arm_timer() {
  const Instant next = engine->next_timeout();
  if (stopped || next >= armed) return;
  armed = next;
  timer.expires_at(next);
  timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped) return;
    self->armed = kNever;
    self->engine->handle_timeout(Clock::now());
    self->flush();
  });
}

void TurnServerDriver::Impl::arm_udp(UdpListener* l) {
  l->socket.async_wait_readable([self = shared_from_this(), l](std::error_code ec) {
    if (ec || self->stopped) return;
    self->on_udp(l);
  });
}

void TurnServerDriver::Impl::on_udp(UdpListener* l) {
  for (int round = 0; round < 4; ++round) {
    std::error_code ec;
    const std::size_t n = l->socket.receive(batch, &ec);
    const Instant now = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (batch.truncated(i)) {
        ++st.udp_truncated;
        continue;
      }
      auto peer = batch.peer(i);
      if (!peer) continue;
      engine->handle_client(now, turn::FiveTuple{*peer, l->local, turn::Transport::Udp},
                            batch.data(i));
    }
    if (n > 0) flush();
    if (n < batch.capacity()) break;
  }
  arm_udp(l);
}

void TurnServerDriver::Impl::accept(tcp::acceptor* a, bool tls) {
  a->async_accept([self = shared_from_this(), a, tls](const boost::system::error_code& ec,
                                                      tcp::socket s) {
    if (self->stopped) return;
    if (!ec) {
      boost::system::error_code e1, e2;
      auto remote = from_endpoint(s.remote_endpoint(e1));
      auto local = from_endpoint(s.local_endpoint(e2));
      if (self->conns.size() >= self->opt.max_tcp_connections || e1 || e2 || !remote || !local) {
        ++self->st.tcp_rejected;
        s.close(e1);
      } else {
        s.set_option(tcp::no_delay(true), e1);
        auto c = std::make_shared<TcpConn>(std::move(s));
        c->tuple = turn::FiveTuple{*remote, *local,
                                   tls ? turn::Transport::Tls : turn::Transport::Tcp};
        c->last_activity = Clock::now();
        self->conns[c->tuple] = c;
        ++self->st.tcp_connections;
        if (tls)
          self->handshake(c);
        else
          self->read(c);
      }
    }
    self->accept(a, tls);
  });
}

void TurnServerDriver::Impl::read(const std::shared_ptr<TcpConn>& c) {
  read_some(
      c, [self = shared_from_this(), c](const boost::system::error_code& ec, std::size_t n) {
        if (self->stopped || c->closed) return;
        if (ec || !c->framer.append(ByteView(c->rbuf.data(), n))) return self->close_conn(c);
        const Instant now = Clock::now();
        c->last_activity = now;
        for (;;) {
          turn::FrameKind kind;
          bool invalid = false;
          ByteView frame = c->framer.front(&kind, &invalid);
          if (invalid) {
            ++self->st.tcp_bad_stream;
            return self->close_conn(c);
          }
          if (frame.empty()) break;
          self->engine->handle_client(now, c->tuple, frame);
          c->framer.pop();
        }
        self->flush();
        if (!c->closed) self->read(c);
      });
}

void TurnServerDriver::Impl::write(const std::shared_ptr<TcpConn>& c, ByteView data) {
  if (c->closed) return;
  if (c->wq_bytes + data.size() > opt.tcp_write_limit) {
    ++st.tcp_write_dropped;
    return;
  }
  c->wq.emplace_back(data.begin(), data.end());
  c->wq_bytes += data.size();
  if (!c->writing) do_write(c);
}

void TurnServerDriver::Impl::do_write(const std::shared_ptr<TcpConn>& c) {
  c->writing = true;
  write_front(
      c, [self = shared_from_this(), c](const boost::system::error_code& ec, std::size_t) {
        c->writing = false;
        if (c->closed || self->stopped) return;
        if (ec) return self->close_conn(c);
        c->wq_bytes -= c->wq.front().size();
        c->wq.pop_front();
        if (!c->wq.empty()) self->do_write(c);
      });
}

void TurnServerDriver::Impl::close_conn(const std::shared_ptr<TcpConn>& c) {
  if (c->closed) return;
  c->closed = true;
  boost::system::error_code ignored;
  c->socket.close(ignored);
  conns.erase(c->tuple);
  engine->handle_connection_closed(Clock::now(), c->tuple);
  flush();
}

// A TCP connection must carry an allocation: one without any for
// opt.tcp_idle_timeout (never allocated, or its allocation expired) is closed,
// so idle or half-open connections cannot pile up.
void TurnServerDriver::Impl::sweep_idle() {
  const Instant now = Clock::now();
  std::vector<std::shared_ptr<TcpConn>> idle;
  for (auto& [t, c] : conns)
    if (!engine->find_allocation(t) && now - c->last_activity > opt.tcp_idle_timeout)
      idle.push_back(c);
  for (auto& c : idle) {
    ++st.tcp_idle_closed;
    close_conn(c);
  }
  idle_timer.expires_after(std::min<Duration>(opt.tcp_idle_timeout / 3, seconds(10)));
  idle_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->stopped) self->sweep_idle();
  });
}

void TurnServerDriver::Impl::stop() {
  if (stopped) return;
  stopped = true;
  boost::system::error_code ignored;
  timer.cancel();
  idle_timer.cancel();
  for (auto& l : udp) l->socket.close();
  for (auto& a : acceptors) a->close(ignored);
  for (auto& [t, c] : conns) {
    c->closed = true;
    c->socket.close(ignored);
  }
  conns.clear();
  if (relays) relays->close_all();
}

TurnServerDriver::TurnServerDriver(boost::asio::io_context& io) : io_(io) {}

TurnServerDriver::~TurnServerDriver() { stop(); }

std::optional<std::string> TurnServerDriver::start(const TurnServerOptions& options,
                                                   std::vector<std::string>* opened) {
  stop();
  impl_ = std::make_shared<Impl>(io_, options);
  if (auto err = impl_->open(opened)) {
    impl_->stop();
    impl_.reset();
    return err;
  }
  return std::nullopt;
}

void TurnServerDriver::stop() {
  if (impl_) impl_->stop();
}

TurnServerStats TurnServerDriver::stats() const {
  if (!impl_ || !impl_->engine) return {};
  TurnServerStats s = impl_->st;
  s.engine = impl_->engine->counters();
  s.allocations = impl_->engine->allocation_count();
  s.relays_open = impl_->relays->open_count();
  return s;
}

std::string to_prometheus(const TurnServerStats& s) {
  std::string out;
  auto line = [&](const char* name, std::uint64_t v, const char* labels = "") {
    out += "floe_turn_";
    out += name;
    out += labels;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  const auto& e = s.engine;
  line("allocations", s.allocations);
  line("relays_open", s.relays_open);
  line("requests_total", e.requests);
  line("allocations_created_total", e.allocations_created);
  line("allocations_deleted_total", e.allocations_deleted);
  line("allocations_expired_total", e.allocations_expired);
  line("permissions_created_total", e.permissions_created);
  line("channels_bound_total", e.channels_bound);
  line("auth_challenges_total", e.auth_challenges);
  line("auth_failures_total", e.auth_failures);
  line("rest_expired_total", e.rest_expired);
  line("stale_nonces_total", e.stale_nonces);
  line("refused_total", e.quota_user, "{reason=\"user_quota\"}");
  line("refused_total", e.quota_total, "{reason=\"total_quota\"}");
  line("refused_total", e.relay_unavailable, "{reason=\"relay_unavailable\"}");
  for (std::size_t i = 1; i < e.denied_peers.size(); ++i) {
    const std::string labels = std::string("{reason=\"peer_") +
                               turn::to_string(static_cast<turn::PeerDenial>(i)) + "\"}";
    line("refused_total", e.denied_peers[i], labels.c_str());
  }
  for (std::size_t i = 0; i < turn::kErrorCodes.size(); ++i) {
    const std::string labels = "{code=\"" + std::to_string(turn::kErrorCodes[i]) + "\"}";
    line("errors_sent_total", e.errors_by_code[i], labels.c_str());
  }
  line("relayed_packets_total", e.to_peer_packets, "{direction=\"to_peer\"}");
  line("relayed_bytes_total", e.to_peer_bytes, "{direction=\"to_peer\"}");
  line("relayed_packets_total", e.to_client_packets, "{direction=\"to_client\"}");
  line("relayed_bytes_total", e.to_client_bytes, "{direction=\"to_client\"}");
  line("dropped_total", e.dropped_malformed, "{reason=\"malformed\"}");
  line("dropped_total", e.dropped_no_allocation, "{reason=\"no_allocation\"}");
  line("dropped_total", e.dropped_no_permission, "{reason=\"no_permission\"}");
  line("dropped_total", e.dropped_no_channel, "{reason=\"no_channel\"}");
  line("dropped_total", e.dropped_bandwidth, "{reason=\"bandwidth\"}");
  line("dropped_total", s.udp_send_dropped, "{reason=\"udp_send\"}");
  line("dropped_total", s.relay_send_dropped, "{reason=\"relay_send\"}");
  line("dropped_total", s.tcp_write_dropped, "{reason=\"tcp_backlog\"}");
  line("tcp_connections_total", s.tcp_connections);
  line("tcp_rejected_total", s.tcp_rejected);
  line("tcp_bad_stream_total", s.tcp_bad_stream);
  line("tcp_idle_closed_total", s.tcp_idle_closed);
  line("tls_handshake_failed_total", s.tls_handshake_failed);
  return out;
}

}  // namespace floe::io
