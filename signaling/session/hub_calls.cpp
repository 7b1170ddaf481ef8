// Calls inside a session: requests from the browser going to the handler,
// and handler events going back to the browser.
#include "base/random.hpp"
#include "signaling/sdp/parser.hpp"
#include "signaling/session/hub.hpp"

namespace floe::signaling {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

const std::string* call_id_of(const RequestBody& body) {
  return std::visit(
      [](const auto& r) -> const std::string* {
        if constexpr (requires { r.call_id; }) return &r.call_id;
        else return nullptr;
      },
      body);
}

}  // namespace

CallContext SessionHub::context(const Session& s, const std::string& call_id) const {
  CallContext ctx;
  ctx.key = {s.id, call_id};
  ctx.user = !s.token_user.empty() ? s.token_user : s.registered.value_or("");
  ctx.peer = s.peer;
  return ctx;
}

std::shared_ptr<CallSink> SessionHub::make_sink(const CallKey& key) {
  return std::make_shared<CallSink>(key, config_.post);
}

void SessionHub::register_user(Session& s, const RequestId& rid, const RegisterRequest& r) {
  auto taken = users_.find(r.user);
  if (taken != users_.end() && taken->second != s.id) {
    send_error(s, {rid, ErrorCode::UserTaken, "another session has registered '" + r.user + "'", {}});
    return;
  }
  if (s.registered && *s.registered != r.user) {
    users_.erase(*s.registered);
    handler_.unregistered(s.id, *s.registered);
  }
  s.registered = r.user;
  users_[r.user] = s.id;
  send_to_session(s, ack_json(rid));
  handler_.registered(s.id, r.user);
}

void SessionHub::start_call(Session& s, const RequestId& rid, const CallRequest& c) {
  if (s.calls.count(c.call_id)) {
    send_error(s, {rid, ErrorCode::CallExists, "call '" + c.call_id + "' already exists", c.call_id});
    return;
  }
  if (s.calls.size() >= config_.max_calls_per_session) {
    send_error(s, {rid, ErrorCode::TooManyCalls,
                   "a session may have " + std::to_string(config_.max_calls_per_session) + " calls",
                   c.call_id});
    return;
  }
  auto offer = sdp::parse(c.sdp);
  if (!offer.ok()) {
    send_error(s, {rid, ErrorCode::BadSdp, "SDP offer " + offer.error().to_string(), c.call_id});
    return;
  }
  auto sink = make_sink({s.id, c.call_id});
  s.calls.emplace(c.call_id, Call{rid, true, "calling", sink});
  ++counters_.calls_started;
  // Ack first: a handler may answer synchronously and the browser should
  // see the ack before the answer.
  send_to_session(s, ack_json(rid, c.call_id));
  handler_.call(context(s, c.call_id), c.target, offer.value(), std::move(sink));
}

