#pragma once
// The signaling server: one TCP port serving HTTP (web/ files, /healthz,
// /metrics) and WebSocket on /ws, over TLS when a certificate is configured.
// Beast stays inside server.cpp; this header only needs Asio's io_context.
//
// Threading: the io_context given to start() must be run by ONE thread (the
// signaling thread); CallHandler methods run there. CallSinks and ring() may
// be used from any thread, as long as the io_context outlives them.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "signaling/session/call_handler.hpp"
#include "signaling/session/hub.hpp"

namespace boost::asio {
class io_context;
}

namespace floe::signaling {

struct ServerConfig {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8080;         // 0: pick a free port (tests)
  std::string web_root;              // directory served at /; empty: none
  std::string tls_certificate_file;  // PEM chain; with the key: https and wss
  std::string tls_private_key_file;
  // Origins allowed to open /ws; empty: the page's own origin; "*": any.
  std::vector<std::string> allowed_origins;
  // Hard cap on one WebSocket message; larger ones close the socket (1009).
  // hub.max_message_bytes is the soft cap that answers `too-large` instead.
  std::size_t max_frame_bytes = 1024 * 1024;
  std::size_t max_connections = 10000;
  HubConfig hub;
  // Extra Prometheus text appended to /metrics (the gateway's counters).
  std::function<std::string()> extra_metrics;
};

class Server {
 public:
  virtual ~Server() = default;
  // Binds and starts accepting. Throws std::runtime_error naming the address
  // when the port cannot be bound or the certificate cannot be loaded.
  static std::shared_ptr<Server> start(boost::asio::io_context& io, ServerConfig config,
                                       CallHandler& handler);

  virtual std::uint16_t port() const = 0;
  virtual bool tls() const = 0;
  // Offers a call to the browser registered as `user`. `done` runs on the
  // signaling thread with the call's sink, or nullptr when nobody is
  // registered under that name.
  virtual void ring(std::string user, std::string from, std::string offer_sdp,
                    std::function<void(std::shared_ptr<CallSink>)> done) = 0;
  // Stops accepting and closes every WebSocket (1001 going away).
  virtual void stop() = 0;
};

// Where the web/ files are when nothing is configured: $FLOE_WEB_ROOT if set,
// else the source tree's web/ this binary was built from, if it exists.
std::string default_web_root();

// start() and run the io_context on the calling thread until stop().
// Returns 0, or 1 after printing why the server could not start.
int run_server(const ServerConfig& config, boost::asio::io_context& io, CallHandler& handler);

}  // namespace floe::signaling
