#pragma once
// Every browser session and its calls, as a sans-IO engine: the WebSocket
// driver feeds it text frames and socket events with the current time, and
// takes back frames to send, pings and closes. A session outlives its socket
// for `resume_window`, so a reconnect with the session id gets its calls back.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "signaling/auth/token.hpp"
#include "signaling/protocol/messages.hpp"
#include "signaling/session/call_handler.hpp"
#include "signaling/session/rate_limiter.hpp"

namespace floe::signaling {

using ConnectionId = std::uint64_t;

struct HubConfig {
  Duration resume_window = seconds(30);
  Duration idle_timeout = seconds(60);   // no frame at all (pongs count) for this long
  Duration ping_interval = seconds(20);
  Duration hello_timeout = seconds(10);  // a connection must say hello this soon
  std::size_t max_message_bytes = 64 * 1024;
  double rate_burst = 50;                // messages at once
  double rate_per_second = 20;           // sustained
  std::size_t max_calls_per_session = 4;
  std::size_t max_sessions = 10000;
  std::size_t max_queued_events = 512;   // kept for a detached session
  std::vector<IceServer> ice_servers;
  // Per-session ICE servers, appended to `ice_servers` in every `welcome`
  // (resumed ones too): credentials minted for this session, e.g. TURN REST
  // API ephemeral ones from the gateway's embedded TURN server. Gets the
  // token user ("" without auth).
  std::function<std::vector<IceServer>(const std::string& user)> session_ice_servers;
  AuthConfig auth;
  MessageLimits limits;
  // Wall clock for token expiry; tests pass a fixed one. Default: system clock.
  std::function<std::int64_t()> unix_time;
  // How a CallSink reaches deliver(). Default: call deliver() directly, which
  // suits single-threaded tests; the server posts to its own thread instead.
  CallSink::Post post;
};

struct HubOutput {
  enum class Kind : std::uint8_t { Text, Ping, Close };
  Kind kind = Kind::Text;
  ConnectionId connection = 0;
  std::string text;               // Text: the frame; Close: the reason
  std::uint16_t close_code = 1000;
};

struct HubCounters {
  std::uint64_t connections_opened = 0;
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t resumes = 0;
  std::uint64_t sessions_created = 0;
  std::uint64_t sessions_expired = 0;
  std::uint64_t calls_started = 0;
  std::uint64_t events_dropped = 0;  // for calls already gone, or a full queue
  std::map<std::string, std::uint64_t> errors;  // by code
};

class SessionHub {
 public:
  SessionHub(HubConfig config, CallHandler& handler);
  // Sinks made by the default post function point at this object.
  SessionHub(const SessionHub&) = delete;
  SessionHub& operator=(const SessionHub&) = delete;

  // A WebSocket was accepted (origin already checked). `token_user` is set
  // when the upgrade request carried a valid token (?token=...).
  void on_open(Instant now, ConnectionId conn, std::string peer,
               std::optional<std::string> token_user = std::nullopt);
  void on_message(Instant now, ConnectionId conn, std::string_view text);
  // Any frame, including a pong: the peer is alive.
  void on_activity(Instant now, ConnectionId conn);
  void on_close(Instant now, ConnectionId conn);

  // A handler event, on the hub's thread.
  void deliver(Instant now, const CallKey& key, CallEvent event);
  // Offers a call to the session registered as `user`; nullptr when none is.
  std::shared_ptr<CallSink> ring(Instant now, const std::string& user, const std::string& from,
                                 const std::string& offer_sdp);

  // Scans every connection and detached session; next_timeout() spaces scans
  // at least kMinScanInterval apart, so timers are that coarse.
  void handle_timeout(Instant now);
  Instant next_timeout() const { return next_deadline_; }
  static constexpr Duration kMinScanInterval = milliseconds(250);
  std::optional<HubOutput> poll_output();

  const HubCounters& counters() const { return counters_; }
  std::size_t connection_count() const { return conns_.size(); }
  std::size_t session_count() const { return sessions_.size(); }
  std::size_t call_count() const;
  // Prometheus text exposition of the counters and gauges.
  std::string metrics() const;

 private:
  struct Call {
    RequestId request;  // the call request (outgoing) for error replies
    bool outgoing = true;
    std::string state;  // calling, ringing, early, answered, incoming, accepted
    std::shared_ptr<CallSink> sink;
  };
  struct Session {
    std::string id;
    std::optional<ConnectionId> conn;
    Instant detached_at{};
    std::string token_user;
    std::optional<std::string> registered;
    std::string peer;
    std::map<std::string, Call> calls;
    std::deque<std::string> queued;
  };
  struct Connection {
    std::string peer;
    Instant opened{};
    Instant last_activity{};
    Instant next_ping{};
    RateLimiter rate;
    std::optional<std::string> session;
    std::optional<std::string> token_user;
    bool closing = false;
    std::uint64_t dropped_in_a_row = 0;
    std::optional<Instant> last_rate_error;
  };

  void dispatch(Instant now, ConnectionId id, Connection& conn, const Request& req);
  void hello(Instant now, ConnectionId id, Connection& conn, const RequestId& rid,
             const HelloRequest& h);
  void register_user(Session& s, const RequestId& rid, const RegisterRequest& r);
  void start_call(Session& s, const RequestId& rid, const CallRequest& c);
  void call_request(Session& s, const RequestId& rid, const RequestBody& body);
  void expire(const std::string& session_id);
  void detach(Instant now, Connection& conn);

  void send_to_connection(ConnectionId id, std::string text);
  void send_to_session(Session& s, std::string text);
  void send_error(ConnectionId id, ProtocolError e);
  void send_error(Session& s, ProtocolError e);
  void close(Instant now, ConnectionId id, std::uint16_t code, std::string reason);
  CallContext context(const Session& s, const std::string& call_id) const;
  std::shared_ptr<CallSink> make_sink(const CallKey& key);

  HubConfig config_;
  CallHandler& handler_;
  std::map<ConnectionId, Connection> conns_;
  std::map<std::string, Session> sessions_;
  std::map<std::string, std::string> users_;  // registered name -> session id
  std::deque<HubOutput> out_;
  HubCounters counters_;
  Instant last_now_{};
  // The earliest deadline known, kept without scanning every connection on
  // each event: new deadlines lower it; handle_timeout() recomputes it. Events
  // that only postpone a deadline leave it early, costing one spurious scan.
  Instant next_deadline_ = kNever;
  void want(Instant t) { next_deadline_ = std::min(next_deadline_, t); }
};

}  // namespace floe::signaling
