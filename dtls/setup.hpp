#pragma once
// Who runs the DTLS client: the a=setup negotiation of RFC 8842 §5 (which
// applies RFC 4145 §4 to DTLS): the offerer says actpass, the answerer
// picks active (it connects, i.e. DTLS client) or passive.
#include <optional>
#include <string_view>

namespace floe::dtls {

enum class Role { Client, Server };
enum class Setup { ActPass, Active, Passive, HoldConn };

std::optional<Setup> parse_setup(std::string_view value);
std::string_view to_string(Setup setup);

// The answer's a=setup for a received offer's a=setup: an actpass offer is
// answered active (RFC 8842 §5.3 recommends it, so the answerer's first flight
// goes out at once); active → passive; passive → active.
std::optional<Setup> answer_setup(Setup offer);

// Our DTLS role from our own a=setup and the peer's, once both are known.
// nullopt when the pair is not a valid negotiation outcome.
std::optional<Role> role_from_setup(Setup local, Setup remote);

}  // namespace floe::dtls
