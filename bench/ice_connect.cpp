// ice_connect: time for two Floe ICE agents to select a pair over real UDP
// sockets on loopback, with 1 and with 10 host candidates each.
//
//   ice_connect [--runs N] [--ta MS]
//
// Both agents run in one io_context (Asio drivers, real sockets on
// 127.0.1.x and 127.0.2.x). Candidates and credentials are exchanged in-process before the
// clock starts; the clock starts when the second agent gets its sockets (its
// first check goes out on the next loop turn, the other agent's checks as
// soon as it has a pair) and stops when both agents have a selected pair.
#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "ice/io/agent_driver.hpp"
#include "ice/io/udp_mux.hpp"

using namespace floe;
namespace asio = boost::asio;

namespace {

struct Result {
  bool ok = false;
  double ms = 0;
  std::uint64_t checks = 0;
};

Result run_once(int candidates, Duration ta) {
  asio::io_context io;
  ice::IceConfig cfg;
  cfg.ta = ta;
  std::vector<std::unique_ptr<io::UdpMux>> muxes;  // must outlive the drivers
  io::IceAgentDriver a(io, cfg), b(io, cfg);
  a.agent().set_role(ice::IceRole::Controlling);
  b.agent().set_role(ice::IceRole::Controlled);
  int selected = 0;
  Instant t0{}, t1{};

  auto wire = [&](io::IceAgentDriver& self, io::IceAgentDriver& other) {
    self.on_event([&](const ice::IceOutput& o) {
      if (auto* c = std::get_if<ice::LocalCandidate>(&o)) {
        other.agent().add_remote_candidate(c->candidate);
        other.pump();
      } else if (std::get_if<ice::GatheringComplete>(&o)) {
        other.agent().end_of_remote_candidates();
        other.pump();
      } else if (std::get_if<ice::SelectedPairChanged>(&o)) {
        if (++selected == 2) {
          t1 = Clock::now();
          io.stop();
        }
      }
    });
  };
  wire(a, b);
  wire(b, a);
  a.agent().set_remote_credentials(b.agent().local_credentials().ufrag,
                                   b.agent().local_credentials().pwd);
  b.agent().set_remote_credentials(a.agent().local_credentials().ufrag,
                                   a.agent().local_credentials().pwd);

  auto open = [&](io::IceAgentDriver& d, int subnet) {
    for (int i = 1; i <= candidates; ++i) {
      auto mux = std::make_unique<io::UdpMux>(io, 4);
      auto addr = SocketAddress::parse("127.0." + std::to_string(subnet) + "." +
                                       std::to_string(i) + ":0");
      if (mux->open(*addr)) {
        std::fprintf(stderr, "cannot bind %s\n", addr->to_string().c_str());
        std::exit(1);
      }
      d.add_socket(*mux);
      muxes.push_back(std::move(mux));
    }
    d.end_of_local_addresses();
  };
  open(a, 1);
  t0 = Clock::now();
  open(b, 2);
  io.run_for(std::chrono::seconds(10));
  Result r;
  r.ok = selected == 2;
  r.ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  r.checks = a.agent().counters().checks_sent + b.agent().counters().checks_sent;
  return r;
}

void report(int candidates, int runs, Duration ta) {
  std::vector<double> ms;
  std::uint64_t checks = 0;
  int failed = 0;
  for (int i = 0; i < runs; ++i) {
    auto r = run_once(candidates, ta);
    if (!r.ok) {
      ++failed;
      continue;
    }
    ms.push_back(r.ms);
    checks += r.checks;
  }
  if (ms.empty()) {
    std::printf("%2d candidates each: all %d runs failed\n", candidates, runs);
    return;
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  const double p90 = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  std::printf(
      "%2d host candidates each (%3d pairs), Ta %3lld ms: median %7.2f ms  min %7.2f  p90 %7.2f"
      "  checks/run %.1f  (%zu runs, %d failed)\n",
      candidates, candidates * candidates,
      static_cast<long long>(std::chrono::duration_cast<milliseconds>(ta).count()), median,
      ms.front(), p90, static_cast<double>(checks) / static_cast<double>(ms.size()), ms.size(),
      failed);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 21;
  std::vector<Duration> tas = {milliseconds(50), milliseconds(5)};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--ta" && i + 1 < argc) {
      tas = {milliseconds(std::atoi(argv[++i]))};
    } else {
      std::fprintf(stderr, "usage: ice_connect [--runs N] [--ta MS]\n");
      return 2;
    }
  }
  std::printf("ICE connect time, real UDP sockets on loopback (127.0.1.x <-> 127.0.2.x), "
              "first check to a selected pair on both agents\n");
  for (auto ta : tas)
    for (int n : {1, 10}) report(n, runs, ta);
  return 0;
}
