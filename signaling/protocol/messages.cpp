#include "signaling/protocol/messages.hpp"

#include <nlohmann/json.hpp>

namespace floe::signaling {

using nlohmann::json;

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadJson: return "bad-json";
    case ErrorCode::BadMessage: return "bad-message";
    case ErrorCode::UnknownType: return "unknown-type";
    case ErrorCode::TooLarge: return "too-large";
    case ErrorCode::RateLimited: return "rate-limited";
    case ErrorCode::Unauthorized: return "unauthorized";
    case ErrorCode::HelloRequired: return "hello-required";
    case ErrorCode::UnknownCall: return "unknown-call";
    case ErrorCode::CallExists: return "call-exists";
    case ErrorCode::TooManyCalls: return "too-many-calls";
    case ErrorCode::BadSdp: return "bad-sdp";
    case ErrorCode::UnsupportedSdp: return "unsupported-sdp";
    case ErrorCode::NotFound: return "not-found";
    case ErrorCode::UserTaken: return "user-taken";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

namespace {

constexpr std::size_t kMaxDepth = 16;

// nlohmann/json builds nested values recursively when they are destroyed or
// copied; refuse deep nesting before parsing so hostile input stays cheap.
bool nesting_within(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) --depth;
  }
  return true;
}

bool charset(std::string_view s, std::size_t max, std::string_view extra) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool printable_text(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return false;
  return true;
}

// Reads typed fields from one request object; the first failure sticks.
class Reader {
 public:
  Reader(const json& obj, RequestId id) : obj_(obj), id_(std::move(id)) {}

  std::optional<std::string> string(const char* name, std::size_t max, bool required,
                                    bool allow_newlines = false) {
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) {
      if (required) fail(std::string("field '") + name + "' is required");
      return std::nullopt;
    }
    if (!it->is_string()) {
      fail(std::string("field '") + name + "' must be a string");
      return std::nullopt;
    }
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > max) {
      fail(std::string("field '") + name + "' is longer than " + std::to_string(max) + " bytes");
      return std::nullopt;
    }
    if (!allow_newlines && !printable_text(s)) {
      fail(std::string("field '") + name + "' contains control characters");
      return std::nullopt;
    }
    return s;
  }

  std::optional<std::uint64_t> number(const char* name, std::uint64_t min, std::uint64_t max) {
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
      fail(std::string("field '") + name + "' must be a non-negative integer");
      return std::nullopt;
    }
    auto v = it->get<std::uint64_t>();
    if (v < min || v > max) {
      fail(std::string("field '") + name + "' must be in " + std::to_string(min) + ".." +
           std::to_string(max));
      return std::nullopt;
    }
    return v;
  }

  std::string call_id() {
    auto s = string("callId", 64, true);
    if (s && !valid_call_id(*s)) fail("field 'callId' must be 1..64 of A-Z a-z 0-9 . _ -");
    return s.value_or("");
  }

  void fail(std::string message) {
    if (!error_) error_ = ProtocolError{id_, ErrorCode::BadMessage, std::move(message), {}};
  }
  const std::optional<ProtocolError>& error() const { return error_; }

 private:
  const json& obj_;
  RequestId id_;
  std::optional<ProtocolError> error_;
};

