// The floe executable: `floe <subcommand> [options]`. Each subcommand lives
// in its own gateway/cmd_*.cpp and is listed in the table below.
#include <cstdio>
#include <span>
#include <string_view>
#include <vector>

namespace floe::cmd {
using Args = std::span<const std::string_view>;
int stun_server(Args args);
int nat_probe(Args args);
int turn_server(Args args);
int gateway(Args args);
}  // namespace floe::cmd

namespace {

struct Subcommand {
  std::string_view name;
  int (*run)(floe::cmd::Args);
  std::string_view summary;
};

constexpr Subcommand kSubcommands[] = {
    {"gateway", floe::cmd::gateway,
     "the gateway: web page + WebSocket signaling, browser media port, echo target"},
    {"stun-server", floe::cmd::stun_server,
     "STUN Binding server over UDP/TCP, RFC 5780 with --alt-ip/--alt-port"},
    {"nat-probe", floe::cmd::nat_probe,
     "RFC 5780 NAT mapping/filtering/hairpinning discovery against a server"},
    {"turn-server", floe::cmd::turn_server, "TURN relay server (RFC 8656) over UDP/TCP"},
};

void usage(std::FILE* to) {
  std::fprintf(to, "usage: floe <subcommand> [options]   (floe <subcommand> --help)\n\n");
  for (const auto& s : kSubcommands)
    std::fprintf(to, "  %-14.*s %.*s\n", static_cast<int>(s.name.size()), s.name.data(),
                 static_cast<int>(s.summary.size()), s.summary.data());
  std::fprintf(to, "\nWith no subcommand, floe runs the gateway on its defaults "
                  "(page at http://127.0.0.1:8080/).\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    // The default service is the gateway, so `scripts/run` gives the page
    // and the echo target with no configuration.
    std::printf("floe: no subcommand given; starting the gateway on its defaults "
                "(same as `floe gateway`)\n");
    return floe::cmd::gateway({});
  }
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    usage(stdout);
    return 0;
  }
  for (const auto& s : kSubcommands)
    if (s.name == args[0]) return s.run(std::span(args).subspan(1));
  std::fprintf(stderr, "floe: unknown subcommand '%.*s'\n\n", static_cast<int>(args[0].size()),
               args[0].data());
  usage(stderr);
  return 2;
}
