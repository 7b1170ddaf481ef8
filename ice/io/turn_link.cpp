#include "ice/io/turn_link.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>
#include <netdb.h>
#include <openssl/ssl.h>

#include <array>
#include <cstring>
#include <deque>

#include "ice/turn/auth.hpp"
#include "ice/turn/channel_data.hpp"

#if FLOE_TURN_TLS
#include <boost/asio/ssl.hpp>
#endif

namespace floe::io {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

template <typename Endpoint>
Endpoint endpoint_of(const SocketAddress& a) {
  sockaddr_storage ss{};
  const unsigned len = a.to_sockaddr(&ss);
  Endpoint ep;
  ep.resize(len);
  std::memcpy(ep.data(), &ss, len);
  return ep;
}

template <typename Endpoint>
std::optional<SocketAddress> address_of(const Endpoint& ep) {
  return SocketAddress::from_sockaddr(ep.data());
}

std::optional<SocketAddress> resolve(const std::string& host, std::uint16_t port) {
  if (auto ip = IpAddress::parse(host)) return SocketAddress(*ip, port);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return std::nullopt;
  std::optional<SocketAddress> out;
  for (auto* p = res; p && !out; p = p->ai_next)
    if (auto a = SocketAddress::from_sockaddr(p->ai_addr)) out = SocketAddress(a->ip(), port);
  ::freeaddrinfo(res);
  return out;
}

}  // namespace

turn::ClientConfig TurnServerSpec::client_config(std::int64_t unix_now) const {
  turn::ClientConfig c;
  c.server = server;
  c.transport = transport;
  c.username = username;
  c.password = password;
  if (!rest_secret.empty()) {
    auto r = turn::make_rest_credentials(rest_secret, username.empty() ? "floe" : username,
                                         unix_now, rest_ttl);
    c.username = std::move(r.username);
    c.password = std::move(r.password);
  }
  return c;
}

std::optional<TurnServerSpec> parse_turn_url(std::string_view url, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<TurnServerSpec> {
    if (error) *error = why;
    return std::nullopt;
  };
  TurnServerSpec s;
  bool secure = false;
  if (url.starts_with("turns:")) {
    secure = true;
    url.remove_prefix(6);
  } else if (url.starts_with("turn:")) {
    url.remove_prefix(5);
  } else {
    return fail("a TURN URL starts with turn: or turns:");
  }
  std::string_view query;
  if (auto q = url.find('?'); q != std::string_view::npos) {
    query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  std::string host;
  std::uint16_t port = secure ? 5349 : 3478;
  std::string_view port_text;
  if (url.starts_with('[')) {  // IPv6 literal
    const auto close = url.find(']');
    if (close == std::string_view::npos) return fail("unclosed [ in the TURN URL");
    host = std::string(url.substr(1, close - 1));
    if (close + 1 < url.size()) {
      if (url[close + 1] != ':') return fail("junk after ] in the TURN URL");
      port_text = url.substr(close + 2);
    }
  } else {
    const auto colon = url.rfind(':');
    host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) port_text = url.substr(colon + 1);
  }
  if (host.empty()) return fail("no host in the TURN URL");
  if (!port_text.empty()) {
    unsigned v = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || (v = v * 10 + static_cast<unsigned>(c - '0')) > 65535)
        return fail("bad port in the TURN URL");
    }
    if (v == 0) return fail("bad port in the TURN URL");
    port = static_cast<std::uint16_t>(v);
  }
  s.transport = secure ? turn::Transport::Tls : turn::Transport::Udp;
  if (!query.empty()) {
    if (query == "transport=tcp") s.transport = secure ? turn::Transport::Tls : turn::Transport::Tcp;
    else if (query == "transport=udp" && !secure) s.transport = turn::Transport::Udp;
    else return fail("unsupported TURN URL query '" + std::string(query) + "'");
  }
  auto addr = resolve(host, port);
  if (!addr) return fail("cannot resolve TURN server host '" + host + "'");
  s.server = *addr;
  if (!IpAddress::parse(host)) s.server_name = host;
  return s;
}

std::string to_url(const TurnServerSpec& s) {
  const bool tls = s.transport == turn::Transport::Tls;
  std::string host = !s.server_name.empty() ? s.server_name
                     : s.server.ip().is_v6() ? "[" + s.server.ip().to_string() + "]"
                                             : s.server.ip().to_string();
  return std::string(tls ? "turns:" : "turn:") + host + ":" + std::to_string(s.server.port()) +
         (s.transport == turn::Transport::Udp ? "?transport=udp" : "?transport=tcp");
}

