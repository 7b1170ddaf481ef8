#include "signaling/session/hub.hpp"

#include <chrono>

#include "base/random.hpp"

namespace floe::signaling {

namespace {

std::string new_session_id() {
  unsigned char bytes[16];
  random_bytes(std::span<std::uint8_t>(bytes, sizeof bytes));
  return base64url(bytes, sizeof bytes);
}

std::int64_t system_unix_time() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SessionHub::SessionHub(HubConfig config, CallHandler& handler)
    : config_(std::move(config)), handler_(handler) {
  if (!config_.unix_time) config_.unix_time = system_unix_time;
  if (!config_.post)
    config_.post = [this](const CallKey& key, CallEvent ev) { deliver(last_now_, key, std::move(ev)); };
}

void SessionHub::on_open(Instant now, ConnectionId id, std::string peer,
                         std::optional<std::string> token_user) {
  last_now_ = now;
  Connection c{std::move(peer), now, now, now + config_.ping_interval,
               RateLimiter(config_.rate_burst, config_.rate_per_second), {}, std::move(token_user)};
  conns_.insert_or_assign(id, std::move(c));
  ++counters_.connections_opened;
  want(now + std::min(config_.hello_timeout, config_.ping_interval));
}

void SessionHub::on_activity(Instant now, ConnectionId id) {
  last_now_ = now;
  if (auto it = conns_.find(id); it != conns_.end()) it->second.last_activity = now;
}

void SessionHub::on_close(Instant now, ConnectionId id) {
  last_now_ = now;
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  detach(now, it->second);
  conns_.erase(it);
}

void SessionHub::detach(Instant now, Connection& conn) {
  if (!conn.session) return;
  auto s = sessions_.find(*conn.session);
  conn.session.reset();
  if (s == sessions_.end()) return;
  // The session waits `resume_window` for a reconnect before its calls end.
  s->second.conn.reset();
  s->second.detached_at = now;
  want(now + config_.resume_window);
}

void SessionHub::on_message(Instant now, ConnectionId id, std::string_view text) {
  last_now_ = now;
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second.closing) return;
  Connection& conn = it->second;
  conn.last_activity = now;
  ++counters_.messages_in;

  if (!conn.rate.allow(now)) {
    ++counters_.rate_limited;
    ++conn.dropped_in_a_row;
    // One error a second at most: answering every dropped message would
    // amplify the flood it is meant to stop.
    if (!conn.last_rate_error || now - *conn.last_rate_error >= seconds(1)) {
      conn.last_rate_error = now;
      send_error(id, {std::nullopt, ErrorCode::RateLimited,
                      "too many messages; this one and others were dropped", {}});
    }
    if (conn.dropped_in_a_row > static_cast<std::uint64_t>(config_.rate_burst) * 4)
      close(now, id, 1008, "message rate limit exceeded");
    return;
  }
  conn.dropped_in_a_row = 0;

