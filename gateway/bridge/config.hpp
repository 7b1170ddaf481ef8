#pragma once
// Configuration of Floe's SIP side: the one listener shared by every trunk
// and call (DESIGN.md "Lessons": no SIP stack per account), the RTP port
// range, the trunks, and the table that routes inbound DIDs to browser users.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/address.hpp"
#include "base/time.hpp"

namespace floe::bridge {

// How DTMF from the browser travels toward a trunk.
enum class DtmfMode : std::uint8_t {
  Rfc4733,  // telephone-event RTP packets in the media stream
  Info,     // SIP INFO application/dtmf-relay in the dialog
};

struct TrunkConfig {
  std::string name = "trunk";
  // Where requests go (numeric address; RFC 3263 DNS is not done) and the
  // registrar, when it differs.
  SocketAddress proxy;
  std::optional<SocketAddress> registrar;
  std::string domain;  // host part of To/From/Request-URI; empty: the proxy's address
  std::string user;    // our account: From user and the registered AOR user
  std::string auth_user;  // digest username; empty: `user`
  std::string password;
  bool register_account = false;
  std::uint32_t expires = 3600;
  Duration keepalive = seconds(30);  // OPTIONS while registered (0 = off)
  // Codec names the trunk may use, in no particular order: PCMU, PCMA, G722,
  // telephone-event, opus. The offer keeps the browser's order.
  std::vector<std::string> codecs = {"PCMU", "PCMA", "G722", "telephone-event"};
  DtmfMode dtmf = DtmfMode::Rfc4733;
  // How requests reach the trunk (RFC 3261 §18, §26.2): "udp" (default),
  // "tcp" or "tls" (the trunk's certificate must list its IP address as a
  // subjectAltName: next hops are numeric).
  std::string transport = "udp";
};

// Inbound routing: the Request-URI user of an INVITE (a DID) to the browser
// user it rings. `match` is an exact user, a prefix ending in '*'
// ("4930*"), or "*" for everything. Rules are tried in order; an INVITE no
// rule maps rings the browser registered under its Request-URI user.
struct RouteRule {
  std::string match;
  std::string user;
};

struct SipConfig {
  SocketAddress listen = *SocketAddress::parse("0.0.0.0:5060");
  bool tcp = true;
  // SIP over TLS (RFC 3261 §26.2): our certificate and key (a listener on
  // tls_port is opened when both are set), the CAs that sign trunks'
  // certificates (empty: the system store), and whether to check them.
  std::string tls_certificate;
  std::string tls_private_key;
  std::string tls_ca;
  std::uint16_t tls_port = 5061;
  bool tls_verify = true;
  // Host in Via/Contact and c= of our SDP. Empty: the listen address (which
  // must then be concrete, not 0.0.0.0).
  std::string advertised_host;
  // Local address RTP sockets bind to; empty: the listen address.
  std::optional<IpAddress> media_address;
  std::uint16_t rtp_port_min = 20000;
  std::uint16_t rtp_port_max = 20999;
  // Learn the SIP peer's RTP address from the first packet after the answer
  // (then lock to it) instead of trusting only the signalled address.
  bool symmetric_rtp = true;
  Duration media_timeout = seconds(30);
  // RFC 4028: what we ask for on outgoing INVITEs, and the least we accept.
  std::uint32_t session_expires = 1800;
  std::uint32_t min_se = 90;
  // An incoming call nobody accepts within this long is answered 480.
  Duration ring_timeout = seconds(60);
  std::vector<TrunkConfig> trunks;
  std::vector<RouteRule> routes;
  // Name of the trunk `echo-sip`, `tone` and `busy` go to (the built-in test
  // line); empty: they go to the default trunk like any other number.
  std::string test_line_trunk;
  // Trunk for targets that do not name a host; empty: the first trunk.
  std::string default_trunk;
};

// Parses "name=..,proxy=host:port,user=..,password=..,register=1,..." (the
// --trunk flag). Unknown keys and malformed values give nullopt and `error`.
std::optional<TrunkConfig> parse_trunk(std::string_view spec, std::string* error = nullptr);
// "DID=user" or "prefix*=user" or "*=user".
std::optional<RouteRule> parse_route(std::string_view spec, std::string* error = nullptr);

// The command-line/config options of the SIP side, for `floe gateway`:
//   --sip-listen ADDR:PORT   --sip-advertise HOST   --rtp-address IP
//   --rtp-ports MIN-MAX      --trunk SPEC (repeatable)  --route MATCH=USER (repeatable)
//   --test-line-trunk NAME   --default-trunk NAME   --media-timeout SECONDS
//   --session-expires SECONDS   --ring-timeout SECONDS   --symmetric-rtp 0|1   --sip-tcp 0|1
// Returns false with `error` for an unknown option or a bad value.
bool is_sip_option(std::string_view flag);
bool apply_sip_option(SipConfig& config, std::string_view flag, std::string_view value,
                      std::string* error);
inline constexpr const char* kSipUsage =
    "  --sip-listen ADDR:PORT SIP listener (UDP and TCP) shared by every trunk and call\n"
    "  --sip-advertise HOST   host in Via/Contact and SDP c= (default: the listen address)\n"
    "  --rtp-address IP       address the SIP-side RTP sockets bind to\n"
    "  --rtp-ports MIN-MAX    SIP-side RTP port range (default 20000-20999)\n"
    "  --trunk SPEC           name=N,proxy=IP:PORT[,user=U,auth-user=A,password=P,register=1,\n"
    "                         expires=S,keepalive=S,domain=D,codecs=PCMU+PCMA+G722+\n"
    "                         telephone-event+opus,dtmf=rfc4733|info] (repeatable)\n"
    "  --route MATCH=USER     inbound DID (or PREFIX*, or *) to browser user (repeatable)\n"
    "  --test-line-trunk NAME trunk that `echo-sip`, `tone` and `busy` go to\n"
    "  --default-trunk NAME   trunk for numbers (default: the first other trunk)\n"
    "  --media-timeout S      no RTP from SIP this long ends a call (default 30)\n"
    "  --session-expires S    RFC 4028 interval asked for (default 1800; 0: off)\n"
    "  --ring-timeout S       an unanswered incoming call gets 480 after this (default 60)\n"
    "  --symmetric-rtp 0|1    learn the SIP peer's RTP source after the answer (default 1)\n"
    "  --sip-tcp 0|1          also listen on TCP (default 1)\n"
    "  --sip-tls-cert FILE --sip-tls-key FILE  SIP over TLS: listen on --sip-tls-port\n"
    "                         (default 5061) and present this certificate\n"
    "  --sip-tls-ca FILE      CAs for trunks' certificates (default: the system store)\n"
    "  --sip-tls-verify 0|1   check trunks' certificates (default 1; 0 only for labs)\n"
    "  --sip-tls-port PORT    the TLS listener's port (0 picks one)\n";

}  // namespace floe::bridge
