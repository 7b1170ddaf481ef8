// ice_connect: time for two Floe ICE agents to select a pair over real UDP
// sockets on loopback, with 1 and with 10 host candidates each.
//
//   ice_connect [--runs N] [--ta MS]
//
// It also prints two single-port figures: the IceDemux routing cost per
// datagram with 1000 agents registered, and the time for 100 agent pairs
// to all connect when the 100 "gateway" agents share one UDP socket.
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

#include "ice/agent/demux.hpp"
#include "ice/io/agent_driver.hpp"
#include "ice/stun/message.hpp"
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

void report_demux() {
  constexpr std::uint32_t kAgents = 1000;
  ice::IceDemux demux(kAgents);
  const auto local = *SocketAddress::parse("127.0.0.1:3478");
  for (std::uint32_t i = 0; i < kAgents; ++i) {
    demux.add_ufrag("uf" + std::to_string(i), i);
    demux.add_tuple(local, SocketAddress(IpAddress::v4(0x0A000000u + i), 40000), i, true);
  }
  Bytes req;
  stun::MessageBuilder mb(req, stun::Class::Request, stun::method::Binding,
                          stun::random_transaction_id());
  mb.add_string(stun::attr::Username, "uf777:browser1");
  mb.add_u32(stun::attr::Priority, 1);
  mb.add_fingerprint();
  Bytes rtp(172, 0);
  rtp[0] = 0x80;
  const auto peer = SocketAddress(IpAddress::v4(0x0A000000u + 777), 40000);
  constexpr int kIters = 2'000'000;
  std::uint64_t sink = 0;
  auto time_it = [&](ByteView pkt) {
    const auto t0 = Clock::now();
    for (int i = 0; i < kIters; ++i) sink += *demux.route(local, peer, pkt);
    return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / kIters;
  };
  const double stun_ns = time_it(req);
  const double rtp_ns = time_it(rtp);
  std::printf("IceDemux, %u agents on one port: STUN request by ufrag %.0f ns/datagram, "
              "RTP by validated 5-tuple %.0f ns/datagram (checksum %llu)\n",
              kAgents, stun_ns, rtp_ns, static_cast<unsigned long long>(sink % 10));
}

void report_shared_port(int pairs, Duration ta) {
  asio::io_context io;
  ice::IceConfig cfg;
  cfg.ta = ta;
  io::UdpMux gateway(io, static_cast<std::size_t>(pairs));
  if (gateway.open(*SocketAddress::parse("127.0.0.1:0"))) std::exit(1);
  std::vector<std::unique_ptr<io::UdpMux>> browser_ports;
  std::vector<std::unique_ptr<io::IceAgentDriver>> gw, br;
  int selected = 0;
  Instant done{};
  const Instant t0 = Clock::now();
  for (int i = 0; i < pairs; ++i) {
    gw.push_back(std::make_unique<io::IceAgentDriver>(io, cfg));
    br.push_back(std::make_unique<io::IceAgentDriver>(io, cfg));
    auto& g = *gw.back();
    auto& b = *br.back();
    g.agent().set_role(ice::IceRole::Controlled);
    b.agent().set_role(ice::IceRole::Controlling);
    g.agent().set_remote_credentials(b.agent().local_credentials().ufrag,
                                     b.agent().local_credentials().pwd);
    b.agent().set_remote_credentials(g.agent().local_credentials().ufrag,
                                     g.agent().local_credentials().pwd);
    for (auto [self, other] : {std::pair{&g, &b}, std::pair{&b, &g}}) {
      self->on_event([&, other](const ice::IceOutput& o) {
        if (auto* c = std::get_if<ice::LocalCandidate>(&o)) {
          other->agent().add_remote_candidate(c->candidate);
          other->pump();
        } else if (std::get_if<ice::SelectedPairChanged>(&o)) {
          if (++selected == 2 * pairs) {
            done = Clock::now();
            io.stop();
          }
        }
      });
    }
    browser_ports.push_back(std::make_unique<io::UdpMux>(io, 4));
    if (browser_ports.back()->open(*SocketAddress::parse("127.0.0.1:0"))) std::exit(1);
    g.add_socket(gateway);
    b.add_socket(*browser_ports.back());
  }
  io.run_for(std::chrono::seconds(20));
  if (selected != 2 * pairs) {
    std::printf("shared port: only %d of %d agents selected a pair\n", selected, 2 * pairs);
    return;
  }
  std::printf("%d agent pairs, gateway side on ONE UDP port, Ta %lld ms: all selected after "
              "%.1f ms (setup included)\n",
              pairs, static_cast<long long>(std::chrono::duration_cast<milliseconds>(ta).count()),
              std::chrono::duration<double, std::milli>(done - t0).count());
  gw.clear();
  br.clear();
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
  report_demux();
  report_shared_port(100, tas.front());
  return 0;
}
