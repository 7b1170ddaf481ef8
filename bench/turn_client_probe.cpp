// turn_client_probe: Floe's sans-IO TURN client (turn::Allocation) on a real
// socket, against any TURN server. It allocates (401 challenge included),
// creates a permission for an echo peer, sends half the messages as Send
// indications, binds a channel, sends the other half as ChannelData, and
// checks every echo came back through the relay. Doubles as a small relay
// benchmark: it prints allocation time, round-trip times and throughput.
//
//   turn_client_probe --server 127.0.0.1:3478 --user alice --password secret
//                     --peer 127.0.0.1:3480 [--tcp] [--count 200] [--size 160]
//                     [--window 16] [--timeout 10] [--rest-secret S]
// With --rest-secret the credentials are TURN REST API ones (coturn's
// use-auth-secret): username "<now+1h>:<user>", password
// base64(HMAC-SHA1(S, username)).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <ctime>

#include "ice/turn/auth.hpp"
#include "ice/turn/channel_data.hpp"
#include "ice/turn/turn_client.hpp"

using namespace floe;

namespace {

struct Options {
  SocketAddress server, peer;
  std::string user, password, rest_secret;
  bool tcp = false;
  int count = 200, size = 160, window = 16, timeout_s = 10;
};

int usage() {
  std::fprintf(stderr,
               "usage: turn_client_probe --server ADDR:PORT --user U --password P --peer "
               "ADDR:PORT [--tcp] [--count N] [--size BYTES] [--window N] [--timeout S]\n"
               "       [--rest-secret SECRET]\n");
  return 2;
}

double ms_between(Instant a, Instant b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

class Probe {
 public:
  explicit Probe(Options o) : o_(std::move(o)) {}
  int run();

 private:
  bool open_socket();
  void transmit(turn::Allocation& a);
  void receive(turn::Allocation& a, Instant now);
  void on_data(const turn::Received& r, Instant now);
  bool send_next(turn::Allocation& a, Instant now, bool channel_phase);

  Options o_;
  int fd_ = -1;
  turn::StreamFramer framer_;
  int sent_ = 0, received_[2] = {0, 0}, phase_sent_[2] = {0, 0};
  std::vector<Instant> sent_at_;
  std::vector<bool> got_;
  std::vector<double> rtts_;
  int bad_payload_ = 0;
};

bool Probe::open_socket() {
  fd_ = ::socket(o_.server.ip().is_v4() ? AF_INET : AF_INET6, o_.tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd_ < 0) return false;
  sockaddr_storage ss;
  const unsigned len = o_.server.to_sockaddr(&ss);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) return false;
  if (o_.tcp) {
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return ::fcntl(fd_, F_SETFL, O_NONBLOCK) == 0;
}

void Probe::transmit(turn::Allocation& a) {
  for (ByteView b = a.poll_transmit(); !b.empty(); b = a.poll_transmit()) {
    // Blocking is fine for a probe: on TCP finish the whole frame.
    std::size_t off = 0;
    while (off < b.size()) {
      const ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<std::size_t>(n);
      } else if (!o_.tcp || (errno != EAGAIN && errno != EINTR)) {
        break;  // UDP: a dropped datagram is retransmitted or counted as lost
      }
    }
  }
}

void Probe::on_data(const turn::Received& r, Instant now) {
  if (r.peer != o_.peer || r.data.size() < 4) {
    ++bad_payload_;
    return;
  }
  const std::uint32_t seq = load_be32(r.data.data());
  if (seq >= got_.size() || got_[seq] || r.data.size() != static_cast<std::size_t>(o_.size)) {
    ++bad_payload_;
    return;
  }
  got_[seq] = true;
  ++received_[r.via_channel ? 1 : 0];
  rtts_.push_back(ms_between(sent_at_[seq], now));
}

void Probe::receive(turn::Allocation& a, Instant now) {
  std::uint8_t buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return;
    if (!o_.tcp) {
      if (auto r = a.handle_input(now, ByteView(buf, static_cast<std::size_t>(n)))) on_data(*r, now);
      continue;
    }
    framer_.append(ByteView(buf, static_cast<std::size_t>(n)));
    for (;;) {
      turn::FrameKind kind;
      bool invalid = false;
      ByteView f = framer_.front(&kind, &invalid);
      if (invalid) {
        std::fprintf(stderr, "turn_client_probe: the server's stream is not STUN/ChannelData\n");
        return;
      }
      if (f.empty()) break;
      if (auto r = a.handle_input(now, f)) on_data(*r, now);
      framer_.pop();
    }
  }
}

bool Probe::send_next(turn::Allocation& a, Instant now, bool channel_phase) {
  const int phase = channel_phase ? 1 : 0;
  const int limit = channel_phase ? o_.count : o_.count / 2;
  const int outstanding = sent_ - (received_[0] + received_[1]);
  if (sent_ >= limit || outstanding >= o_.window) return false;
  Bytes payload(static_cast<std::size_t>(o_.size), static_cast<std::uint8_t>(sent_));
  store_be32(payload.data(), static_cast<std::uint32_t>(sent_));
  sent_at_[static_cast<std::size_t>(sent_)] = now;
  if (!a.send_to(now, o_.peer, payload)) return false;
  ++sent_;
  ++phase_sent_[phase];
  return true;
}

