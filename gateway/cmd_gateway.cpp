// `floe gateway` (also `floe` with no arguments): the signaling front end
// (HTTP + WebSocket, serving web/), the browser media port with the built-in
// `echo` target, and the SIP side: trunks, bridged calls both ways, and the
// built-in SIP test line that makes `echo-sip`, `tone` and `busy` work with
// no configuration.
#include <utility>  // before Asio: Boost 1.74 misses it in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
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
#include "gateway/bridge/config.hpp"
#include "gateway/bridge/gateway_router.hpp"
#include "gateway/bridge/sip_service.hpp"
#include "gateway/testline/test_line.hpp"
#include "gateway/webrtc/call_router.hpp"
#include "gateway/webrtc/media_port.hpp"
#include "ice/io/agent_interfaces.hpp"
#include "signaling/server/server.hpp"

namespace floe::cmd {
namespace {

constexpr const char* kUsageHead =
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
    "\nSIP side (trunks, calls to numbers and SIP URIs, browsers rung by trunks):\n";

// After bridge::kSipUsage.
constexpr const char* kUsageTail =
    "  --test-line ADDR:PORT  the built-in SIP test line (numbers echo-sip, tone, busy,\n"
    "                         ring) on this address (default 127.0.0.1:5070; 'off')\n"
    "  --config FILE          read options from a JSON file (also $FLOE_CONFIG):\n"
    "                         {\"media-port\": 10000, \"origin\": [\"https://a\"]}\n"
    "\n"
    "Every option can also be set in the environment as FLOE_<OPTION> (FLOE_MEDIA_PORT,\n"
    "FLOE_ADVERTISE, ...; FLOE_<OPTION>_1.._9 repeat one). The file comes first, then\n"
    "the environment, then the command line; the last value of an option wins.\n";


std::string usage() { return std::string(kUsageHead) + bridge::kSipUsage + kUsageTail; }

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
  const auto gathered = gather_args(usage(), std::vector<std::string>(cli.begin(), cli.end()),
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
  bridge::SipConfig sip;
  sip.listen = *SocketAddress::parse("0.0.0.0:5060");
  std::optional<SocketAddress> test_line_at = SocketAddress::parse("127.0.0.1:5070");
  CommandLine cl("gateway", args);
  while (cl.next()) {
    const std::string_view a = cl.flag();
    if (cl.help()) {
      std::fputs(usage().c_str(), stdout);
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
    } else if (bridge::is_sip_option(a)) {
      auto v = cl.value();
      if (!v) return cl.fail(std::string(a) + " needs a value");
      std::string err;
      if (!bridge::apply_sip_option(sip, a, *v, &err)) return cl.fail(err);
    } else if (a == "--test-line") {
      auto v = cl.value();
      if (v && *v == "off") {
        test_line_at.reset();
      } else {
        test_line_at = v ? SocketAddress::parse(*v, 5070) : std::nullopt;
        if (!test_line_at) return cl.fail("--test-line needs ADDR:PORT or 'off'");
      }
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
  // The SIP side: the built-in test line first (it is a trunk like any
  // other, reached over real SIP and RTP on loopback), then the listener
  // every trunk and call shares.
  std::unique_ptr<testline::TestLine> test_line;
  if (test_line_at) {
    testline::TestLineConfig tc;
    tc.listen = *test_line_at;
    try {
      test_line = std::make_unique<testline::TestLine>(io, tc);
    } catch (const std::exception& e) {
      return cl.fail("cannot start the SIP test line on " + test_line_at->to_string() + ": " +
                     e.what() + " (--test-line ADDR:PORT or off)");
    }
    bridge::TrunkConfig t;
    t.name = "testline";
    t.proxy = test_line->local_address();
    t.codecs = {"PCMU", "PCMA", "telephone-event"};
    // Numbers go to a configured trunk first; the test line answers only
    // its own names unless it is the only trunk.
    sip.trunks.push_back(t);
    if (sip.test_line_trunk.empty()) sip.test_line_trunk = "testline";
    if (sip.default_trunk.empty() && sip.trunks.size() > 1) sip.default_trunk = sip.trunks.front().name;
  }
  if (sip.advertised_host.empty() && sip.listen.ip().is_unspecified()) {
    // Via/Contact/c= need an address the peer can reach: the first non-loopback
    // interface, else loopback (a gateway used only on this machine).
    std::string host = "127.0.0.1";
    for (const auto& ifa : io::list_interface_addresses(false))
      if (ifa.address.is_v4() && !ifa.address.is_loopback()) {
        host = ifa.address.to_string();
        break;
      }
    sip.advertised_host = host;
  }
  bridge::SipService sip_service(io, sip);
  try {
    sip_service.start();
  } catch (const std::exception& e) {
    return cl.fail("cannot start SIP on " + sip.listen.to_string() + ": " + e.what() +
                   " (--sip-listen ADDR:PORT)");
  }
  bridge::BridgeCallConfig bridge_config;
  bridge_config.media_timeout = sip.media_timeout;
  bridge_config.ring_timeout = sip.ring_timeout;
  bridge_config.symmetric_rtp = sip.symmetric_rtp;
  bridge::GatewayRouter router(io, port, leg, &sip_service, bridge_config);
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
  sc.extra_metrics = [&router, &embedded_turn, &test_line] {
    return router.metrics() + embedded_turn.metrics() + (test_line ? test_line->metrics() : "");
  };

  std::shared_ptr<signaling::Server> server;
  try {
    server = signaling::Server::start(io, sc, router);
  } catch (const std::exception& e) {
    return cl.fail(e.what());
  }
  router.set_ring([server](std::string user, std::string from, std::string offer, auto done) {
    server->ring(std::move(user), std::move(from), std::move(offer), std::move(done));
  });
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
  std::printf("floe gateway: sip %s (advertised as %s)%s%s\n",
              sip_service.local_address().to_string().c_str(),
              sip.advertised_host.empty() ? "the listen address" : sip.advertised_host.c_str(),
              test_line ? ", test line " : "",
              test_line ? test_line->local_address().to_string().c_str() : "");
  if (auto tls = sip_service.local_tls_address(); tls.port() != 0)
    std::printf("floe gateway: sip tls %s\n", tls.to_string().c_str());
  std::printf("floe gateway: listening http %u media %u\n", server->port(),
              locals.empty() ? 0u : locals.front().port());

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    std::printf("floe gateway: signal %d, shutting down (%zu calls)\n", sig, router.active_calls());
    router.hangup_all();
    sip_service.stop();
    if (test_line) test_line->close();
    server->stop();
    embedded_turn.stop();
    port.close();
    // Let the BYEs, CANCELs and un-REGISTERs just queued leave first.
    auto grace = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(200));
    grace->async_wait([&io, grace](const boost::system::error_code&) { io.stop(); });
  });
  io.run();
  router.hangup_all();
  return 0;
}

}  // namespace floe::cmd
