// `floe gateway` (also `floe` with no arguments): the signaling front end
// (HTTP + WebSocket, serving web/) and the browser media port, with the
// built-in `echo` target. SIP targets are not wired yet.
#include <utility>  // before Asio: Boost 1.74 misses it in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/command_line.hpp"
#include "gateway/embedded_turn.hpp"
#include "gateway/turn_flags.hpp"
#include "gateway/config/config_source.hpp"
#include "dtls/certificate.hpp"
#include "dtls/transport.hpp"
#include "gateway/webrtc/call_router.hpp"
#include "gateway/webrtc/media_port.hpp"
#include "ice/io/agent_interfaces.hpp"
#include "signaling/server/server.hpp"

namespace floe::cmd {
namespace {

constexpr const char* kUsage =
    "usage: floe gateway [options]      (also what `floe` with no arguments runs)\n"
    "\n"
    "  --http ADDR:PORT       HTTP/WebSocket listen address (default 0.0.0.0:8080;\n"
    "                         the page is at http://127.0.0.1:8080/ on this machine)\n"
    "  --cert FILE --key FILE serve https/wss (browsers need a secure context for the\n"
    "                         microphone on any origin but localhost)\n"
    "  --web DIR              the web/ files (default: $FLOE_WEB_ROOT, the source tree's\n"
    "                         web/, or <prefix>/share/floe/web next to the executable)\n"
    "  --media-port PORT      the one UDP port for browser ICE/DTLS/SRTP (default 10000;\n"
    "                         0 picks one). It also answers plain STUN Binding requests.\n"
    "  --media-address IP     bind the media port on this address (repeatable; default:\n"
    "                         every interface address, loopback included)\n"
    "  --advertise IP         put this address in Floe's ICE candidates instead of the\n"
    "                         local one (static NAT, Docker with -p PORT:PORT/udp)\n"
    "  --ice-server URL       STUN/TURN URL handed to browsers in `welcome` (repeatable)\n"
    "  --origin ORIGIN        allow this page origin on /ws (repeatable; '*' any)\n"
    FLOE_GATEWAY_TURN_USAGE
    "  --config FILE          read options from a JSON file (also $FLOE_CONFIG):\n"
    "                         {\"media-port\": 10000, \"origin\": [\"https://a\"]}\n"
    "\n"
    "Every option can also be set in the environment as FLOE_<OPTION> (FLOE_MEDIA_PORT,\n"
    "FLOE_ADVERTISE, ...; FLOE_<OPTION>_1.._9 repeat one). The file comes first, then\n"
    "the environment, then the command line; the last value of an option wins.\n";


// The web/ files: $FLOE_WEB_ROOT, the source tree this binary came from,
// or an installed <prefix>/share/floe/web beside <prefix>/bin/floe.
std::string find_web_root() {
  auto root = signaling::default_web_root();
  if (!root.empty()) return root;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (auto dir : {exe.parent_path() / ".." / "share" / "floe" / "web",
                   exe.parent_path() / ".." / ".." / "web"})
    if (std::filesystem::exists(dir / "index.html", ec)) return dir.lexically_normal().string();
  return {};
}

}  // namespace

int gateway(std::span<const std::string_view> cli) {
  std::string config_error;
  const auto gathered = gather_args(kUsage, std::vector<std::string>(cli.begin(), cli.end()),
                                    [](const char* n) { return std::getenv(n); }, &config_error);
  if (!config_error.empty()) {
    std::fprintf(stderr, "floe gateway: %s\n", config_error.c_str());
    return 2;
  }
  const std::vector<std::string_view> args(gathered.begin(), gathered.end());
  signaling::ServerConfig sc;
  sc.bind_address = "0.0.0.0";
  sc.port = 8080;
  std::uint16_t media_port = 10000;
  std::vector<IpAddress> media_ips;
  webrtc::BrowserLegOptions leg;
  GatewayTurnSettings turn;
  CommandLine cl("gateway", args);
  while (cl.next()) {
    const std::string_view a = cl.flag();
    if (cl.help()) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--http") {
      auto v = cl.value();
      auto addr = v ? SocketAddress::parse(*v, 8080) : std::nullopt;
      if (!addr) return cl.fail("--http needs ADDR:PORT, e.g. 127.0.0.1:8080");
      sc.bind_address = addr->ip().to_string();
      sc.port = addr->port();
    } else if (a == "--cert" || a == "--key" || a == "--web" || a == "--ice-server" ||
               a == "--origin") {
      auto v = cl.value();
      if (!v) return cl.fail(std::string(a) + " needs a value");
      if (a == "--cert") sc.tls_certificate_file = *v;
      else if (a == "--key") sc.tls_private_key_file = *v;
      else if (a == "--web") sc.web_root = *v;
      else if (a == "--origin") sc.allowed_origins.emplace_back(*v);
      else sc.hub.ice_servers.push_back({{std::string(*v)}, "", ""});
    } else if (a == "--media-port") {
      auto v = cl.value();
      auto p = v ? parse_number<std::uint16_t>(*v) : std::nullopt;
      if (!p) return cl.fail("--media-port needs a port number (0-65535)");
      media_port = *p;
    } else if (a == "--media-address" || a == "--advertise") {
      auto v = cl.value();
      auto ip = v ? IpAddress::parse(*v) : std::nullopt;
      if (!ip) return cl.fail(std::string(a) + " needs an IP address");
      if (a == "--advertise") leg.advertised_address = *ip;
      else media_ips.push_back(*ip);
    } else if (auto r = parse_turn_flag(cl, a, turn)) {
      if (*r != 0) return *r;
    } else {
      return cl.fail("unknown option '" + std::string(a) + "' (see floe gateway --help)");
    }
  }
  leg.turn_servers = turn.ice_turn_servers;  // relayed candidates for browser legs
  if (sc.web_root.empty()) sc.web_root = find_web_root();
  if (sc.web_root.empty())
    std::fprintf(stderr, "floe gateway: no web/ directory found; set --web or FLOE_WEB_ROOT\n");
  const bool explicit_media = !media_ips.empty();
  if (media_ips.empty())
    for (const auto& ifa : io::list_interface_addresses(true)) media_ips.push_back(ifa.address);

