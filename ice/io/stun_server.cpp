#include "ice/io/stun_server.hpp"

#include "ice/io/stun_tcp.hpp"
#include "ice/io/udp_socket.hpp"

namespace floe::io {
namespace {

// Each readiness event drains at most this many batches before yielding to
// the other listeners, so one busy socket cannot starve the rest.
constexpr int kBatchesPerWakeup = 8;

struct Role {
  bool alt_ip, alt_port;
};
constexpr Role kRoles[4] = {{false, false}, {false, true}, {true, false}, {true, true}};

const char* role_name(const Role& r) {
  if (!r.alt_ip) return r.alt_port ? "primary IP, alternate port" : "primary";
  return r.alt_port ? "alternate IP and port" : "alternate IP, primary port";
}

}  // namespace

struct StunServer::Impl {
  struct UdpListener {
    UdpListener(boost::asio::io_context& io, std::size_t batch) : socket(io), out(batch) {}
    UdpSocket socket;
    SendBatch out;
  };

  Impl(boost::asio::io_context& io_, const StunServerOptions& o)
      : io(io_), engine(stun::ServerConfig{o.software}), in(o.batch) {}

  void wait(std::size_t index) {
    udp_by_id[index]->socket.async_wait_readable([this, index](std::error_code ec) {
      if (ec || stopped) return;
      on_readable(index);
      wait(index);
    });
  }

  void on_readable(std::size_t index) {
    UdpListener& l = *udp_by_id[index];
    const auto id = static_cast<stun::SocketId>(index);
    for (int round = 0; round < kBatchesPerWakeup; ++round) {
      const std::size_t n = l.socket.receive(in);
      if (n == 0) break;
      const Instant now = Clock::now();
      for (std::size_t i = 0; i < n; ++i) {
        if (in.truncated(i)) {
          ++stats.udp_truncated;
          continue;
        }
        auto peer = in.peer(i);
        if (!peer) continue;
        engine.handle_input(now, id, *peer, in.data(i));
        auto tx = engine.poll_output();
        if (!tx) continue;
        UdpListener* out = tx->socket < udp_by_id.size() ? udp_by_id[tx->socket] : nullptr;
        if (!out) continue;
        if (out->out.full()) flush(*out);
        // A wildcard listener answers from the address it was asked on, or a
        // multi-homed host's reply would come from an IP the client's NAT
        // never saw (and drop).
        const auto source = tx->socket == id ? in.local_ip(i) : std::nullopt;
        const bool queued = source ? out->out.push(tx->data, tx->to, *source)
                                   : out->out.push(tx->data, tx->to);
        if (!queued) ++stats.udp_send_dropped;
      }
      for (UdpListener* u : udp_by_id)
        if (u && !u->out.empty()) flush(*u);
      if (n < in.capacity()) break;
    }
  }

  void flush(UdpListener& l) {
    const std::size_t queued = l.out.size();
    stats.udp_send_dropped += queued - l.socket.send(l.out);
  }

  // Registers one socket with the engine and opens it; ids follow the
  // order of registration, so udp_by_id/tcp entries line up with them.
  std::optional<std::string> open_one(const SocketAddress& local, stun::Transport t,
                                      std::uint16_t group, Role role, bool rfc5780,
                                      const StunServerOptions& o,
                                      std::vector<std::string>* opened) {
    const bool udp = t == stun::Transport::Udp;
    const char* proto = udp ? "udp" : "tcp";
    std::error_code ec;
    std::unique_ptr<UdpListener> u;
    std::unique_ptr<StunTcpListener> tl;
    const auto id = static_cast<stun::SocketId>(engine.socket_count());
    if (udp) {
      u = std::make_unique<UdpListener>(io, o.batch);
      ec = u->socket.open(local, 4 << 20, o.reuse_port);
    } else {
      tl = std::make_unique<StunTcpListener>(io, engine, id, stats);
      ec = tl->open(local, o.reuse_port);
    }
    if (ec) return std::string(proto) + " " + local.to_string() + ": " + ec.message();
    engine.add_socket({local, t, group, role.alt_ip, role.alt_port});
    udp_by_id.push_back(u.release());
    tcp.push_back(std::move(tl));
    if (opened) {
      std::string line = std::string(proto) + " " + local.to_string();
      if (rfc5780) line += std::string(" (RFC 5780 ") + role_name(role) + ")";
      opened->push_back(line);
    }
    return std::nullopt;
  }

