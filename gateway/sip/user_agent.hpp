#pragma once
// The user agent core (RFC 3261 §8, §12-§17 glue), sans-IO: it parses what
// the driver hands in, matches transactions and dialogs, answers what it can
// on its own (OPTIONS, BYE, CANCEL, malformed requests, unknown dialogs),
// retries digest challenges, ACKs 2xx and retransmits its own 2xx until
// ACKed, drives trunk registrations, and reports the rest as events. The
// driver sends every Transmit and feeds datagrams (or framed stream
// messages) back; `now` always comes from the caller.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <queue>
#include <vector>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"
#include "gateway/sip/dialog.hpp"
#include "gateway/sip/digest.hpp"
#include "gateway/sip/parser.hpp"
#include "gateway/sip/registration.hpp"
#include "gateway/sip/transaction.hpp"

namespace floe::sip {

struct UserAgentConfig {
  Transport transport = Transport::Udp;  // for requests whose URI names none
  std::string host = "127.0.0.1";        // our sent-by and Contact host
  std::uint16_t port = 5060;             // UDP and TCP
  // Our TLS listener's port (RFC 3261 §26.2, 5061 by convention): the
  // sent-by of requests sent over TLS and the port of a TLS Contact. Unset:
  // `port`. The driver sets it when it binds the listener.
  std::optional<std::uint16_t> tls_port;
  std::string user = "floe";             // Contact user part
  std::string user_agent = "Floe";
  TimerConfig timers;
  ParseLimits limits;
  // Every out-of-dialog and in-dialog request goes here when set.
  std::optional<Target> outbound_proxy;
  int max_auth_attempts = 2;
  // RFC 4028: requests with Require: timer are accepted (not 420) and our
  // INVITE/UPDATE advertise Supported: timer. The TU runs a SessionTimer
  // (session_timer.hpp) per dialog. Either way an INVITE/UPDATE answered
  // 422 is retried once with the larger Min-SE (§7.4).
  bool session_timer = false;
  int max_422_retries = 1;
  // RFC 3262 as UAC: INVITEs advertise Supported: 100rel and every reliable
  // provisional (Require: 100rel, RSeq) is PRACKed by the UA itself, in
  // RSeq order; retransmissions and out-of-order ones do not reach the TU.
  // The PRACK carries no body (an offer in a reliable provisional is not
  // answered in the PRACK). false: neither advertised nor PRACKed.
  bool use_100rel = true;
  // §18.1.1: a request bigger than this (1300 bytes: path MTU unknown) that
  // would go over UDP goes over TCP instead (Via says TCP), unless its URI
  // says transport=udp. If the TCP connection fails (the driver calls
  // handle_transport_error) it is resent over UDP. 0: never switch.
  std::size_t udp_max_request = 1300;
};

struct UaEvent {
  enum class Kind : std::uint8_t {
    IncomingRequest,      // id: server transaction; respond() with it
    Response,             // id: request handle; 1xx-6xx the TU should see
    RequestFailed,        // id: request handle; timer B/F or transport error
    AckReceived,          // dialog: the peer ACKed our 2xx
    AckTimeout,           // dialog: our 2xx was never ACKed (§13.3.1.4); send BYE
    Cancelled,            // id: INVITE server transaction; 487 already sent
    DialogTerminated,     // dialog; message: the peer's BYE when it sent one
    RegistrationChanged,  // id: registration; status: last REGISTER status
  };
  Kind kind = Kind::IncomingRequest;
  std::uint64_t id = 0;
  std::optional<DialogId> dialog;
  Message message;
  int status = 0;
};

struct UaStats {
  std::uint64_t garbage = 0;          // not a SIP message at all
  std::uint64_t bad_requests = 0;     // answered 4xx/5xx by the parser's verdict
  std::uint64_t bad_responses = 0;    // malformed responses, dropped
  std::uint64_t stray_responses = 0;  // no matching transaction or dialog
  std::uint64_t stray_acks = 0;
  std::uint64_t requests = 0;
  std::uint64_t responses = 0;
  std::uint64_t transmits = 0;
  std::uint64_t pracks_sent = 0;            // RFC 3262 PRACKs for reliable provisionals
  std::uint64_t reliable_1xx_dropped = 0;   // retransmitted or out of RSeq order
  std::uint64_t udp_to_tcp_switches = 0;    // §18.1.1 large requests
  std::uint64_t tcp_to_udp_fallbacks = 0;   // ... whose TCP connection failed
  std::uint64_t transport_errors = 0;       // handle_transport_error calls
};

class UserAgent {
 public:
  explicit UserAgent(UserAgentConfig config);

