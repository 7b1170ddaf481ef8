// turn_alloc_bench: allocations per second a TURN server sustains, measured
// with Floe's TURN client engine over real UDP sockets. K clients run in
// parallel, each repeating: Allocate (401 challenge, authenticated retry),
// then Refresh 0, on its own socket (so each allocation has its own 5-tuple).
//   turn_alloc_bench --server 127.0.0.1:3478 --user alice --password secret
//                    [--total 2000] [--parallel 32]
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ice/turn/turn_client.hpp"

using namespace floe;

namespace {

struct Slot {
  int fd = -1;
  std::unique_ptr<turn::Allocation> alloc;
};

int open_socket(const SocketAddress& server) {
  const int fd = ::socket(server.ip().is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
  sockaddr_storage ss;
  const unsigned len = server.to_sockaddr(&ss);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -1;
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<SocketAddress> server;
  std::string user, password;
  int total = 2000, parallel = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    if (a == "--server") server = SocketAddress::parse(argv[i + 1], 3478);
    else if (a == "--user") user = argv[i + 1];
    else if (a == "--password") password = argv[i + 1];
    else if (a == "--total") total = std::atoi(argv[i + 1]);
    else if (a == "--parallel") parallel = std::atoi(argv[i + 1]);
  }
  if (!server || user.empty() || total <= 0 || parallel <= 0) {
    std::fprintf(stderr, "usage: turn_alloc_bench --server ADDR:PORT --user U --password P "
                         "[--total N] [--parallel K]\n");
    return 2;
  }
  turn::ClientConfig cfg;
  cfg.server = *server;
  cfg.username = user;
  cfg.password = password;
  std::vector<Slot> slots(static_cast<std::size_t>(parallel));
  int started = 0, allocated = 0, failed = 0, closed = 0;
  std::map<std::string, int> failures;
  auto restart = [&](Slot& s, Instant now) {
    if (s.fd >= 0) ::close(s.fd);
    s.alloc.reset();
    if (started >= total) return;
    s.fd = open_socket(*server);
    if (s.fd < 0) {
      std::perror("socket");
      std::exit(1);
    }
    s.alloc = std::make_unique<turn::Allocation>(now, cfg);
    ++started;
  };
  const Instant t0 = Clock::now();
  for (auto& s : slots) restart(s, t0);
  std::vector<pollfd> fds(slots.size());
  std::uint8_t buf[4096];
  while (closed + failed < total) {
    Instant now = Clock::now();
    if (now - t0 > seconds(120)) break;
    Instant next = now + milliseconds(50);
    for (std::size_t i = 0; i < slots.size(); ++i) {
      Slot& s = slots[i];
      fds[i] = {s.fd, POLLIN, 0};
      if (!s.alloc) continue;
      for (ByteView b = s.alloc->poll_transmit(); !b.empty(); b = s.alloc->poll_transmit())
        (void)::send(s.fd, b.data(), b.size(), 0);
      next = std::min(next, s.alloc->next_timeout());
    }
    const int wait_ms = static_cast<int>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<milliseconds>(next - Clock::now()).count()));
    ::poll(fds.data(), fds.size(), wait_ms);
    now = Clock::now();
    for (auto& s : slots) {
      if (!s.alloc) continue;
      for (ssize_t n; (n = ::recv(s.fd, buf, sizeof buf, 0)) > 0;)
        s.alloc->handle_input(now, ByteView(buf, static_cast<std::size_t>(n)));
      s.alloc->handle_timeout(now);
      while (auto e = s.alloc->poll_event()) {
        using K = turn::ClientEvent::Kind;
        if (e->kind == K::Allocated) {
          ++allocated;
          s.alloc->close(now);
        } else if (e->kind == K::Closed) {
          ++closed;
          restart(s, now);
          break;
        } else {
          ++failed;
          ++failures[std::string(to_string(e->kind)) + " " + std::to_string(e->error_code)];
          restart(s, now);
          break;
        }
      }
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("allocations: %d allocated and deleted, %d failed, of %d in %.2f s with %d in "
              "parallel = %.0f allocations/s\n",
              closed, failed, total, secs, parallel, closed / secs);
  for (const auto& [what, n] : failures) std::printf("  failed: %s (x%d)\n", what.c_str(), n);
  for (auto& s : slots)
    if (s.fd >= 0) ::close(s.fd);
  return failed == 0 && closed == total ? 0 : 1;
}