  if (text.size() > config_.max_message_bytes) {
    send_error(id, {std::nullopt, ErrorCode::TooLarge,
                    "the message is " + std::to_string(text.size()) + " bytes; the limit is " +
                        std::to_string(config_.max_message_bytes),
                    {}});
    return;
  }
  auto parsed = parse_request(text, config_.limits);
  if (!parsed.ok()) {
    send_error(id, parsed.error());
    return;
  }
  dispatch(now, id, conn, parsed.value());
}

void SessionHub::dispatch(Instant now, ConnectionId id, Connection& conn, const Request& req) {
  if (const auto* h = std::get_if<HelloRequest>(&req.body)) return hello(now, id, conn, req.id, *h);
  if (std::holds_alternative<PingRequest>(req.body)) return send_to_connection(id, pong_json(req.id));
  if (!conn.session) {
    send_error(id, {req.id, ErrorCode::HelloRequired, "send hello first", {}});
    return;
  }
  auto s = sessions_.find(*conn.session);
  if (s == sessions_.end()) return;
  if (const auto* r = std::get_if<RegisterRequest>(&req.body)) return register_user(s->second, req.id, *r);
  if (const auto* c = std::get_if<CallRequest>(&req.body)) return start_call(s->second, req.id, *c);
  call_request(s->second, req.id, req.body);
}

void SessionHub::hello(Instant now, ConnectionId id, Connection& conn, const RequestId& rid,
                       const HelloRequest& h) {
  if (conn.session) {
    send_error(id, {rid, ErrorCode::BadMessage, "hello was already sent on this connection", {}});
    return;
  }
  std::string user;
  if (config_.auth.mode != AuthConfig::Mode::None) {
    if (conn.token_user) {
      user = *conn.token_user;
    } else {
      auto auth = verify_token(config_.auth, h.token.value_or(""), config_.unix_time());
      if (!auth.ok) {
        send_error(id, {rid, ErrorCode::Unauthorized, auth.reason, {}});
        close(now, id, 1008, "unauthorized");
        return;
      }
      user = auth.user;
    }
  }

  WelcomeMessage w;
  w.id = rid;
  w.ice_servers = config_.ice_servers;
  if (config_.session_ice_servers)
    for (auto& extra : config_.session_ice_servers(user)) w.ice_servers.push_back(std::move(extra));
  w.resume_window_s = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(config_.resume_window).count());
  w.max_message_bytes = config_.max_message_bytes;
  if (!user.empty()) w.user = user;

  auto existing = h.resume ? sessions_.find(*h.resume) : sessions_.end();
  // A session resumes only for the same token user, so a leaked session id
  // alone does not hand one user's calls to another.
  if (existing != sessions_.end() && existing->second.token_user == user) {
    Session& s = existing->second;
    if (s.conn && *s.conn != id) {
      auto old = conns_.find(*s.conn);
      if (old != conns_.end()) {
        old->second.session.reset();
        close(now, *s.conn, 4000, "replaced by a resumed connection");
      }
    }
    s.conn = id;
    s.peer = conn.peer;
    conn.session = s.id;
    ++counters_.resumes;
    w.session_id = s.id;
    w.resumed = true;
    for (const auto& [call_id, call] : s.calls) w.calls.emplace_back(call_id, call.state);
    send_to_connection(id, to_json(w));
    while (!s.queued.empty()) {
      send_to_connection(id, std::move(s.queued.front()));
      s.queued.pop_front();
    }
    return;
  }
  if (sessions_.size() >= config_.max_sessions) {
    send_error(id, {rid, ErrorCode::Internal, "the server has no room for another session", {}});
    close(now, id, 1013, "try again later");
    return;
  }
  Session s;
  s.id = new_session_id();
  s.conn = id;
  s.token_user = user;
  s.peer = conn.peer;
  conn.session = s.id;
  w.session_id = s.id;
  sessions_.emplace(s.id, std::move(s));
  ++counters_.sessions_created;
  send_to_connection(id, to_json(w));
}

void SessionHub::expire(const std::string& session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  Session s = std::move(it->second);
  sessions_.erase(it);
  ++counters_.sessions_expired;
  if (s.registered) {
    users_.erase(*s.registered);
    handler_.unregistered(s.id, *s.registered);
  }
  for (const auto& [call_id, call] : s.calls) handler_.hangup(context(s, call_id), "session-expired");
}

void SessionHub::handle_timeout(Instant now) {
  last_now_ = now;
  std::vector<std::pair<ConnectionId, std::pair<std::uint16_t, const char*>>> to_close;
  for (auto& [id, c] : conns_) {
    if (c.closing) continue;
    if (!c.session && now - c.opened >= config_.hello_timeout)
      to_close.push_back({id, {1008, "no hello in time"}});
    else if (now - c.last_activity >= config_.idle_timeout)
      to_close.push_back({id, {1001, "idle timeout"}});
    else if (now >= c.next_ping) {
      out_.push_back({HubOutput::Kind::Ping, id, {}, 0});
      c.next_ping = now + config_.ping_interval;
    }
  }
  for (const auto& [id, why] : to_close) close(now, id, why.first, why.second);
  std::vector<std::string> expired;
  for (const auto& [sid, s] : sessions_)
    if (!s.conn && now - s.detached_at >= config_.resume_window) expired.push_back(sid);
  for (const auto& sid : expired) expire(sid);

  Instant next = kNever;
  for (const auto& [id, c] : conns_) {
    if (c.closing) continue;
    if (!c.session) next = std::min(next, c.opened + config_.hello_timeout);
    next = std::min({next, c.last_activity + config_.idle_timeout, c.next_ping});
  }
  for (const auto& [sid, s] : sessions_)
    if (!s.conn) next = std::min(next, s.detached_at + config_.resume_window);
  next_deadline_ = next == kNever ? kNever : std::max(next, now + kMinScanInterval);
}

