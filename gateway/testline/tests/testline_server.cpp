// The test line alone, for tests/interop/testline_sipp.sh:
//   testline_server [--listen 127.0.0.1:0] [--max-duration-ms N]
//                   [--ring-ms N] [--rtp-ports MIN-MAX]
// Prints "listening <addr>" once bound, a line per call event and one per
// ended call with its media counters; on SIGTERM/SIGINT hangs up, prints the
// totals ("stats: ...") and exits 0.
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "gateway/testline/test_line.hpp"

using namespace floe;
using namespace floe::testline;

namespace {

bool number(std::string_view s, unsigned long& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

int usage(const char* why) {
  std::fprintf(stderr, "testline_server: %s\n", why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  TestLineConfig cfg;
  cfg.listen = *SocketAddress::parse("127.0.0.1:0");
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) return usage("option needs a value");
    std::string_view v = argv[++i];
    unsigned long n = 0;
    if (a == "--listen") {
      auto addr = SocketAddress::parse(v);
      if (!addr) return usage("--listen needs ip:port");
      cfg.listen = *addr;
    } else if (a == "--max-duration-ms" && number(v, n)) {
      cfg.max_call_duration = milliseconds(n);
    } else if (a == "--ring-ms" && number(v, n)) {
      cfg.ring_time = milliseconds(n);
    } else if (a == "--rtp-ports") {
      auto dash = v.find('-');
      unsigned long lo = 0, hi = 0;
      if (dash == std::string_view::npos || !number(v.substr(0, dash), lo) ||
          !number(v.substr(dash + 1), hi) || lo > hi || hi > 65535)
        return usage("--rtp-ports needs MIN-MAX");
      cfg.rtp_ports = {static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
    } else {
      return usage("unknown option or bad value");
    }
  }
  boost::asio::io_context io;
  std::unique_ptr<TestLine> line;
  try {
    line = std::make_unique<TestLine>(io, cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "testline_server: cannot listen on %s: %s\n",
                 cfg.listen.to_string().c_str(), e.what());
    return 1;
  }
  line->log = [](std::string_view s) {
    std::printf("%.*s\n", static_cast<int>(s.size()), s.data());
    std::fflush(stdout);
  };
  line->on_call_ended = [](const CallReport& r) {
    const auto& m = r.media;
    std::string durations;
    for (auto d : r.dtmf_durations) durations += (durations.empty() ? "" : ",") + std::to_string(d);
    std::printf(
        "call %s ended (%s) ms=%lld rtp_in=%llu echoed=%llu tone=%llu rtcp_in=%llu rtcp_out=%llu "
        "malformed=%llu dtmf=%s dtmf_durations=%s\n",
        r.number.c_str(), r.ended_by.c_str(),
        static_cast<long long>(std::chrono::duration_cast<milliseconds>(r.duration).count()),
        static_cast<unsigned long long>(m.rtp_in), static_cast<unsigned long long>(m.rtp_echoed),
        static_cast<unsigned long long>(m.tone_packets), static_cast<unsigned long long>(m.rtcp_in),
        static_cast<unsigned long long>(m.rtcp_out),
        static_cast<unsigned long long>(m.dropped_malformed), r.dtmf.empty() ? "-" : r.dtmf.c_str(),
        durations.empty() ? "-" : durations.c_str());
    std::fflush(stdout);
  };
  std::printf("listening %s\n", line->local_address().to_string().c_str());
  std::fflush(stdout);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    line->close();
    const auto& s = line->stats();
    std::printf(
        "stats: invites=%llu answered=%llu busy=%llu not_found=%llu sdp_rejected=%llu "
        "cancelled=%llu reinvites=%llu peer_hangups=%llu line_hangups=%llu no_port=%llu\n",
        static_cast<unsigned long long>(s.invites), static_cast<unsigned long long>(s.answered),
        static_cast<unsigned long long>(s.busy), static_cast<unsigned long long>(s.not_found),
        static_cast<unsigned long long>(s.sdp_rejected),
        static_cast<unsigned long long>(s.cancelled), static_cast<unsigned long long>(s.reinvites),
        static_cast<unsigned long long>(s.peer_hangups),
        static_cast<unsigned long long>(s.line_hangups),
        static_cast<unsigned long long>(s.no_port));
    std::fflush(stdout);
    io.stop();
  });
  io.run();
  return 0;
}
