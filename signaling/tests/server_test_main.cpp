// signaling_server_test_main: the real signaling server with the fake call
// handler, serving web/, so interop tests run without the gateway.
//   signaling_server_test_main --web DIR [--bind 127.0.0.1] [--port 0]
//     [--cert F --key F] [--origin O]... [--auth hmac|shared --secret S]
//     [--resume-window S] [--max-message N] [--rate-burst N] [--rate N]
//     [--idle S] [--ping S]
// Prints "listening <port>" on stdout once ready.
#include <utility>  // before Asio: Boost 1.74 misses it in C++20

#include <boost/asio.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "signaling/server/server.hpp"
#include "signaling/tests/fake_call_handler.hpp"

int main(int argc, char** argv) {
  using namespace floe::signaling;
  ServerConfig cfg;
  cfg.bind_address = "127.0.0.1";
  cfg.port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << a << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--web") cfg.web_root = next();
    else if (a == "--bind") cfg.bind_address = next();
    else if (a == "--port") cfg.port = static_cast<std::uint16_t>(std::stoi(next()));
    else if (a == "--cert") cfg.tls_certificate_file = next();
    else if (a == "--key") cfg.tls_private_key_file = next();
    else if (a == "--origin") cfg.allowed_origins.push_back(next());
    else if (a == "--secret") cfg.hub.auth.secret = next();
    else if (a == "--auth") {
      std::string m = next();
      cfg.hub.auth.mode = m == "hmac" ? AuthConfig::Mode::Hmac : AuthConfig::Mode::SharedSecret;
    } else if (a == "--resume-window") cfg.hub.resume_window = floe::seconds(std::stoi(next()));
    else if (a == "--max-message") cfg.hub.max_message_bytes = std::stoul(next());
    else if (a == "--rate-burst") cfg.hub.rate_burst = std::stod(next());
    else if (a == "--rate") cfg.hub.rate_per_second = std::stod(next());
    else if (a == "--idle") cfg.hub.idle_timeout = floe::seconds(std::stoi(next()));
    else if (a == "--ping") cfg.hub.ping_interval = floe::seconds(std::stoi(next()));
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (cfg.web_root.empty()) cfg.web_root = default_web_root();
  cfg.hub.ice_servers = {{{"stun:127.0.0.1:3478"}, "", ""}};
  boost::asio::io_context io;
  testing::FakeCallHandler handler;
  std::shared_ptr<Server> server;
  try {
    server = Server::start(io, cfg, handler);
  } catch (const std::exception& e) {
    std::cerr << "signaling_server_test_main: " << e.what() << "\n";
    return 1;
  }
  handler.ring = [server](std::string user, std::string from, std::string offer,
                         std::function<void(std::shared_ptr<CallSink>)> done) {
    server->ring(std::move(user), std::move(from), std::move(offer), std::move(done));
  };
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server->stop();
    io.stop();
  });
  std::cout << "listening " << server->port() << std::endl;
  io.run();
  return 0;
}
