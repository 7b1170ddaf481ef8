// The only translation unit that includes Boost.Beast: a thin driver that
// moves bytes between sockets and the sans-IO SessionHub.
#include "signaling/server/server.hpp"

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility> in C++20.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "signaling/server/http_policy.hpp"

namespace floe::signaling {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr std::size_t kMaxStaticFile = 8 * 1024 * 1024;
constexpr std::size_t kMaxQueuedFrames = 1024;

Instant now() { return Clock::now(); }

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Where the hub's frames for one connection go.
class WsLink {
 public:
  virtual ~WsLink() = default;
  virtual void deliver(HubOutput out) = 0;
};

class ServerImpl : public Server, public std::enable_shared_from_this<ServerImpl> {
 public:
  ServerImpl(net::io_context& io, ServerConfig cfg, CallHandler& handler,
             std::shared_ptr<std::weak_ptr<ServerImpl>> self)
      : io_(io), cfg_(std::move(cfg)), hub_(hub_config(io, cfg_.hub, self), handler),
        acceptor_(io), timer_(io) {}

  static HubConfig hub_config(net::io_context& io, HubConfig c,
                              std::shared_ptr<std::weak_ptr<ServerImpl>> self) {
    // Handler events may come from media threads: hop onto the signaling thread.
    c.post = [&io, self](const CallKey& key, CallEvent ev) {
      net::post(io, [self, key, ev = std::move(ev)]() mutable {
        if (auto s = self->lock()) {
          s->hub_.deliver(now(), key, std::move(ev));
          s->pump();
        }
      });
    };
    return c;
  }

  void listen() {
    if (!cfg_.tls_certificate_file.empty() || !cfg_.tls_private_key_file.empty()) {
      ssl_.emplace(ssl::context::tls_server);
      ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      boost::system::error_code ec;
      ssl_->use_certificate_chain_file(cfg_.tls_certificate_file, ec);
      if (!ec) ssl_->use_private_key_file(cfg_.tls_private_key_file, ssl::context::pem, ec);
      if (ec)
        throw std::runtime_error("cannot load TLS certificate '" + cfg_.tls_certificate_file +
                                 "' / key '" + cfg_.tls_private_key_file + "': " + ec.message());
    }
    boost::system::error_code ec;
    auto addr = net::ip::make_address(cfg_.bind_address, ec);
    if (ec) throw std::runtime_error("bad bind address '" + cfg_.bind_address + "'");
    tcp::endpoint ep(addr, cfg_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + cfg_.bind_address + ":" +
                               std::to_string(cfg_.port) + ": " + ec.message());
    accept();
  }

  std::uint16_t port() const override { return acceptor_.local_endpoint().port(); }
  bool tls() const override { return ssl_.has_value(); }

  void ring(std::string user, std::string from, std::string offer,
            std::function<void(std::shared_ptr<CallSink>)> done) override {
    net::post(io_, [self = shared_from_this(), user = std::move(user), from = std::move(from),
                    offer = std::move(offer), done = std::move(done)] {
      auto sink = self->hub_.ring(now(), user, from, offer);
      self->pump();
      if (done) done(std::move(sink));
    });
  }

  void stop() override {
    net::post(io_, [self = shared_from_this()] {
      self->stopped_ = true;
      boost::system::error_code ec;
      self->acceptor_.close(ec);
      self->timer_.cancel();
      auto links = self->links_;
      for (auto& [id, weak] : links)
        if (auto l = weak.lock()) l->deliver({HubOutput::Kind::Close, id, "server shutting down", 1001});
    });
  }

  // ---- called by connections ----
  const ServerConfig& config() const { return cfg_; }
  ssl::context* ssl_context() { return ssl_ ? &*ssl_ : nullptr; }

  ConnectionId attach(std::shared_ptr<WsLink> link, std::string peer,
                      std::optional<std::string> token_user) {
    ConnectionId id = next_id_++;
    links_[id] = link;
    hub_.on_open(now(), id, std::move(peer), std::move(token_user));
    pump();
    return id;
  }
  void message(ConnectionId id, std::string_view text) {
    hub_.on_message(now(), id, text);
    pump();
  }
  void activity(ConnectionId id) { hub_.on_activity(now(), id); }
  void closed(ConnectionId id) {
    links_.erase(id);
    hub_.on_close(now(), id);
    pump();
  }