  void handle_input(Instant now, Transport transport, const SocketAddress& source, ByteView bytes);
  void handle_timeout(Instant now);
  // The driver could not deliver to `destination` over a stream transport
  // (connect, TLS handshake or write failed). Pending client transactions
  // to it fail at once with 503 (§8.1.3.1), or go back to UDP when only
  // their size moved them to TCP (§18.1.1); server transactions answering
  // there end.
  void handle_transport_error(Instant now, Transport transport, const SocketAddress& destination);
  Instant next_timeout() const;
  std::optional<Transmit> poll_transmit();
  std::optional<UaEvent> poll_event();

  const UserAgentConfig& config() const { return cfg_; }
  const UaStats& stats() const { return stats_; }
  // "<sip:user@host:port>" (with ;transport= for TCP/TLS).
  std::string contact() const;
  // Our Contact for a transport: TLS uses the TLS port; `sips` gives a
  // sips: URI, which §8.1.1.8 requires when the request's URI is sips.
  std::string contact(Transport transport, bool sips = false) const;
  // The port we listen on for `transport` (sent-by in Via).
  std::uint16_t local_port(Transport transport) const;
  void set_tls_port(std::uint16_t port) { cfg_.tls_port = port; }

  // ---- client side
  // An out-of-dialog request skeleton: From with a fresh tag, To, a new
  // Call-ID, CSeq 1, Max-Forwards and our Contact (for INVITE/REGISTER/...).
  Message new_request(std::string_view method, const Uri& request_uri, const Uri& to,
                      const Uri& from) const;
  // Sends through a client transaction; adds Via (fresh z9hG4bK branch,
  // rport). Digest challenges are answered when credentials are given.
  // Returns a handle that stays valid across auth retries, or 0 when the
  // next hop is not a numeric address and no outbound proxy is set.
  // With `manual_ack` the UA does not ACK a 2xx itself: the TU calls
  // send_ack() with the SDP answer (an INVITE without an offer, §13.2.1).
  std::uint64_t send_request(Instant now, Message request,
                             std::optional<DigestCredentials> credentials = {},
                             bool manual_ack = false);
  // The ACK for the 2xx of a manual_ack INVITE; resent on 2xx retransmissions.
  bool send_ack(Instant now, const DialogId& dialog, Bytes body = {},
                std::string_view content_type = {});
  std::uint64_t send_in_dialog(Instant now, const DialogId& dialog, std::string_view method,
                               Bytes body = {}, std::string_view content_type = {}) {
    return send_in_dialog(now, dialog, method, std::move(body), content_type, nullptr);
  }
  // The same, with `decorate` adding headers (e.g. RFC 4028 §7.4
  // Session-Expires on a session refresh) before the request goes out.
  std::uint64_t send_in_dialog(Instant now, const DialogId& dialog, std::string_view method,
                               Bytes body, std::string_view content_type,
                               const std::function<void(Message&)>& decorate);
  // §9.1: CANCEL an INVITE (sent once a provisional response arrived).
  void cancel(Instant now, std::uint64_t invite_handle);

  // ---- server side
  // A response to a received request with our To tag (and Contact for
  // dialog-creating INVITE responses).
  Message make_response(std::uint64_t server_tx, int status, std::string_view reason = {}) const;
  void respond(Instant now, std::uint64_t server_tx, Message response);

  // ---- dialogs and registrations
  const Dialog* dialog(const DialogId& id) const;
  std::uint64_t add_registration(Instant now, RegistrationConfig config);
  void remove_registration(Instant now, std::uint64_t id);
  const Registration* registration(std::uint64_t id) const;