std::optional<HubOutput> SessionHub::poll_output() {
  if (out_.empty()) return std::nullopt;
  HubOutput o = std::move(out_.front());
  out_.pop_front();
  return o;
}

void SessionHub::close(Instant now, ConnectionId id, std::uint16_t code, std::string reason) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second.closing) return;
  it->second.closing = true;
  detach(now, it->second);
  out_.push_back({HubOutput::Kind::Close, id, std::move(reason), code});
}

void SessionHub::send_to_connection(ConnectionId id, std::string text) {
  ++counters_.messages_out;
  out_.push_back({HubOutput::Kind::Text, id, std::move(text), 0});
}

void SessionHub::send_to_session(Session& s, std::string text) {
  if (s.conn) return send_to_connection(*s.conn, std::move(text));
  // Detached: keep the newest events for the resume, within bounds.
  if (s.queued.size() >= config_.max_queued_events) {
    s.queued.pop_front();
    ++counters_.events_dropped;
  }
  s.queued.push_back(std::move(text));
}

void SessionHub::send_error(ConnectionId id, ProtocolError e) {
  ++counters_.errors[std::string(to_string(e.code))];
  send_to_connection(id, error_json(e));
}

void SessionHub::send_error(Session& s, ProtocolError e) {
  ++counters_.errors[std::string(to_string(e.code))];
  send_to_session(s, error_json(e));
}

std::size_t SessionHub::call_count() const {
  std::size_t n = 0;
  for (const auto& [sid, s] : sessions_) n += s.calls.size();
  return n;
}

std::string SessionHub::metrics() const {
  std::string m;
  auto line = [&m](const char* name, const char* type, const std::string& labels, std::uint64_t v) {
    if (type) m += std::string("# TYPE ") + name + " " + type + "\n";
    m += name + labels + " " + std::to_string(v) + "\n";
  };
  std::size_t detached = 0;
  for (const auto& [sid, s] : sessions_) detached += s.conn ? 0 : 1;
  line("floe_signaling_connections", "gauge", "", conns_.size());
  line("floe_signaling_sessions", "gauge", "{state=\"attached\"}", sessions_.size() - detached);
  line("floe_signaling_sessions", nullptr, "{state=\"detached\"}", detached);
  line("floe_signaling_calls", "gauge", "", call_count());
  line("floe_signaling_registered_users", "gauge", "", users_.size());
  line("floe_signaling_connections_opened_total", "counter", "", counters_.connections_opened);
  line("floe_signaling_messages_received_total", "counter", "", counters_.messages_in);
  line("floe_signaling_messages_sent_total", "counter", "", counters_.messages_out);
  line("floe_signaling_rate_limited_total", "counter", "", counters_.rate_limited);
  line("floe_signaling_resumes_total", "counter", "", counters_.resumes);
  line("floe_signaling_sessions_created_total", "counter", "", counters_.sessions_created);
  line("floe_signaling_sessions_expired_total", "counter", "", counters_.sessions_expired);
  line("floe_signaling_calls_started_total", "counter", "", counters_.calls_started);
  line("floe_signaling_events_dropped_total", "counter", "", counters_.events_dropped);
  bool first = true;
  for (const auto& [code, n] : counters_.errors) {
    line("floe_signaling_errors_total", first ? "counter" : nullptr, "{code=\"" + code + "\"}", n);
    first = false;
  }
  return m;
}

}  // namespace floe::signaling