  // Returns a guard that counts the socket as open, or nullptr when full.
  std::shared_ptr<void> admit() {
    if (open_sockets_ >= cfg_.max_connections) return nullptr;
    ++open_sockets_;
    std::weak_ptr<ServerImpl> weak = shared_from_this();
    static int token;  // non-null, so the guard tests true; never freed
    return std::shared_ptr<void>(&token, [weak](void*) {
      if (auto s = weak.lock()) --s->open_sockets_;
    });
  }

  std::string metrics() {
    std::ostringstream m;
    m << hub_.metrics();
    m << "# TYPE floe_http_requests_total counter\nfloe_http_requests_total " << http_requests_ << "\n";
    m << "# TYPE floe_websocket_refused_total counter\n";
    m << "floe_websocket_refused_total{reason=\"origin\"} " << refused_origin_ << "\n";
    m << "floe_websocket_refused_total{reason=\"token\"} " << refused_token_ << "\n";
    m << "# TYPE floe_http_open_sockets gauge\nfloe_http_open_sockets " << open_sockets_ << "\n";
    if (cfg_.extra_metrics) m << cfg_.extra_metrics();
    return m.str();
  }

  // HTTP requests that are not upgrades.
  Response handle(const Request& req) {
    ++http_requests_;
    Response res{http::status::ok, req.version()};
    res.set(http::field::server, "floe");
    res.keep_alive(req.keep_alive());
    auto text = [&](http::status st, std::string body, std::string_view type) {
      res.result(st);
      res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
      res.set(http::field::cache_control, "no-store");
      res.body() = std::move(body);
    };
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target_path(target);
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      text(http::status::method_not_allowed, "only GET and HEAD\n", "text/plain");
      res.set(http::field::allow, "GET, HEAD");
    } else if (path == "/healthz") {
      text(http::status::ok, "ok\n", "text/plain");
    } else if (path == "/metrics") {
      text(http::status::ok, metrics(), "text/plain; version=0.0.4");
    } else if (path == "/ws") {
      text(http::status::upgrade_required, "WebSocket only\n", "text/plain");
    } else if (auto file = resolve_static(cfg_.web_root, target)) {
      std::ifstream in(*file, std::ios::binary);
      std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        text(http::status::internal_server_error, "cannot read file\n", "text/plain");
      } else if (body.size() > kMaxStaticFile) {
        text(http::status::payload_too_large, "file too large\n", "text/plain");
      } else {
        auto mime = mime_type(*file);
        res.set(http::field::content_type, beast::string_view(mime.data(), mime.size()));
        res.set(http::field::cache_control, "no-cache");
        res.set("X-Content-Type-Options", "nosniff");
        res.body() = std::move(body);
      }
    } else {
      text(http::status::not_found, "not found\n", "text/plain");
    }
    res.prepare_payload();
    if (req.method() == http::verb::head) res.body().clear();
    return res;
  }

  // Decides an upgrade before any session work: 0 when allowed, else the
  // HTTP status to refuse with. Sets `user` from a valid ?token=.
  http::status check_upgrade(const Request& req, std::optional<std::string>& user) {
    std::string_view target(req.target().data(), req.target().size());
    if (target_path(target) != "/ws") return http::status::not_found;
    auto origin = req[http::field::origin];
    auto host = req[http::field::host];
    if (!origin_allowed(cfg_.allowed_origins, std::string_view(origin.data(), origin.size()),
                        std::string_view(host.data(), host.size()), tls())) {
      ++refused_origin_;
      return http::status::forbidden;
    }
    if (cfg_.hub.auth.mode != AuthConfig::Mode::None) {
      if (auto token = query_param(target, "token")) {
        auto auth = verify_token(cfg_.hub.auth, *token, unix_now());
        if (!auth.ok) {
          ++refused_token_;
          return http::status::unauthorized;
        }
        user = auth.user;
      }
    }
    return http::status::ok;
  }

  // Sends the hub's output to the sockets and re-arms the hub timer.
  void pump() {
    while (auto out = hub_.poll_output()) {
      auto it = links_.find(out->connection);
      if (it == links_.end()) continue;
      if (auto link = it->second.lock()) link->deliver(std::move(*out));
    }
    Instant next = stopped_ ? kNever : hub_.next_timeout();
    if (next == timer_at_) return;
    timer_at_ = next;
    if (next == kNever) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(next);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto s = weak.lock();
      if (ec || !s) return;
      s->timer_at_ = kNever;
      s->hub_.handle_timeout(now());
      s->pump();
    });
  }

 private:
  void accept();

  net::io_context& io_;
  ServerConfig cfg_;
  SessionHub hub_;
  tcp::acceptor acceptor_;
  net::steady_timer timer_;
  Instant timer_at_ = kNever;
  std::optional<ssl::context> ssl_;
  std::map<ConnectionId, std::weak_ptr<WsLink>> links_;
  ConnectionId next_id_ = 1;
  std::size_t open_sockets_ = 0;
  std::uint64_t http_requests_ = 0, refused_origin_ = 0, refused_token_ = 0;
  bool stopped_ = false;
};