struct TurnLink::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, TurnServerSpec s, Receive r, Closed c)
      : spec(std::move(s)), on_receive(std::move(r)), on_closed(std::move(c)), udp_socket(io),
        tcp_socket(io) {}

  TurnServerSpec spec;
  Receive on_receive;
  Closed on_closed;
  udp::socket udp_socket;
  tcp::socket tcp_socket;
#if FLOE_TURN_TLS
  std::unique_ptr<asio::ssl::context> tls_ctx;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;
#endif
  turn::StreamFramer framer;
  std::deque<Bytes> wq;
  std::size_t queued = 0;
  bool writing = false;
  bool is_connected = false;
  bool closed = false;
  std::optional<SocketAddress> local;
  TurnLinkStats stats;
  // Room after each delivered frame for in-place work (SRTP adds a tag).
  std::array<std::uint8_t, 65536 + 256> rbuf{};
  std::array<std::uint8_t, 65536 + 256> frame{};

  bool stream() const { return turn::is_stream(spec.transport); }

  std::optional<std::string> open(const std::optional<IpAddress>& local_ip) {
    boost::system::error_code ec;
    SocketAddress bind_to = local_ip ? SocketAddress(*local_ip, 0)
                                     : SocketAddress(spec.server.family() == Family::V4
                                                         ? *IpAddress::parse("0.0.0.0")
                                                         : *IpAddress::parse("::"),
                                                     0);
    if (local_ip && local_ip->family() != spec.server.family())
      return "local address and TURN server differ in family";
    if (!stream()) {
      udp_socket.open(spec.server.family() == Family::V4 ? udp::v4() : udp::v6(), ec);
      if (!ec) udp_socket.bind(endpoint_of<udp::endpoint>(bind_to), ec);
      // Connected: the kernel drops datagrams from anyone but the server.
      if (!ec) udp_socket.connect(endpoint_of<udp::endpoint>(spec.server), ec);
      if (ec) return "TURN server " + spec.server.to_string() + ": " + ec.message();
      local = address_of(udp_socket.local_endpoint(ec));
      is_connected = true;
      read();
      return std::nullopt;
    }
    if (spec.transport == turn::Transport::Tls) {
#if FLOE_TURN_TLS
      namespace ssl = asio::ssl;
      tls_ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1);
      if (spec.verify) {
        if (spec.ca_file.empty()) tls_ctx->set_default_verify_paths(ec);
        else tls_ctx->load_verify_file(spec.ca_file, ec);
        if (ec) return "TURN TLS trust store: " + ec.message();
        tls_ctx->set_verify_mode(ssl::verify_peer);
      } else {
        tls_ctx->set_verify_mode(ssl::verify_none);
      }
      tls = std::make_unique<ssl::stream<tcp::socket&>>(tcp_socket, *tls_ctx);
      if (!spec.server_name.empty()) {
        SSL_set_tlsext_host_name(tls->native_handle(), spec.server_name.c_str());
        if (spec.verify) tls->set_verify_callback(ssl::host_name_verification(spec.server_name));
      }
#else
      return "this build has no TLS support (built without FLOE_TURN_TLS)";
#endif
    }
    tcp_socket.open(spec.server.family() == Family::V4 ? tcp::v4() : tcp::v6(), ec);
    if (!ec) tcp_socket.bind(endpoint_of<tcp::endpoint>(bind_to), ec);
    if (ec) return "TURN server " + spec.server.to_string() + ": " + ec.message();
    tcp_socket.async_connect(endpoint_of<tcp::endpoint>(spec.server),
                             [self = shared_from_this()](const boost::system::error_code& e) {
                               self->on_connect(e);
                             });
    return std::nullopt;
  }

  void on_connect(const boost::system::error_code& ec) {
    if (closed) return;
    if (ec) return fail("connect: " + ec.message());
    boost::system::error_code ignored;
    tcp_socket.set_option(tcp::no_delay(true), ignored);
    local = address_of(tcp_socket.local_endpoint(ignored));
#if FLOE_TURN_TLS
    if (tls) {
      tls->async_handshake(asio::ssl::stream_base::client,
                           [self = shared_from_this()](const boost::system::error_code& e) {
                             if (self->closed) return;
                             if (e) return self->fail("TLS handshake: " + e.message());
                             self->ready();
                           });
      return;
    }
#endif
    ready();
  }

  void ready() {
    is_connected = true;
    read();
    write_next();
  }

  void fail(const std::string& why) {
    if (closed) return;
    auto cb = std::move(on_closed);
    shutdown();
    if (cb) cb(why);
  }

  void shutdown() {
    closed = true;
    on_receive = nullptr;
    on_closed = nullptr;
    boost::system::error_code ignored;
    udp_socket.close(ignored);
    tcp_socket.close(ignored);
    wq.clear();
  }

  template <typename Handler>
  void read_some(Handler&& h) {
#if FLOE_TURN_TLS
    if (tls) return tls->async_read_some(asio::buffer(rbuf.data(), 65536), std::forward<Handler>(h));
#endif
    tcp_socket.async_read_some(asio::buffer(rbuf.data(), 65536), std::forward<Handler>(h));
  }

  void read() {
    auto handler = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
      if (self->closed) return;
      if (ec) {
        // A UDP error (ICMP port unreachable) is not the end of the link.
        if (!self->stream() && ec != asio::error::operation_aborted) return self->read();
        return self->fail(ec == asio::error::eof ? "closed by the server" : ec.message());
      }
      self->deliver(n);
      if (!self->closed) self->read();
    };
    if (stream()) read_some(handler);
    else udp_socket.async_receive(asio::buffer(rbuf.data(), 65536), handler);
  }

  void deliver(std::size_t n) {
    if (!stream()) {
      ++stats.frames_in;
      if (on_receive) on_receive(std::span(rbuf.data(), n), rbuf.size() - n);
      return;
    }
    if (!framer.append(ByteView(rbuf.data(), n))) {
      ++stats.bad_stream;
      return fail("TURN stream overflow");
    }
    turn::FrameKind kind;
    bool invalid = false;
    for (ByteView f; !closed && !(f = framer.front(&kind, &invalid)).empty();) {
      const std::size_t len = std::min(f.size(), frame.size());
      std::memcpy(frame.data(), f.data(), len);
      framer.pop();
      ++stats.frames_in;
      // The callback may close the link (and clear itself): keep a copy.
      if (auto cb = on_receive) cb(std::span(frame.data(), len), frame.size() - len);
    }
    if (invalid) {
      ++stats.bad_stream;
      fail("garbage on the TURN stream");
    }
  }

  void send(ByteView b) {
    if (closed) {
      ++stats.write_dropped;
      return;
    }
    if (!stream()) {
      boost::system::error_code ec;
      udp_socket.send(asio::buffer(b.data(), b.size()), 0, ec);
      if (!ec) stats.bytes_out += b.size();
      return;
    }
    if (queued + b.size() > kWriteQueueLimit) {
      ++stats.write_dropped;
      return;
    }
    wq.emplace_back(b.begin(), b.end());
    queued += b.size();
    write_next();
  }

  template <typename Handler>
  void write_front(Handler&& h) {
#if FLOE_TURN_TLS
    if (tls) return asio::async_write(*tls, asio::buffer(wq.front()), std::forward<Handler>(h));
#endif
    asio::async_write(tcp_socket, asio::buffer(wq.front()), std::forward<Handler>(h));
  }

  void write_next() {
    if (writing || !is_connected || closed || wq.empty()) return;
    writing = true;
    write_front([self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
      self->writing = false;
      if (self->closed) return;
      if (ec) return self->fail("write: " + ec.message());
      self->stats.bytes_out += n;
      self->queued -= self->wq.front().size();
      self->wq.pop_front();
      self->write_next();
    });
  }
};

TurnLink::TurnLink(asio::io_context& io, TurnServerSpec spec, Receive on_receive, Closed on_closed)
    : impl_(std::make_shared<Impl>(io, std::move(spec), std::move(on_receive),
                                   std::move(on_closed))) {}

TurnLink::~TurnLink() { close(); }

std::optional<std::string> TurnLink::open(const std::optional<IpAddress>& local_ip) {
  return impl_->open(local_ip);
}
void TurnLink::send(ByteView bytes) { impl_->send(bytes); }
void TurnLink::close() {
  if (!impl_->closed) impl_->shutdown();
}
const TurnServerSpec& TurnLink::spec() const { return impl_->spec; }
std::optional<SocketAddress> TurnLink::local_address() const { return impl_->local; }
bool TurnLink::connected() const { return impl_->is_connected && !impl_->closed; }
const TurnLinkStats& TurnLink::stats() const { return impl_->stats; }

}  // namespace floe::io