 private:
  struct ClientEntry {
    std::uint64_t handle;
    ClientTransaction tx;
  };
  struct RequestInfo {
    Message request;
    std::string key;
    std::optional<DigestClient> digest;
    int auth_attempts = 0;
    std::uint64_t registration = 0;
    std::optional<DialogId> dialog;
    bool cancel_pending = false;
    bool got_provisional = false;
    bool manual_ack = false;
    int retries_422 = 0;
    bool internal = false;  // the UA's own request (PRACK): no events to the TU
    bool mtu_switched = false;  // sent over TCP only because of its size
    bool udp_only = false;      // ... and that TCP connection failed
  };
  struct ServerEntry {
    std::uint64_t id;
    ServerTransaction tx;
    std::string local_tag;
  };
  struct DialogEntry {
    Dialog dialog;
    std::optional<std::uint32_t> last_rseq;  // UAC: RSeq of the last PRACKed provisional
    Transmit ack;            // UAC: the ACK for the 2xx, resent on retransmissions
    std::uint32_t ack_cseq = 0;
    bool ack_pending = false;  // UAC: waiting for send_ack()
    Transmit ok;             // UAS: our 2xx, retransmitted until ACKed
    Duration ok_interval{};
    Instant ok_next = kNever;
    Instant ok_deadline = kNever;
  };

  std::optional<Target> route(const Message& request) const;
  std::optional<Target> resolve(const Uri& uri) const;
  std::uint64_t start_client(Instant now, Message request, RequestInfo info, std::uint64_t handle);
  // §18.1.1: moves a large UDP request to TCP (rewriting its Via).
  void apply_size_rule(Message& request, Via& via, Target& target, RequestInfo& info);
  void on_response(Instant now, Message response);
  void on_client_response(Instant now, std::uint64_t handle, const Message& response);
  void release_request_info(std::uint64_t handle, const std::string& key, const Message& response);
  void on_request(Instant now, Transport transport, const SocketAddress& source,
                  Message request);
  void on_bad_request(Transport transport, const SocketAddress& source, const ParseResult& r);
  void on_in_dialog(Instant now, std::uint64_t id, ServerEntry& entry);
  void on_cancel(Instant now, Transport transport, const SocketAddress& source,
                 const Message& cancel);
  void on_ack_2xx(const Message& ack);
  void build_ack(DialogEntry& de, Bytes body, std::string_view content_type);
  // RFC 3262 §4: true when the TU should see this reliable provisional.
  bool on_reliable_provisional(Instant now, const DialogId& id, const Message& response);
  void drop_early_dialogs(const Message& invite);
  std::uint64_t new_server(Instant now, const Message& request, const Target& target);
  void send_stateless(const Target& target, const Message& response);
  void collect(Instant now);
  void emit(UaEvent e) { events_.push_back(std::move(e)); }
  std::string new_branch() const;
  void touch_client(const std::string& key) { dirty_clients_.push_back(key); }
  void touch_server(const std::string& key) { dirty_servers_.push_back(key); }
  void schedule_dialog(const DialogId& id, const DialogEntry& d);
  void dialog_timer(Instant now, const DialogId& id);
  void prune_timers();

  UserAgentConfig cfg_;
  UaStats stats_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, ClientEntry> clients_;        // branch|method
  std::map<std::uint64_t, RequestInfo> requests_;     // handle
  std::map<std::string, ServerEntry> servers_;        // branch|sent-by|method
  std::map<std::uint64_t, std::string> server_keys_;  // id -> key
  std::map<DialogId, DialogEntry> dialogs_;
  std::map<std::uint64_t, Registration> registrations_;
  std::deque<Transmit> out_;
  std::deque<UaEvent> events_;

  // Only transactions touched since the last collect() are looked at, and
  // timers sit in a heap, so the cost per message does not grow with the
  // number of lingering transactions. Heap entries may be stale (the object
  // is gone or its deadline moved); they are checked when they come due.
  enum class TimerKind : std::uint8_t { Client, Server, Dialog };
  struct TimerEntry {
    Instant at;
    TimerKind kind;
    std::string key;
    DialogId dialog;
    bool operator>(const TimerEntry& o) const { return at > o.at; }
  };
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  std::vector<std::string> dirty_clients_;
  std::vector<std::string> dirty_servers_;
};

std::string random_token(std::size_t bytes);

}  // namespace floe::sip
