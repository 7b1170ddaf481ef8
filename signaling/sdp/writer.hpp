#pragma once
// Prints a SessionDescription as SDP text with CRLF line ends, lines in the
// order RFC 8866 §5 requires and attributes in the order browsers use.
#include <string>

#include "signaling/sdp/session_description.hpp"

namespace floe::sdp {

std::string to_string(const SessionDescription& sdp);

}  // namespace floe::sdp