std::optional<RequestBody> read_body(std::string_view type, Reader& r, const MessageLimits& lim) {
  if (type == "hello") {
    HelloRequest h;
    h.token = r.string("token", lim.max_token, false);
    h.resume = r.string("resume", 64, false);
    return h;
  }
  if (type == "register") {
    RegisterRequest g;
    auto user = r.string("user", 64, true);
    if (user && !valid_user_name(*user)) r.fail("field 'user' must be 1..64 of A-Z a-z 0-9 . _ @ + -");
    g.user = user.value_or("");
    return g;
  }
  if (type == "call") {
    CallRequest c;
    c.call_id = r.call_id();
    c.target = r.string("target", lim.max_target, true).value_or("");
    if (c.target.empty()) r.fail("field 'target' must not be empty");
    c.sdp = r.string("sdp", lim.max_sdp, true, true).value_or("");
    return c;
  }
  if (type == "candidate") {
    CandidateRequest c;
    c.call_id = r.call_id();
    c.candidate.candidate = r.string("candidate", lim.max_candidate, true).value_or("");
    c.candidate.sdp_mid = r.string("sdpMid", 32, false);
    if (auto i = r.number("sdpMLineIndex", 0, 63)) c.candidate.sdp_mline_index = static_cast<std::uint16_t>(*i);
    // An empty candidate is how browsers say end-of-candidates (RFC 8838 §4.4).
    return c;
  }
  if (type == "end-of-candidates") return EndOfCandidatesRequest{r.call_id()};
  if (type == "hangup") {
    HangupRequest h;
    h.call_id = r.call_id();
    h.reason = r.string("reason", 128, false).value_or("hangup");
    return h;
  }
  if (type == "dtmf") {
    DtmfRequest d;
    d.call_id = r.call_id();
    auto digits = r.string("digits", lim.max_digits, true);
    if (digits && !charset(*digits, lim.max_digits, "*#")) r.fail("field 'digits' may hold only 0-9 * # A-D");
    if (digits)
      for (char c : *digits)
        if ((c >= 'a' && c <= 'z') || (c >= 'E' && c <= 'Z')) r.fail("field 'digits' may hold only 0-9 * # A-D");
    d.digits = digits.value_or("");
    // RFC 4733 §2.5.1.3: events shorter than 40 ms are not reliably heard.
    if (auto ms = r.number("duration", 40, 6000)) d.duration_ms = static_cast<std::uint32_t>(*ms);
    return d;
  }
  if (type == "accept") {
    AcceptRequest a;
    a.call_id = r.call_id();
    a.sdp = r.string("sdp", lim.max_sdp, true, true).value_or("");
    return a;
  }
  if (type == "offer") {
    RenegotiateRequest o;
    o.call_id = r.call_id();
    o.sdp = r.string("sdp", lim.max_sdp, true, true).value_or("");
    return o;
  }
  if (type == "reject") {
    RejectRequest j;
    j.call_id = r.call_id();
    j.reason = r.string("reason", 128, false).value_or("rejected");
    return j;
  }
  if (type == "ping") return PingRequest{};
  return std::nullopt;
}

json id_value(const RequestId& id) {
  if (id.numeric) return json::parse(id.text, nullptr, false);
  return id.text;
}

}  // namespace

bool valid_call_id(std::string_view s) { return charset(s, 64, "._-"); }
bool valid_user_name(std::string_view s) { return charset(s, 64, "._@+-"); }

ParsedRequest parse_request(std::string_view text, const MessageLimits& lim) {
  if (!nesting_within(text, kMaxDepth))
    return ProtocolError{std::nullopt, ErrorCode::BadJson, "JSON nesting is deeper than 16 levels", {}};
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return ProtocolError{std::nullopt, ErrorCode::BadJson, "the message is not valid JSON", {}};
  if (!doc.is_object())
    return ProtocolError{std::nullopt, ErrorCode::BadJson, "the message must be a JSON object", {}};

  std::optional<RequestId> id;
  if (auto it = doc.find("id"); it != doc.end()) {
    if (it->is_string() && !it->get_ref<const std::string&>().empty() &&
        it->get_ref<const std::string&>().size() <= 64 && printable_text(it->get_ref<const std::string&>()))
      id = RequestId{it->get<std::string>(), false};
    else if (it->is_number_unsigned() || (it->is_number_integer() && it->get<std::int64_t>() >= 0))
      id = RequestId{std::to_string(it->get<std::uint64_t>()), true};
  }
  auto type_it = doc.find("type");
  if (type_it == doc.end() || !type_it->is_string())
    return ProtocolError{id, ErrorCode::BadMessage, "field 'type' is required and must be a string", {}};
  const std::string& type = type_it->get_ref<const std::string&>();
  if (!id)
    return ProtocolError{std::nullopt, ErrorCode::BadMessage,
                         "field 'id' is required: a non-empty string of at most 64 characters or a non-negative integer",
                         {}};
  Reader reader(doc, *id);
  auto body = read_body(type, reader, lim);
  if (!body) {
    std::string shown = type.size() > 32 ? type.substr(0, 32) + "..." : type;
    if (!printable_text(shown)) shown = "?";
    return ProtocolError{id, ErrorCode::UnknownType, "unknown message type '" + shown + "'", {}};
  }
  if (reader.error()) return *reader.error();
  return Request{*id, std::move(*body)};
}

