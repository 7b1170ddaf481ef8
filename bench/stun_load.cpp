// stun_load: a STUN Binding load client. It keeps a window of requests in
// flight on each of a few UDP sockets (sendmmsg/recvmmsg batches), every
// request with a fresh transaction id, and counts the valid responses per
// second over a fixed duration. A response is valid when it is a Binding
// success for a transaction we sent whose XOR-MAPPED-ADDRESS is the
// sending socket's address.
//
//   stun_load --server 127.0.0.1:3478 [--duration 5] [--sockets 8]
//             [--window 128] [--batch 64] [--warmup 1]
#include <poll.h>

#include <boost/asio/io_context.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "base/random.hpp"
#include "base/time.hpp"
#include "ice/io/udp_socket.hpp"
#include "ice/stun/message.hpp"

using namespace floe;

namespace {

struct Options {
  SocketAddress server;
  double duration_s = 5;
  double warmup_s = 1;
  std::size_t sockets = 8;
  std::size_t window = 128;
  std::size_t batch = 64;
};

// Outstanding requests are not tracked one by one: the window refills when
// responses arrive, and a socket that hears nothing for this long assumes
// its window was lost (server overload drops) and starts over.
constexpr auto kStall = std::chrono::milliseconds(5);

struct Flow {
  std::unique_ptr<io::UdpSocket> socket;
  SocketAddress local;
  std::size_t outstanding = 0;
  Instant last_progress{};
  std::uint32_t sequence = 0;
};

bool parse_args(int argc, char** argv, Options* o) {
  bool have_server = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) return false;
    std::string_view v = argv[++i];
    auto number = [&](auto* out) {
      return std::from_chars(v.data(), v.data() + v.size(), *out).ec == std::errc();
    };
    bool ok = true;
    if (a == "--server") {
      auto s = SocketAddress::parse(v, 3478);
      ok = s.has_value();
      if (ok) o->server = *s, have_server = true;
    } else if (a == "--duration") {
      o->duration_s = std::atof(argv[i]);
      ok = o->duration_s > 0;
    } else if (a == "--warmup") {
      o->warmup_s = std::atof(argv[i]);
      ok = o->warmup_s >= 0;
    } else if (a == "--sockets") {
      ok = number(&o->sockets) && o->sockets > 0 && o->sockets <= 256;
    } else if (a == "--window") {
      ok = number(&o->window) && o->window > 0;
    } else if (a == "--batch") {
      ok = number(&o->batch) && o->batch > 0 && o->batch <= 1024;
    } else {
      ok = false;
    }
    if (!ok) return false;
  }
  return have_server;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: stun_load --server IP:PORT [--duration S] [--warmup S] [--sockets N] "
                 "[--window N] [--batch N]\n");
    return 2;
  }
  boost::asio::io_context io;  // only owns the descriptors; never run
  std::vector<Flow> flows(o.sockets);
  std::vector<pollfd> fds(o.sockets);
  const IpAddress any = o.server.ip().is_v4() ? *IpAddress::parse("0.0.0.0") : *IpAddress::parse("::");
  const IpAddress local_ip = o.server.ip().is_loopback() ? o.server.ip() : any;
  for (std::size_t i = 0; i < o.sockets; ++i) {
    flows[i].socket = std::make_unique<io::UdpSocket>(io);
    if (auto ec = flows[i].socket->open(SocketAddress(local_ip, 0), 8 << 20)) {
      std::fprintf(stderr, "stun_load: bind: %s\n", ec.message().c_str());
      return 1;
    }
    flows[i].local = flows[i].socket->local_address();
    fds[i] = {flows[i].socket->native_handle(), POLLIN, 0};
  }

  // Transaction id: 4 bytes of run nonce, 4 of flow index, 4 of sequence.
  std::uint8_t nonce[4];
  random_bytes(nonce);
  io::SendBatch out(o.batch, 64);
  io::RecvBatch in(o.batch, 1500);
  Bytes request;
  request.reserve(64);

  const Instant t0 = Clock::now();
  const Instant measure_from = t0 + std::chrono::duration_cast<Duration>(
                                           std::chrono::duration<double>(o.warmup_s));
  const Instant end = measure_from + std::chrono::duration_cast<Duration>(
                                         std::chrono::duration<double>(o.duration_s));
  std::uint64_t sent = 0, valid = 0, invalid = 0, measured = 0, stalls = 0;
  for (auto& f : flows) f.last_progress = t0;

  for (Instant now = t0; now < end; now = Clock::now()) {
    for (std::size_t i = 0; i < flows.size(); ++i) {
      Flow& f = flows[i];
      if (f.outstanding > 0 && now - f.last_progress > kStall) {
        f.outstanding = 0;
        ++stalls;
      }
      const bool was_idle = f.outstanding == 0;
      std::size_t room = o.window - std::min(o.window, f.outstanding);
      while (room > 0) {
        const std::size_t n = std::min(room, o.batch);
        for (std::size_t k = 0; k < n; ++k) {
          stun::TransactionId tid;
          std::memcpy(tid.data(), nonce, 4);
          store_be32(tid.data() + 4, static_cast<std::uint32_t>(i));
          store_be32(tid.data() + 8, f.sequence++);
          stun::MessageBuilder(request, stun::Class::Request, stun::method::Binding, tid);
          out.push(request, o.server);
        }
        const std::size_t ok = f.socket->send(out);
        sent += ok;
        f.outstanding += ok;
        room -= n;
        if (ok < n) break;  // kernel buffer full: let responses drain first
      }
      if (was_idle && f.outstanding > 0) f.last_progress = now;
    }
    if (::poll(fds.data(), fds.size(), 1) <= 0) continue;
    now = Clock::now();
    for (std::size_t i = 0; i < flows.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      Flow& f = flows[i];
      while (std::size_t n = f.socket->receive(in)) {
        for (std::size_t k = 0; k < n; ++k) {
          auto m = stun::Message::parse(in.data(k));
          const bool ok = m && m->cls() == stun::Class::Success &&
                          m->method() == stun::method::Binding &&
                          std::memcmp(m->transaction_id().data(), nonce, 4) == 0 &&
                          load_be32(m->transaction_id().data() + 4) == i &&
                          m->xor_address(stun::attr::XorMappedAddress) == f.local;
          if (!ok) {
            ++invalid;
            continue;
          }
          ++valid;
          if (now >= measure_from) ++measured;
          if (f.outstanding > 0) --f.outstanding;
        }
        f.last_progress = now;
        if (n < in.capacity()) break;
      }
    }
  }
  const double rate = static_cast<double>(measured) / o.duration_s;
  std::printf("stun_load: server %s, %zu sockets x window %zu, %.1f s (+%.1f s warm-up): "
              "sent %llu, valid %llu, invalid %llu, stalls %llu\n",
              o.server.to_string().c_str(), o.sockets, o.window, o.duration_s, o.warmup_s,
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(valid),
              static_cast<unsigned long long>(invalid), static_cast<unsigned long long>(stalls));
  std::printf("rate %.0f responses/s\n", rate);
  return valid > 0 ? 0 : 1;
}