  void close_all() {
    stopped = true;
    for (auto* u : udp_by_id) delete u;
    udp_by_id.clear();
    for (auto& t : tcp)
      if (t) t->close();
    tcp.clear();
  }

  boost::asio::io_context& io;
  stun::BindingServer engine;
  RecvBatch in;
  std::vector<UdpListener*> udp_by_id;  // indexed by engine SocketId; null for TCP
  std::vector<std::unique_ptr<StunTcpListener>> tcp;  // indexed likewise; null for UDP
  StunServerStats stats;
  bool stopped = false;
};

StunServer::StunServer(boost::asio::io_context& io) : io_(io) {}
StunServer::~StunServer() { stop(); }

std::optional<std::string> StunServer::start(const StunServerOptions& o,
                                             std::vector<std::string>* opened) {
  stop();
  impl_ = std::make_unique<Impl>(io_, o);
  if (o.alt_port && !o.alt_ip) return "--alt-port needs --alt-ip (RFC 5780 needs two IPs)";
  std::uint16_t group = 0;
  std::size_t failures = 0;
  for (const SocketAddress& primary : o.listen) {
    const bool rfc5780 = o.alt_ip && o.alt_ip->family() == primary.family();
    if (rfc5780 && (primary.ip().is_unspecified() || primary.port() == 0))
      return "RFC 5780 needs a concrete listen address and port, not " + primary.to_string();
    if (rfc5780 && *o.alt_ip == primary.ip())
      return "--alt-ip must differ from the listen address " + primary.ip().to_string();
    const std::uint16_t alt_port =
        o.alt_port.value_or(static_cast<std::uint16_t>(primary.port() + 1));
    if (rfc5780 && alt_port == primary.port()) return "--alt-port must differ from the port";
    for (auto t : {stun::Transport::Udp, stun::Transport::Tcp}) {
      if ((t == stun::Transport::Udp && !o.udp) || (t == stun::Transport::Tcp && !o.tcp))
        continue;
      for (const Role& role : kRoles) {
        if (!rfc5780 && (role.alt_ip || role.alt_port)) continue;
        SocketAddress local(role.alt_ip ? *o.alt_ip : primary.ip(),
                            role.alt_port ? alt_port : primary.port());
        auto err = impl_->open_one(local, t, group, role, rfc5780, o, opened);
        if (!err) continue;
        // A group is all or nothing: RFC 5780 with three sockets would lie.
        if (!o.skip_unavailable || rfc5780) {
          impl_->close_all();
          impl_.reset();
          return err;
        }
        ++failures;
        if (opened) opened->push_back("skipped " + *err);
      }
    }
    ++group;
  }
  if (impl_->engine.socket_count() == 0) {
    impl_.reset();
    return failures ? "no listener could be opened" : "nothing to listen on";
  }
  for (std::size_t i = 0; i < impl_->udp_by_id.size(); ++i) {
    if (impl_->udp_by_id[i]) impl_->wait(i);
    if (impl_->tcp[i]) impl_->tcp[i]->start();
  }
  return std::nullopt;
}

void StunServer::stop() {
  if (!impl_) return;
  impl_->close_all();
  // Handlers already queued for the closed sockets still reference impl_;
  // keep it alive until the io_context is done with them.
  retired_.push_back(std::move(impl_));
}

StunServerStats StunServer::stats() const {
  const Impl* i = impl_ ? impl_.get() : (retired_.empty() ? nullptr : retired_.back().get());
  if (!i) return {};
  StunServerStats s = i->stats;
  s.engine = i->engine.counters();
  return s;
}

}  // namespace floe::io