// ---- Server to client -------------------------------------------------

std::string to_json(const WelcomeMessage& m) {
  json servers = json::array();
  for (const auto& s : m.ice_servers) {
    json e{{"urls", s.urls}};
    if (!s.username.empty()) e["username"] = s.username;
    if (!s.credential.empty()) e["credential"] = s.credential;
    servers.push_back(std::move(e));
  }
  json j{{"type", "welcome"},
         {"id", id_value(m.id)},
         {"sessionId", m.session_id},
         {"resumed", m.resumed},
         {"iceServers", std::move(servers)},
         {"resumeWindow", m.resume_window_s},
         {"maxMessageBytes", m.max_message_bytes}};
  if (m.user) j["user"] = *m.user;
  json calls = json::array();
  for (const auto& [id, state] : m.calls) calls.push_back({{"callId", id}, {"state", state}});
  j["calls"] = std::move(calls);
  return j.dump();
}

std::string ack_json(const RequestId& id, const std::optional<std::string>& call_id) {
  json j{{"type", "ack"}, {"id", id_value(id)}};
  if (call_id) j["callId"] = *call_id;
  return j.dump();
}

std::string pong_json(const RequestId& id) { return json{{"type", "pong"}, {"id", id_value(id)}}.dump(); }

std::string error_json(const ProtocolError& e) {
  json j{{"type", "error"},
         {"id", e.id ? id_value(*e.id) : json(nullptr)},
         {"code", std::string(to_string(e.code))},
         {"message", e.message}};
  if (e.call_id) j["callId"] = *e.call_id;
  // Messages may quote client text; replace invalid UTF-8 rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string call_event_json(std::string_view type, std::string_view call_id) {
  return json{{"type", type}, {"callId", call_id}}.dump();
}

std::string answer_json(std::string_view call_id, std::string_view sdp) {
  return json{{"type", "answer"}, {"callId", call_id}, {"sdp", sdp}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string incoming_json(std::string_view call_id, std::string_view from, std::string_view sdp) {
  return json{{"type", "incoming"}, {"callId", call_id}, {"from", from}, {"sdp", sdp}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

std::string candidate_json(std::string_view call_id, const IceCandidate& c) {
  json j{{"type", "candidate"}, {"callId", call_id}, {"candidate", c.candidate}};
  j["sdpMid"] = c.sdp_mid ? json(*c.sdp_mid) : json(nullptr);
  j["sdpMLineIndex"] = c.sdp_mline_index ? json(*c.sdp_mline_index) : json(nullptr);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string end_of_candidates_json(std::string_view call_id) {
  return json{{"type", "end-of-candidates"}, {"callId", call_id}}.dump();
}

std::string ended_json(std::string_view call_id, std::string_view reason, std::string_view message) {
  json j{{"type", "ended"}, {"callId", call_id}, {"reason", reason}};
  if (!message.empty()) j["message"] = message;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string stats_json(std::string_view call_id, const std::map<std::string, double>& stats) {
  return json{{"type", "stats"}, {"callId", call_id}, {"stats", stats}}.dump();
}

}  // namespace floe::signaling