void SessionHub::call_request(Session& s, const RequestId& rid, const RequestBody& body) {
  const std::string* call_id = call_id_of(body);
  if (!call_id) return;
  auto it = s.calls.find(*call_id);
  if (it == s.calls.end()) {
    send_error(s, {rid, ErrorCode::UnknownCall, "there is no call '" + *call_id + "'", *call_id});
    return;
  }
  CallContext ctx = context(s, *call_id);
  Call& call = it->second;
  std::visit(
      Overloaded{
          [&](const CandidateRequest& r) {
            send_to_session(s, ack_json(rid, ctx.key.call_id));
            if (r.candidate.candidate.empty()) handler_.end_of_candidates(ctx);
            else handler_.candidate(ctx, r.candidate);
          },
          [&](const EndOfCandidatesRequest&) {
            send_to_session(s, ack_json(rid, ctx.key.call_id));
            handler_.end_of_candidates(ctx);
          },
          [&](const HangupRequest& r) {
            s.calls.erase(it);
            send_to_session(s, ack_json(rid, ctx.key.call_id));
            handler_.hangup(ctx, r.reason);
          },
          [&](const DtmfRequest& r) {
            send_to_session(s, ack_json(rid, ctx.key.call_id));
            handler_.dtmf(ctx, r.digits, r.duration_ms);
          },
          [&](const AcceptRequest& r) {
            if (call.outgoing || call.state != "incoming") {
              send_error(s, {rid, ErrorCode::BadMessage,
                             "call '" + ctx.key.call_id + "' is not an unanswered incoming call",
                             ctx.key.call_id});
              return;
            }
            auto answer = sdp::parse(r.sdp);
            if (!answer.ok()) {
              send_error(s, {rid, ErrorCode::BadSdp, "SDP answer " + answer.error().to_string(),
                             ctx.key.call_id});
              return;
            }
            call.state = "accepted";
            send_to_session(s, ack_json(rid, ctx.key.call_id));
            handler_.accept(ctx, answer.value());
          },
          [&](const RenegotiateRequest& r) {
            // Only a call whose first offer/answer completed has a media
            // session to renegotiate (RFC 3264 §8).
            if (call.state == "calling" || call.state == "ringing" || call.state == "incoming") {
              send_error(s, {rid, ErrorCode::BadMessage,
                             "call '" + ctx.key.call_id + "' has no answer yet to renegotiate",
                             ctx.key.call_id});
              return;
            }
            auto offer = sdp::parse(r.sdp);
            if (!offer.ok()) {
              send_error(s, {rid, ErrorCode::BadSdp, "SDP offer " + offer.error().to_string(),
                             ctx.key.call_id});
              return;
            }
            // The handler decides first, so the request gets either an ack
            // or an error (its answer comes as an `answer` event).
            if (auto why = handler_.renegotiate(ctx, offer.value()))
              send_error(s, {rid, ErrorCode::UnsupportedSdp, *why, ctx.key.call_id});
            else
              send_to_session(s, ack_json(rid, ctx.key.call_id));
          },
          [&](const RejectRequest& r) {
            if (call.outgoing) {
              send_error(s, {rid, ErrorCode::BadMessage,
                             "reject applies to incoming calls; use hangup", ctx.key.call_id});
              return;
            }
            s.calls.erase(it);
            send_to_session(s, ack_json(rid, ctx.key.call_id));
            handler_.reject(ctx, r.reason);
          },
          [](const auto&) {},
      },
      body);
}

void SessionHub::deliver(Instant now, const CallKey& key, CallEvent ev) {
  last_now_ = now;
  auto s = sessions_.find(key.session_id);
  if (s == sessions_.end()) {
    ++counters_.events_dropped;
    return;
  }
  Session& session = s->second;
  auto it = session.calls.find(key.call_id);
  if (it == session.calls.end()) {
    ++counters_.events_dropped;
    return;
  }
  Call& call = it->second;
  const std::string& id = key.call_id;
  std::visit(
      Overloaded{
          [&](event::Answer& a) {
            // Floe made the first offer of an incoming call; it answers only
            // the browser's later offers (renegotiation).
            if (!call.outgoing && call.state == "incoming") return;
            if (call.state == "calling") call.state = "early";
            send_to_session(session, answer_json(id, a.sdp));
          },
          [&](event::Ringing&) {
            if (call.state == "calling") call.state = "ringing";
            send_to_session(session, call_event_json("ringing", id));
          },
          [&](event::Progress&) { send_to_session(session, call_event_json("progress", id)); },
          [&](event::Answered&) {
            call.state = "answered";
            send_to_session(session, call_event_json("answered", id));
          },
          [&](event::Candidate& c) { send_to_session(session, candidate_json(id, c.candidate)); },
          [&](event::EndOfCandidates&) { send_to_session(session, end_of_candidates_json(id)); },
          [&](event::Stats& st) { send_to_session(session, stats_json(id, st.values)); },
          [&](event::Ended& e) {
            std::string msg = ended_json(id, e.reason, e.message);
            session.calls.erase(it);
            send_to_session(session, std::move(msg));
          },
          [&](event::Failed& f) {
            ProtocolError err{call.request, f.code, std::move(f.message), id};
            session.calls.erase(it);
            send_error(session, std::move(err));
          },
      },
      ev);
}

std::shared_ptr<CallSink> SessionHub::ring(Instant now, const std::string& user,
                                           const std::string& from, const std::string& offer_sdp) {
  last_now_ = now;
  auto u = users_.find(user);
  if (u == users_.end()) return nullptr;
  auto s = sessions_.find(u->second);
  if (s == sessions_.end() || s->second.calls.size() >= config_.max_calls_per_session) return nullptr;
  std::string call_id;
  do {
    call_id = "in-" + random_ice_string(12);
    for (char& c : call_id)
      if (c == '+' || c == '/') c = '_';  // keep within the callId charset
  } while (s->second.calls.count(call_id));
  auto sink = make_sink({s->second.id, call_id});
  s->second.calls.emplace(call_id, Call{{}, false, "incoming", sink});
  ++counters_.calls_started;
  send_to_session(s->second, incoming_json(call_id, from, offer_sdp));
  return sink;
}

}  // namespace floe::signaling
