#pragma once
// The TURN server embedded in `floe gateway` (off by default): the same
// io::TurnServerDriver as `floe turn-server`, started on the gateway's
// io_context, plus what the signaling needs to hand it out: the URLs and,
// for each `welcome`, credentials (a static user, or TURN REST API
// ephemeral ones minted per session, coturn `use-auth-secret` compatible).
//
// Its purpose is to let a browser behind a UDP-blocking firewall or a
// symmetric NAT reach the gateway's own media port (DESIGN.md "Lessons":
// a container should work with `-p 8080 -p 3478/udp`). So by default its
// relays reach only the gateway's media addresses (gateway_peers_only):
// handing credentials to every WebSocket client must not make the gateway
// an open relay into the network around it.
//
// Every setting lives in EmbeddedTurnOptions so that the command line and
// the JSON config file fill the same struct.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/address.hpp"
#include "base/time.hpp"
#include "ice/turn/limits.hpp"
#include "signaling/protocol/messages.hpp"

namespace floe::io {
class TurnServerDriver;
}

namespace floe::gateway {

struct EmbeddedTurnOptions {
  // UDP listen addresses (and TCP on the same ones when `tcp`); empty and no
  // `tls_listen`: the embedded server is off.
  std::vector<SocketAddress> listen;
  bool udp = true;
  bool tcp = true;
  // TURN over TLS (RFC 8656 §3.1); needs the certificate and key.
  std::vector<SocketAddress> tls_listen;
  std::string tls_certificate;  // PEM chain file
  std::string tls_private_key;  // PEM key file
  std::string realm = "floe";
  // Static long-term users (name -> password). The first one is what
  // `welcome` hands out when there is no REST secret.
  std::map<std::string, std::string> users;
  // TURN REST API shared secret: `welcome` then carries ephemeral
  // credentials, username "<unix expiry>:<user>", password
  // base64(HMAC-SHA1(secret, username)). The same secret in coturn's
  // `static-auth-secret` makes them valid there too.
  std::string rest_secret;
  seconds rest_ttl{86400};  // lifetime of minted credentials
  // Relays bind to (and advertise) these; default: the specific listen
  // address of the family, else the gateway's first media address of it.
  std::optional<IpAddress> relay_ipv4, relay_ipv6;
  std::uint16_t relay_port_min = 49152;
  std::uint16_t relay_port_max = 65535;
  // Relays reach only the gateway's own media (and advertised) addresses
  // plus `allowed_peers`. false: the usual TURN peer policy (public peers
  // allowed; loopback/private/link-local denied unless in allowed_peers).
  bool gateway_peers_only = true;
  std::vector<turn::IpRange> allowed_peers;
  std::size_t max_allocations = 10000;
  std::size_t max_allocations_per_user = 100;
  std::uint64_t max_bytes_per_second = 0;  // per allocation; 0: no limit
  // URLs handed to browsers ("turn:turn.example.com:3478?transport=udp",
  // "turns:turn.example.com:5349?transport=tcp"). Empty: derived from the
  // listen addresses, a wildcard one replaced by the advertised address.
  std::vector<std::string> urls;

  bool enabled() const { return !listen.empty() || !tls_listen.empty(); }
};

class EmbeddedTurn {
 public:
  explicit EmbeddedTurn(boost::asio::io_context& io);
  ~EmbeddedTurn();
  EmbeddedTurn(const EmbeddedTurn&) = delete;
  EmbeddedTurn& operator=(const EmbeddedTurn&) = delete;

  // Opens the listeners. `gateway_addresses`: the media port's addresses
  // and the advertised one (relay peers and URL/relay defaults). Returns
  // why it cannot start; `opened` gets one line per listener.
  std::optional<std::string> start(const EmbeddedTurnOptions& options,
                                   const std::vector<IpAddress>& gateway_addresses,
                                   const std::optional<IpAddress>& advertised,
                                   std::vector<std::string>* opened = nullptr);
  void stop();
  bool running() const { return driver_ != nullptr; }

  // The `welcome` entry for one session: the URLs with a static user, or
  // REST credentials for `user` (empty: a random per-session name) valid
  // until unix_now + rest_ttl.
  signaling::IceServer ice_server_for(const std::string& user, std::int64_t unix_now) const;
  const std::vector<std::string>& urls() const { return urls_; }
  const EmbeddedTurnOptions& options() const { return opt_; }
  // Prometheus text (floe_turn_*).
  std::string metrics() const;

 private:
  boost::asio::io_context& io_;
  EmbeddedTurnOptions opt_;
  std::vector<std::string> urls_;
  std::unique_ptr<io::TurnServerDriver> driver_;
};

}  // namespace floe::gateway