template <class Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

std::string peer_of(const tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  std::ostringstream o;
  o << ep;
  return o.str();
}

template <class Stream>
class WsSession : public WsLink, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, std::shared_ptr<ServerImpl> server, std::shared_ptr<void> guard,
            std::string peer, std::optional<std::string> user)
      : ws_(std::move(stream)), server_(std::move(server)), guard_(std::move(guard)),
        peer_(std::move(peer)), user_(std::move(user)) {}

  void run(Request req) {
    req_ = std::move(req);
    beast::get_lowest_layer(ws_).expires_never();
    // Keepalive and idle timeouts are the hub's; Beast only bounds the handshake.
    websocket::stream_base::timeout t{std::chrono::seconds(30), websocket::stream_base::none(), false};
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "floe"); }));
    ws_.read_message_max(server_->config().max_frame_bytes);
    std::weak_ptr<WsSession> weak = this->shared_from_this();
    ws_.control_callback([weak](websocket::frame_type, beast::string_view) {
      if (auto s = weak.lock(); s && s->id_) s->server_->activity(s->id_);
    });
    ws_.async_accept(req_, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->id_ = self->server_->attach(self, self->peer_, self->user_);
      self->read();
    });
  }

  void deliver(HubOutput out) override {
    if (gone_ || close_queued_) return;
    if (out.kind == HubOutput::Kind::Close) close_queued_ = true;
    if (queue_.size() >= kMaxQueuedFrames) {
      // A reader this slow would hold memory without bound: drop it.
      beast::get_lowest_layer(ws_).close();
      return;
    }
    queue_.push_back(std::move(out));
    write_next();
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->gone();
      std::string text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      self->server_->message(self->id_, text);
      self->read();
    });
  }

  void write_next() {
    if (writing_ || queue_.empty() || gone_) return;
    writing_ = true;
    HubOutput& f = queue_.front();
    auto done = [self = this->shared_from_this()](beast::error_code ec, std::size_t = 0) {
      self->writing_ = false;
      self->queue_.pop_front();
      if (ec) return self->gone();
      self->write_next();
    };
    switch (f.kind) {
      case HubOutput::Kind::Text:
        ws_.text(true);
        ws_.async_write(net::buffer(f.text), done);
        break;
      case HubOutput::Kind::Ping:
        ws_.async_ping({}, [done](beast::error_code ec) { done(ec); });
        break;
      case HubOutput::Kind::Close: {
        if (f.text.size() > 120) f.text.resize(120);  // RFC 6455 §5.5: 125-byte control frames
        websocket::close_reason why;
        why.code = f.close_code;
        why.reason.assign(f.text.data(), f.text.size());
        ws_.async_close(why, [self = this->shared_from_this()](beast::error_code) {
          self->writing_ = false;
          self->queue_.clear();
          self->gone();
        });
        break;
      }
    }
  }

  void gone() {
    if (gone_) return;
    gone_ = true;
    if (id_) server_->closed(id_);
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<ServerImpl> server_;
  std::shared_ptr<void> guard_;
  std::string peer_;
  std::optional<std::string> user_;
  Request req_;
  beast::flat_buffer buffer_;
  std::deque<HubOutput> queue_;
  ConnectionId id_ = 0;
  bool writing_ = false, close_queued_ = false, gone_ = false;
};

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream&& stream, std::shared_ptr<ServerImpl> server, std::shared_ptr<void> guard)
      : stream_(std::move(stream)), server_(std::move(server)), guard_(std::move(guard)) {}

  void run() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    if constexpr (kIsTls<Stream>) {
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read();
                              });
    } else {
      read();
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return shutdown();
    if (ec) return;
    Request req = parser_->release();
    if (websocket::is_upgrade(req)) return upgrade(std::move(req));
    respond(server_->handle(req));
  }

  void upgrade(Request req) {
    std::optional<std::string> user;
    auto status = server_->check_upgrade(req, user);
    if (status != http::status::ok) {
      Response res{status, req.version()};
      res.set(http::field::server, "floe");
      res.set(http::field::content_type, "text/plain");
      res.body() = std::string(http::obsolete_reason(status)) + "\n";
      res.keep_alive(false);
      res.prepare_payload();
      return respond(std::move(res));
    }
    std::string peer = peer_of(beast::get_lowest_layer(stream_).socket());
    std::make_shared<WsSession<Stream>>(std::move(stream_), server_, std::move(guard_),
                                        std::move(peer), std::move(user))
        ->run(std::move(req));
  }

  void respond(Response res) {
    auto sp = std::make_shared<Response>(std::move(res));
    http::async_write(stream_, *sp,
                      [self = this->shared_from_this(), sp](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (sp->need_eof()) return self->shutdown();
                        self->read();
                      });
  }

  void shutdown() {
    if constexpr (kIsTls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  std::shared_ptr<ServerImpl> server_;
  std::shared_ptr<void> guard_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

void ServerImpl::accept() {
  acceptor_.async_accept(io_, [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->stopped_ || ec == net::error::operation_aborted) return;
    if (!ec) {
      // Signaling sends bursts of small frames (ack, answer, candidates):
      // Nagle's algorithm would hold them back for the peer's delayed ACK.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto guard = self->admit();
      if (!guard) {
        socket.close(ignored);
      } else if (auto* ctx = self->ssl_context()) {
        std::make_shared<HttpSession<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *ctx), self,
            std::move(guard))
            ->run();
      } else {
        std::make_shared<HttpSession<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), self,
                                                         std::move(guard))
            ->run();
      }
    }
    self->accept();
  });
}

}  // namespace

std::shared_ptr<Server> Server::start(net::io_context& io, ServerConfig config, CallHandler& handler) {
  auto holder = std::make_shared<std::weak_ptr<ServerImpl>>();
  auto server = std::make_shared<ServerImpl>(io, std::move(config), handler, holder);
  *holder = server;
  server->listen();
  return server;
}

std::string default_web_root() {
  if (const char* env = std::getenv("FLOE_WEB_ROOT"); env && *env) return env;
#ifdef FLOE_DEFAULT_WEB_ROOT
  std::error_code ec;
  if (std::filesystem::is_directory(FLOE_DEFAULT_WEB_ROOT, ec)) return FLOE_DEFAULT_WEB_ROOT;
#endif
  return {};
}

int run_server(const ServerConfig& config, net::io_context& io, CallHandler& handler) {
  std::shared_ptr<Server> server;
  try {
    server = Server::start(io, config, handler);
  } catch (const std::exception& e) {
    std::cerr << "floe: signaling server: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "floe: signaling on " << (server->tls() ? "https" : "http") << "://"
            << config.bind_address << ":" << server->port() << "\n";
  io.run();
  return 0;
}

}  // namespace floe::signaling