int Probe::run() {
  if (!open_socket()) {
    std::fprintf(stderr, "turn_client_probe: cannot reach %s: %s\n",
                 o_.server.to_string().c_str(), std::strerror(errno));
    return 1;
  }
  sent_at_.resize(static_cast<std::size_t>(o_.count));
  got_.assign(static_cast<std::size_t>(o_.count), false);
  turn::ClientConfig cfg;
  cfg.server = o_.server;
  cfg.transport = o_.tcp ? turn::Transport::Tcp : turn::Transport::Udp;
  cfg.username = o_.user;
  cfg.password = o_.password;
  cfg.software = "floe turn_client_probe";
  const Instant start = Clock::now();
  const Instant deadline = start + seconds(o_.timeout_s);
  turn::Allocation a(start, cfg);

  enum class Step { Allocating, Permission, Indications, Binding, Channel, Closing, Done };
  Step step = Step::Allocating;
  Instant t_alloc{}, t_data_start{}, t_data_end{};
  int exit_code = 1;
  while (step != Step::Done) {
    Instant now = Clock::now();
    if (now >= deadline) {
      std::fprintf(stderr, "turn_client_probe: timed out (state %s)\n", to_string(a.state()));
      break;
    }
    while (auto e = a.poll_event()) {
      std::printf("event: %s", to_string(e->kind));
      if (e->error_code) std::printf(" (error %d)", e->error_code);
      std::printf("\n");
      using K = turn::ClientEvent::Kind;
      if (e->kind == K::Allocated) {
        t_alloc = now;
        std::printf("allocated: relayed %s mapped %s in %.2f ms\n", e->relayed.to_string().c_str(),
                    e->mapped.to_string().c_str(), ms_between(start, now));
        a.create_permission(now, o_.peer.ip());
        step = Step::Permission;
      } else if (e->kind == K::PermissionCreated && step == Step::Permission) {
        t_data_start = now;
        step = Step::Indications;
      } else if (e->kind == K::ChannelBound) {
        std::printf("channel 0x%04x bound to %s\n", e->channel, e->peer.to_string().c_str());
        step = Step::Channel;
      } else if (e->kind == K::Closed) {
        step = Step::Done;
        exit_code = 0;
      } else if (e->kind != K::PermissionCreated) {
        step = Step::Done;  // any failure ends the probe
      }
    }
    if (step == Step::Done) break;
    if (step == Step::Indications) {
      while (send_next(a, now, false)) {
      }
      if (received_[0] + received_[1] >= o_.count / 2 ||
          (sent_ >= o_.count / 2 && now - sent_at_[sent_ - 1] > seconds(2))) {
        a.bind_channel(now, o_.peer);
        step = Step::Binding;
      }
    } else if (step == Step::Channel) {
      while (send_next(a, now, true)) {
      }
      if (received_[0] + received_[1] >= o_.count ||
          (sent_ >= o_.count && now - sent_at_[sent_ - 1] > seconds(2))) {
        t_data_end = now;
        a.close(now);
        step = Step::Closing;
      }
    }
    transmit(a);
    const Instant next = std::min(a.next_timeout(), now + milliseconds(20));
    const int wait_ms = static_cast<int>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<milliseconds>(next - Clock::now()).count()));
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, wait_ms);
    now = Clock::now();
    receive(a, now);
    a.handle_timeout(now);
  }
  ::close(fd_);
  if (t_data_end == Instant{}) t_data_end = Clock::now();

  std::sort(rtts_.begin(), rtts_.end());
  const auto pct = [&](double q) {
    return rtts_.empty() ? 0.0 : rtts_[static_cast<std::size_t>(q * (rtts_.size() - 1))];
  };
  const int total = received_[0] + received_[1];
  const double secs = std::max(1e-6, std::chrono::duration<double>(t_data_end - t_data_start).count());
  std::printf("indications: sent %d received %d\n", phase_sent_[0], received_[0]);
  std::printf("channel: sent %d received %d\n", phase_sent_[1], received_[1]);
  std::printf("total: sent %d received %d lost %d bad %d; rtt ms p50 %.3f p99 %.3f max %.3f; "
              "%.0f echoes/s\n",
              sent_, total, sent_ - total, bad_payload_, pct(0.5), pct(0.99), pct(1.0),
              total / secs);
  (void)t_alloc;
  const bool all = phase_sent_[0] > 0 && phase_sent_[1] > 0 && total == o_.count &&
                   bad_payload_ == 0;
  if (exit_code == 0 && !all) exit_code = 1;
  std::printf("result: %s\n", exit_code == 0 ? "PASS" : "FAIL");
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool have_server = false, have_peer = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    auto num = [&](int* out) {
      if (!v) return false;
      auto [p, ec] = std::from_chars(v, v + std::strlen(v), *out);
      ++i;
      return ec == std::errc() && *out > 0;
    };
    if (a == "--tcp") {
      o.tcp = true;
    } else if (a == "--server" && v) {
      auto s = SocketAddress::parse(v, 3478);
      if (!s) return usage();
      o.server = *s;
      have_server = true;
      ++i;
    } else if (a == "--peer" && v) {
      auto s = SocketAddress::parse(v);
      if (!s) return usage();
      o.peer = *s;
      have_peer = true;
      ++i;
    } else if (a == "--user" && v) {
      o.user = v;
      ++i;
    } else if (a == "--password" && v) {
      o.password = v;
      ++i;
    } else if (a == "--rest-secret" && v) {
      o.rest_secret = v;
      ++i;
    } else if (a == "--count") {
      if (!num(&o.count) || o.count < 2) return usage();
    } else if (a == "--size") {
      if (!num(&o.size) || o.size < 4 || o.size > 60000) return usage();
    } else if (a == "--window") {
      if (!num(&o.window)) return usage();
    } else if (a == "--timeout") {
      if (!num(&o.timeout_s)) return usage();
    } else {
      return usage();
    }
  }
  if (!have_server || !have_peer || o.user.empty()) return usage();
  if (!o.rest_secret.empty()) {
    o.user = std::to_string(std::time(nullptr) + 3600) + ":" + o.user;
    o.password = turn::rest_password(o.rest_secret, o.user);
  }
  return Probe(o).run();
}
