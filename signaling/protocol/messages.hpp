#pragma once
// Typed messages of Floe's JSON signaling protocol (docs/protocol.md).
// Parsing validates every field and bound, so the session code only sees
// well-formed requests; anything else becomes a ProtocolError naming the
// request id when one could be read.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "signaling/protocol/errors.hpp"

namespace floe::signaling {

// The request id exactly as the client wrote it (a string or an integer),
// so replies echo it back unchanged.
struct RequestId {
  std::string text;
  bool numeric = false;
  bool operator==(const RequestId&) const = default;
};

struct HelloRequest {
  std::optional<std::string> token;
  std::optional<std::string> resume;  // session id to take back
};
struct RegisterRequest {
  std::string user;
};
struct CallRequest {
  std::string call_id;
  std::string target;
  std::string sdp;  // offer
};
struct IceCandidate {
  std::string candidate;  // "candidate:..." as RTCIceCandidate.candidate
  std::optional<std::string> sdp_mid;
  std::optional<std::uint16_t> sdp_mline_index;
};
struct CandidateRequest {
  std::string call_id;
  IceCandidate candidate;
};
struct EndOfCandidatesRequest {
  std::string call_id;
};
struct HangupRequest {
  std::string call_id;
  std::string reason;
};
struct DtmfRequest {
  std::string call_id;
  std::string digits;        // RFC 4733 events 0-9 * # A-D
  std::uint32_t duration_ms = 100;
};
struct AcceptRequest {
  std::string call_id;
  std::string sdp;  // answer to an incoming offer
};
// A new offer inside an established call (renegotiation, e.g. after
// RTCPeerConnection.restartIce()); Floe answers with `answer`.
struct RenegotiateRequest {
  std::string call_id;
  std::string sdp;  // offer
};
struct RejectRequest {
  std::string call_id;
  std::string reason;
};
struct PingRequest {};

using RequestBody =
    std::variant<HelloRequest, RegisterRequest, CallRequest, CandidateRequest,
                 EndOfCandidatesRequest, HangupRequest, DtmfRequest, AcceptRequest,
                 RejectRequest, PingRequest, RenegotiateRequest>;

struct Request {
  RequestId id;
  RequestBody body;
};

struct ProtocolError {
  std::optional<RequestId> id;
  ErrorCode code = ErrorCode::BadMessage;
  std::string message;
  std::optional<std::string> call_id;
};

struct MessageLimits {
  std::size_t max_sdp = 64 * 1024;
  std::size_t max_candidate = 1024;
  std::size_t max_token = 2048;
  std::size_t max_target = 256;
  std::size_t max_digits = 32;
};

class ParsedRequest {
 public:
  ParsedRequest(Request r) : v_(std::move(r)) {}
  ParsedRequest(ProtocolError e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  const Request& value() const { return std::get<0>(v_); }
  const ProtocolError& error() const { return std::get<1>(v_); }

 private:
  std::variant<Request, ProtocolError> v_;
};

ParsedRequest parse_request(std::string_view text, const MessageLimits& limits = {});

// Validators shared with the server side.
bool valid_call_id(std::string_view s);   // 1..64 of [A-Za-z0-9._-]
bool valid_user_name(std::string_view s); // 1..64 of [A-Za-z0-9._@+-]

// ---- Server to client -------------------------------------------------

struct IceServer {
  std::vector<std::string> urls;  // "stun:host:3478", "turn:host:3478?transport=udp"
  std::string username;
  std::string credential;
};

struct WelcomeMessage {
  RequestId id;
  std::string session_id;
  bool resumed = false;
  std::vector<IceServer> ice_servers;
  std::uint32_t resume_window_s = 30;
  std::size_t max_message_bytes = 0;
  std::optional<std::string> user;
  std::vector<std::pair<std::string, std::string>> calls;  // resumed: callId, state
};

std::string to_json(const WelcomeMessage& m);
std::string ack_json(const RequestId& id, const std::optional<std::string>& call_id = {});
std::string pong_json(const RequestId& id);
std::string error_json(const ProtocolError& e);

// Call events; `type` is one of ringing, progress, answered.
std::string call_event_json(std::string_view type, std::string_view call_id);
std::string answer_json(std::string_view call_id, std::string_view sdp);
std::string incoming_json(std::string_view call_id, std::string_view from, std::string_view sdp);
std::string candidate_json(std::string_view call_id, const IceCandidate& c);
std::string end_of_candidates_json(std::string_view call_id);
std::string ended_json(std::string_view call_id, std::string_view reason, std::string_view message);
std::string stats_json(std::string_view call_id, const std::map<std::string, double>& stats);

}  // namespace floe::signaling
