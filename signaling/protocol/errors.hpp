#pragma once
// Stable error codes of the JSON protocol (docs/protocol.md). Clients switch
// on these strings, so they never change meaning once released.
#include <cstdint>
#include <string_view>

namespace floe::signaling {

enum class ErrorCode : std::uint8_t {
  BadJson,         // not JSON, or not a JSON object
  BadMessage,      // a field is missing, of the wrong type or out of range
  UnknownType,     // "type" names no request
  TooLarge,        // the message exceeds the size limit
  RateLimited,     // too many messages in a short time; the message was dropped
  Unauthorized,    // token missing, malformed, forged or expired
  HelloRequired,   // the first request of a connection must be hello
  UnknownCall,     // callId names no call of this session
  CallExists,      // callId is already in use in this session
  TooManyCalls,    // the session has as many calls as it may have
  BadSdp,          // the SDP does not parse; the message names the line
  UnsupportedSdp,  // the SDP parses but Floe cannot use it (no audio, no DTLS...)
  NotFound,        // the call target or user is unknown
  UserTaken,       // register: another session holds this user name
  Internal,        // Floe failed; the session carries on
};

std::string_view to_string(ErrorCode code);

}  // namespace floe::signaling
