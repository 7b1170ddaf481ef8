#include "ice/io/stun_tcp.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <list>

#include "ice/io/stun_server.hpp"

namespace floe::io {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// RFC 8489 §6.2.2 lets servers close idle connections; this bounds how long
// a silent client holds a slot.
constexpr auto kIdleTimeout = std::chrono::seconds(30);

tcp::endpoint to_endpoint(const SocketAddress& a) {
  if (a.ip().is_v4()) {
    asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), a.ip().data(), 4);
    return {asio::ip::address_v4(b), a.port()};
  }
  asio::ip::address_v6::bytes_type b;
  std::memcpy(b.data(), a.ip().data(), 16);
  return {asio::ip::address_v6(b), a.port()};
}

std::optional<SocketAddress> from_endpoint(const tcp::endpoint& e) {
  return SocketAddress::from_sockaddr(e.data());
}

}  // namespace

struct StunTcpListener::Impl : std::enable_shared_from_this<StunTcpListener::Impl> {
  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(Impl& owner, tcp::socket s)
        : impl(owner.shared_from_this()), sock(std::move(s)), idle(sock.get_executor()) {}

    void start(const SocketAddress& p) {
      peer = p;
      in.resize(2048);
      read();
    }
    void read() {
      arm_idle();
      sock.async_read_some(asio::buffer(in.data() + have, in.size() - have),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       std::size_t n) { self->on_read(ec, n); });
    }
    void on_read(const boost::system::error_code& ec, std::size_t n) {
      if (ec || closed) return shutdown();
      have += n;
      std::size_t used = 0;
      for (;;) {
        std::size_t size = 0;
        ByteView rest(in.data() + used, have - used);
        auto status = stun::frame_stream(rest, &size);
        if (status == stun::FrameStatus::NotStun) {
          ++impl->stats.tcp_not_stun;
          return shutdown();
        }
        if (status == stun::FrameStatus::NeedMore) {
          // A header announcing more than the buffer holds grows it once;
          // STUN lengths are 16-bit, so this is bounded by 64 KiB.
          const std::size_t want = stun::Message::message_size(rest);
          if (want > in.size()) in.resize(want);
          break;
        }
        impl->engine.handle_input(Clock::now(), impl->id, peer, rest.first(size));
        if (auto tx = impl->engine.poll_output()) queue(tx->data);
        used += size;
      }
      if (used > 0) {
        std::memmove(in.data(), in.data() + used, have - used);
        have -= used;
      }
      read();
    }
    void queue(ByteView reply) {
      pending.insert(pending.end(), reply.begin(), reply.end());
      if (!writing) write();
    }
    void write() {
      if (pending.empty()) return;
      writing = true;
      std::swap(sending, pending);
      pending.clear();
      asio::async_write(sock, asio::buffer(sending),
                        [self = shared_from_this()](const boost::system::error_code& ec,
                                                    std::size_t) {
                          self->writing = false;
                          if (ec) return self->shutdown();
                          self->write();
                        });
    }
    void arm_idle() {
      idle.expires_after(kIdleTimeout);
      idle.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        if (ec) return;
        if (auto self = weak.lock()) self->shutdown();
      });
    }
    void shutdown() {
      if (closed) return;
      closed = true;
      boost::system::error_code ignored;
      sock.close(ignored);
      idle.cancel();
      impl->forget(this);
    }

    std::shared_ptr<Impl> impl;
    tcp::socket sock;
    asio::steady_timer idle;
    SocketAddress peer;
    Bytes in, pending, sending;
    std::size_t have = 0;
    bool writing = false, closed = false;
  };

  Impl(asio::io_context& io_, stun::BindingServer& e, stun::SocketId i, StunServerStats& s)
      : io(io_), acceptor(io_), engine(e), id(i), stats(s) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec,
                                                      tcp::socket s) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) self->adopt(std::move(s));
      self->accept();
    });
  }
  void adopt(tcp::socket s) {
    boost::system::error_code ec;
    auto ep = s.remote_endpoint(ec);
    auto peer = ec ? std::nullopt : from_endpoint(ep);
    if (!peer || connections.size() >= kMaxConnections) {
      ++stats.tcp_rejected;
      return;
    }
    ++stats.tcp_connections;
    auto c = std::make_shared<Connection>(*this, std::move(s));
    connections.push_back(c);
    c->start(*peer);
  }
  void forget(Connection* c) {
    connections.remove_if([c](const std::shared_ptr<Connection>& p) { return p.get() == c; });
  }
  void close() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    auto all = std::move(connections);
    connections.clear();
    for (auto& c : all) c->shutdown();
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  stun::BindingServer& engine;
  stun::SocketId id;
  StunServerStats& stats;
  std::list<std::shared_ptr<Connection>> connections;
};

StunTcpListener::StunTcpListener(asio::io_context& io, stun::BindingServer& engine,
                                 stun::SocketId id, StunServerStats& stats)
    : impl_(std::make_shared<Impl>(io, engine, id, stats)) {}

StunTcpListener::~StunTcpListener() { close(); }

std::error_code StunTcpListener::open(const SocketAddress& local, bool reuse_port) {
  boost::system::error_code ec;
  const auto ep = to_endpoint(local);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && reuse_port) {
    const int one = 1;
    if (::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec.assign(errno, boost::system::system_category());
  }
  if (!ec && local.ip().is_v6()) a.set_option(asio::ip::v6_only(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    a.close(ignored);
  }
  return std::error_code(ec.value(), std::system_category());
}

void StunTcpListener::start() { impl_->accept(); }

void StunTcpListener::close() {
  if (impl_) impl_->close();
}

}  // namespace floe::io
