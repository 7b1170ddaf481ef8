// A test driver for the bridge until `floe gateway` carries the SIP options:
// the signaling server (HTTP + WebSocket, web/), the browser media port, the
// SIP service and the gateway router on one io_context, like cmd_gateway.cpp.
//
//   bridge_gateway --http 127.0.0.1:0 --media-port 0 --media-address 127.0.0.1
//     --web web --sip-listen 127.0.0.1:0 --trunk name=uas,proxy=127.0.0.1:5080 [--test-line]
//
// Prints "floe gateway: listening http PORT media PORT" and
// "floe gateway: sip udp ADDR" once everything is bound.
#include <utility>  // before Asio: Boost 1.74 misses it in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dtls/certificate.hpp"
#include "dtls/transport.hpp"
#include "gateway/bridge/config.hpp"
#include "gateway/bridge/gateway_router.hpp"
#include "gateway/bridge/sip_service.hpp"
#include "gateway/testline/test_line.hpp"
#include "gateway/webrtc/media_port.hpp"
#include "signaling/server/server.hpp"

using namespace floe;

int main(int argc, char** argv) {
  signaling::ServerConfig sc;
  sc.bind_address = "127.0.0.1";
  sc.port = 0;
  std::uint16_t media_port = 0;
  std::vector<IpAddress> media_ips;
  bridge::SipConfig sip;
  sip.listen = *SocketAddress::parse("127.0.0.1:0");
  bool test_line = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bridge_gateway: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--http") {
      auto addr = SocketAddress::parse(value(), 8080);
      if (!addr) return 2;
      sc.bind_address = addr->ip().to_string();
      sc.port = addr->port();
    } else if (a == "--media-port") {
      media_port = static_cast<std::uint16_t>(std::stoi(value()));
    } else if (a == "--media-address") {
      auto ip = IpAddress::parse(value());
      if (!ip) return 2;
      media_ips.push_back(*ip);
    } else if (a == "--web") {
      sc.web_root = value();
    } else if (a == "--test-line") {
      // floe gateway's form: --test-line ADDR:PORT | off (the driver binds 127.0.0.1:0).
      test_line = true;
      if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
        test_line = std::string(argv[++i]) != "off";
    } else if (bridge::is_sip_option(a)) {
      std::string err;
      if (!bridge::apply_sip_option(sip, a, value(), &err)) {
        std::fprintf(stderr, "bridge_gateway: %s\n", err.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "bridge_gateway: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (media_ips.empty()) media_ips.push_back(*IpAddress::parse("127.0.0.1"));

  boost::asio::io_context io;
  std::unique_ptr<testline::TestLine> line;
  if (test_line) {
    testline::TestLineConfig tc;
    tc.listen = *SocketAddress::parse("127.0.0.1:0");
    line = std::make_unique<testline::TestLine>(io, tc);
    bridge::TrunkConfig t;
    t.name = "testline";
    t.proxy = line->local_address();
    t.codecs = {"PCMU", "PCMA", "telephone-event"};
    sip.trunks.push_back(t);
    sip.test_line_trunk = "testline";
  }

  webrtc::MediaPort port(io);
  std::vector<SocketAddress> binds;
  for (const auto& ip : media_ips) binds.emplace_back(ip, media_port);
  if (auto ec = port.open(binds)) {
    std::fprintf(stderr, "bridge_gateway: media port: %s\n", ec.message().c_str());
    return 1;
  }
  webrtc::BrowserLegOptions leg;
  leg.dtls_context = dtls::DtlsContext::create(dtls::Certificate::generate());

  bridge::SipService sip_service(io, sip);
  try {
    sip_service.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bridge_gateway: SIP: %s\n", e.what());
    return 1;
  }
  bridge::BridgeCallConfig bc;
  bc.media_timeout = sip.media_timeout;
  bc.ring_timeout = sip.ring_timeout;
  bc.symmetric_rtp = sip.symmetric_rtp;
  bridge::GatewayRouter router(io, port, leg, &sip_service, bc);
  sc.extra_metrics = [&] { return router.metrics() + (line ? line->metrics() : std::string()); };

  std::shared_ptr<signaling::Server> server;
  try {
    server = signaling::Server::start(io, sc, router);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bridge_gateway: %s\n", e.what());
    return 1;
  }
  router.set_ring([server](std::string user, std::string from, std::string offer, auto done) {
    server->ring(std::move(user), std::move(from), std::move(offer), std::move(done));
  });
  std::printf("floe gateway: sip udp %s\n", sip_service.local_address().to_string().c_str());
  if (line) std::printf("floe gateway: test line %s\n", line->local_address().to_string().c_str());
  std::printf("floe gateway: listening http %u media %u\n", server->port(),
              port.local_addresses().front().port());
  std::fflush(stdout);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    std::printf("floe gateway: signal %d, shutting down (%zu calls)\n", sig, router.active_calls());
    router.hangup_all();
    sip_service.stop();
    if (line) line->close();
    server->stop();
    port.close();
    // Let the BYEs and unREGISTERs leave, then stop.
    auto t = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(200));
    t->async_wait([&io, t](const boost::system::error_code&) { io.stop(); });
  });
  io.run();
  router.hangup_all();
  return 0;
}