  // One io_context and one thread for signaling and media for now. The
  // per-core workers (DESIGN.md "Threads") go here: N io_contexts, each with
  // its own MediaPort (SO_REUSEPORT on the media port) and CallRouter share,
  // the signaling thread handing each new call to one of them.
  boost::asio::io_context io;
  webrtc::MediaPort port(io);
  std::vector<SocketAddress> binds;
  for (const auto& ip : media_ips) binds.emplace_back(ip, media_port);
  // Addresses found by listing interfaces are best effort; ones given on
  // the command line must all bind.
  std::vector<std::pair<SocketAddress, std::error_code>> skipped;
  if (auto ec = port.open(binds, !explicit_media, &skipped))
    return cl.fail("cannot open the media port " + std::to_string(media_port) + ": " + ec.message());
  for (const auto& [addr, ec] : skipped)
    std::fprintf(stderr, "floe gateway: media port not bound on %s: %s\n",
                 addr.to_string().c_str(), ec.message().c_str());

  leg.dtls_context = dtls::DtlsContext::create(dtls::Certificate::generate());
  webrtc::CallRouter router(io, port, leg);
  // TURN (turn_flags.hpp): the embedded server hands its URL and per-session
  // credentials to browsers in `welcome`.
  gateway::EmbeddedTurn embedded_turn(io);
  if (turn.embedded.enabled()) {
    std::vector<IpAddress> own;
    for (const auto& l : port.local_addresses()) own.push_back(l.ip());
    std::vector<std::string> opened;
    if (auto err = embedded_turn.start(turn.embedded, own, leg.advertised_address, &opened))
      return cl.fail(*err);
    for (const auto& line : opened) std::printf("floe gateway: turn %s\n", line.c_str());
    sc.hub.session_ice_servers = [&embedded_turn](const std::string& user) {
      return std::vector<signaling::IceServer>{
          embedded_turn.ice_server_for(user, static_cast<std::int64_t>(std::time(nullptr)))};
    };
  }
  sc.extra_metrics = [&router, &embedded_turn] { return router.metrics() + embedded_turn.metrics(); };

  std::shared_ptr<signaling::Server> server;
  try {
    server = signaling::Server::start(io, sc, router);
  } catch (const std::exception& e) {
    return cl.fail(e.what());
  }
  const auto& locals = port.local_addresses();
  std::string media_list;
  for (const auto& l : locals) media_list += " " + l.to_string();
  std::printf("floe gateway: page at %s://%s:%u/  (web root %s)\n",
              server->tls() ? "https" : "http",
              sc.bind_address == "0.0.0.0" ? "127.0.0.1" : sc.bind_address.c_str(),
              server->port(), sc.web_root.empty() ? "-" : sc.web_root.c_str());
  std::printf("floe gateway: media udp%s%s%s\n", media_list.c_str(),
              leg.advertised_address ? ", advertised as " : "",
              leg.advertised_address ? leg.advertised_address->to_string().c_str() : "");
  std::printf("floe gateway: listening http %u media %u\n", server->port(),
              locals.empty() ? 0u : locals.front().port());

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    std::printf("floe gateway: signal %d, shutting down (%zu calls)\n", sig, router.active_calls());
    router.hangup_all();
    server->stop();
    embedded_turn.stop();
    port.close();
    io.stop();
  });
  io.run();
  router.hangup_all();
  return 0;
}

}  // namespace floe::cmd
