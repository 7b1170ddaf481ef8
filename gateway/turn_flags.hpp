#pragma once
// `floe gateway` flags for TURN: the embedded TURN server (EmbeddedTurnOptions)
// and the TURN servers Floe's own ICE agents allocate relayed candidates on
// (`ice.turn_servers`). Kept out of cmd_gateway.cpp so its flag loop gets
// one line; the JSON config file reaches the same flags (gather_args reads
// the option names from the usage text, which includes these lines).
#include <optional>
#include <string_view>
#include <vector>

#include "gateway/command_line.hpp"
#include "gateway/embedded_turn.hpp"
#include "ice/io/turn_link.hpp"

// Spliced into the gateway's usage text.
#define FLOE_GATEWAY_TURN_USAGE                                                              \
  "\n"                                                                                       \
  "Embedded TURN server (off unless --turn-listen or --turn-tls-listen is given):\n"         \
  "  --turn-listen ADDR:PORT   UDP and TCP listen address (repeatable), e.g. 0.0.0.0:3478\n" \
  "  --turn-no-tcp             UDP only on the --turn-listen addresses\n"                    \
  "  --turn-tls-listen ADDR:PORT  TURN over TLS (needs --turn-cert, --turn-key)\n"           \
  "  --turn-cert FILE          PEM certificate chain for --turn-tls-listen\n"                \
  "  --turn-key FILE           PEM private key for --turn-tls-listen\n"                      \
  "  --turn-realm REALM        long-term credential realm (default floe)\n"                  \
  "  --turn-user NAME:PASSWORD a static user (repeatable); without --turn-secret the\n"      \
  "                            first one is handed to browsers in `welcome`\n"              \
  "  --turn-secret SECRET      TURN REST API secret (coturn use-auth-secret): `welcome`\n"   \
  "                            carries ephemeral credentials minted per session\n"          \
  "  --turn-ttl SECONDS        lifetime of those credentials (default 86400)\n"             \
  "  --turn-relay-ip IP        relays bind here (default: a media address)\n"               \
  "  --turn-relay-ports LO-HI  relay port range (default 49152-65535)\n"                    \
  "  --turn-url URL            TURN URL handed to browsers (repeatable; default from\n"      \
  "                            the listen addresses and --advertise)\n"                     \
  "  --turn-any-peer           relays may reach other hosts too (default: only this\n"      \
  "                            gateway's media addresses)\n"                                \
  "  --turn-allow-peer CIDR    also let relays reach this range (repeatable)\n"             \
  "\n"                                                                                       \
  "TURN for Floe's own ICE agents (relayed candidates on the browser legs):\n"              \
  "  --ice-turn-server SPEC    URL[,username=U][,credential=P][,secret=S][,ca=FILE]\n"       \
  "                            [,name=HOST][,verify=0] (repeatable), e.g.\n"                \
  "                            turns:turn.example.com:5349,username=u,credential=p\n"

namespace floe::cmd {

struct GatewayTurnSettings {
  gateway::EmbeddedTurnOptions embedded;
  std::vector<io::TurnServerSpec> ice_turn_servers;
};

// Handles one TURN flag: nullopt when `flag` is not a TURN flag, else 0, or
// the exit status of a usage error (already printed).
std::optional<int> parse_turn_flag(CommandLine& cl, std::string_view flag,
                                   GatewayTurnSettings& settings);

// One --ice-turn-server value.
std::optional<io::TurnServerSpec> parse_ice_turn_server(std::string_view spec, std::string* error);

}  // namespace floe::cmd
