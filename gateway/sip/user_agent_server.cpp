// UserAgent: input parsing and the server side (§8.2, §12.2.2, §17.2).
#include <algorithm>

#include "gateway/sip/user_agent.hpp"

namespace floe::sip {

namespace {

constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, UPDATE";

// §18.2.2 with RFC 3581: reliable transports answer on the connection; with
// rport, to the source address; otherwise to the received address at the
// sent-by port.
Target response_target(Transport transport, const SocketAddress& source, const Via& via) {
  if (is_reliable(transport) || find_param(via.params, "rport")) return {transport, source};
  return {transport, SocketAddress(source.ip(), via.port.value_or(5060))};
}

std::string server_key(const Message& request, const Via& via) {
  std::string method = request.method == "ACK" ? "INVITE" : request.method;
  std::string branch = via.branch();
  if (!via.rfc3261_branch()) {
    // §17.2.3 pre-3261 peers: fall back to Call-ID, CSeq number and From tag.
    auto from = request.from();
    branch += "|" + std::string(request.call_id()) + "|" +
              std::to_string(request.cseq() ? request.cseq()->number : 0) + "|" +
              (from ? from->tag() : std::string());
  }
  return branch + "|" + to_lower(via.sent_by()) + "|" + method;
}

}  // namespace

void UserAgent::handle_input(Instant now, Transport transport, const SocketAddress& source,
                             ByteView bytes) {
  auto r = parse_message(bytes, cfg_.limits);
  if (!r.start_line_ok) {
    ++stats_.garbage;
    return;
  }
  if (r.message.is_response()) {
    if (!r.ok) {
      ++stats_.bad_responses;  // §18.1.2: malformed responses are discarded
      return;
    }
    on_response(now, std::move(r.message));
    return;
  }
  if (!r.ok) {
    on_bad_request(transport, source, r);
    return;
  }
  on_request(now, transport, source, std::move(r.message));
  collect(now);
}

void UserAgent::send_stateless(const Target& target, const Message& response) {
  out_.push_back({target.transport, target.address, response.serialize()});
}

// A request the parser rejected: answer with its verdict when the headers
// a response needs survived, otherwise drop it (there is no one to answer).
void UserAgent::on_bad_request(Transport transport, const SocketAddress& source,
                               const ParseResult& r) {
  ++stats_.bad_requests;
  const Message& m = r.message;
  if (m.method == "ACK") return;  // never answer an ACK
  // The response echoes Via, From, To, Call-ID and CSeq: if any of them is
  // itself broken the peer could not match (or even parse) our answer.
  auto via = m.top_via();
  if (!via || m.count("Call-ID") != 1 || m.count("From") != 1 || m.count("To") != 1 ||
      m.count("CSeq") != 1 || !m.from() || !m.to() || !m.cseq() || !is_valid_call_id(m.call_id()))
    return;
  for (auto v : m.all("Via"))
    if (!Via::parse(v)) return;
  Message resp = sip::make_response(m, r.error_status, r.error_reason, random_token(4));
  if (r.error_status == 505) resp.add("Supported", "");
  send_stateless(response_target(transport, source, *via), resp);
}

std::uint64_t UserAgent::new_server(Instant now, const Message& request, const Target& target) {
  std::uint64_t id = next_id_++;
  auto key = server_key(request, *request.top_via());
  auto to = request.to();
  std::string tag = (to && !to->tag().empty()) ? to->tag() : random_token(6);
  servers_.insert_or_assign(key, ServerEntry{id, ServerTransaction(now, request, target, cfg_.timers), tag});
  touch_server(key);
  server_keys_[id] = key;
  return id;
}

void UserAgent::on_request(Instant now, Transport transport, const SocketAddress& source,
                           Message request) {
  ++stats_.requests;
  // §18.2.1 and RFC 3581 §4: record where the request really came from.
  Via via = *request.top_via();
  if (via.host != source.ip().to_string())
    set_param(via.params, "received", source.ip().to_string());
  if (const Param* rp = find_param(via.params, "rport"); rp && !rp->has_value) {
    set_param(via.params, "received", source.ip().to_string());
    set_param(via.params, "rport", std::to_string(source.port()));
  }
  request.set_top_via(via);
  Target target = response_target(transport, source, via);

  auto key = server_key(request, via);
  if (auto it = servers_.find(key); it != servers_.end()) {
    it->second.tx.handle_request(now, request);  // a retransmission or a non-2xx ACK
    touch_server(key);
    return;
  }
  if (request.method == "ACK") {
    on_ack_2xx(request);
    return;
  }
  if (request.method == "CANCEL") {
    on_cancel(now, transport, source, request);
    return;
  }
  // §8.2.2.3: a Require naming an extension we do not support gets 420
  // listing those; "timer" (RFC 4028) is supported when configured.
  if (request.has("Require")) {
    std::vector<std::string> unsupported;
    for (auto v : request.all("Require")) {
      std::vector<std::string_view> tags;
      split_list(v, tags);
      for (auto tag : tags)
        if (!(cfg_.session_timer && iequals(trim(tag), "timer")))
          unsupported.emplace_back(trim(tag));
    }
    if (!unsupported.empty()) {
      Message resp = sip::make_response(request, 420, {}, random_token(4));
      for (auto& u : unsupported) resp.add("Unsupported", u);
      send_stateless(target, resp);
      return;
    }
  }
  std::uint64_t id = new_server(now, request, target);
  ServerEntry& entry = servers_.at(key);
  auto to = request.to();
  if (to && !to->tag().empty()) {
    on_in_dialog(now, id, entry);
    return;
  }
  if (request.method == "OPTIONS") {
    // §11.2: capabilities, answered like an INVITE would be (200 here).
    Message ok = make_response(id, 200);
    ok.add("Allow", std::string(kAllow));
    ok.add("Accept", "application/sdp");
    std::string supported = cfg_.use_100rel ? "100rel" : "";
    if (cfg_.session_timer) supported += supported.empty() ? "timer" : ", timer";
    ok.add("Supported", supported);
    entry.tx.send_response(now, ok);
    return;
  }
  if (request.method == "BYE" || request.method == "UPDATE" || request.method == "INFO" ||
      request.method == "PRACK") {
    entry.tx.send_response(now, make_response(id, 481));  // needs a dialog
    return;
  }
  UaEvent ev;
  ev.kind = UaEvent::Kind::IncomingRequest;
  ev.id = id;
  ev.message = std::move(request);
  emit(std::move(ev));
}

void UserAgent::on_in_dialog(Instant now, std::uint64_t id, ServerEntry& entry) {
  const Message& request = entry.tx.request();
  DialogId did{std::string(request.call_id()), request.to()->tag(), request.from()->tag()};
  auto d = dialogs_.find(did);
  if (d == dialogs_.end()) {
    entry.tx.send_response(now, make_response(id, 481));  // §12.2.2
    return;
  }
  if (!d->second.dialog.accept_request(request)) {
    entry.tx.send_response(now, make_response(id, 500, "CSeq out of order"));
    return;
  }
  if (request.method == "BYE") {
    // §15.1.2: answer and end the dialog; the TU learns from the event.
    entry.tx.send_response(now, make_response(id, 200));
    UaEvent ev;
    ev.kind = UaEvent::Kind::DialogTerminated;
    ev.dialog = did;
    ev.message = request;
    emit(std::move(ev));
    dialogs_.erase(d);
    return;
  }
  UaEvent ev;
  ev.kind = UaEvent::Kind::IncomingRequest;
  ev.id = id;
  ev.dialog = did;
  ev.message = request;
  emit(std::move(ev));
}

// §9.2: a CANCEL matches the INVITE transaction with the same branch.
void UserAgent::on_cancel(Instant now, Transport transport, const SocketAddress& source,
                          const Message& cancel) {
  Via via = *cancel.top_via();
  Target target = response_target(transport, source, via);
  Message as_invite = cancel;
  as_invite.method = "INVITE";
  auto it = servers_.find(server_key(as_invite, via));
  std::uint64_t cid = new_server(now, cancel, target);
  ServerEntry& centry = servers_.at(server_key(cancel, via));
  if (it == servers_.end()) {
    centry.tx.send_response(now, sip::make_response(cancel, 481, {}, random_token(4)));
    return;
  }
  Message ok = sip::make_response(cancel, 200, {}, it->second.local_tag);
  centry.tx.send_response(now, ok);
  (void)cid;
  if (it->second.tx.state() == ServerTransaction::State::Proceeding) {
    respond(now, it->second.id, make_response(it->second.id, 487));
    UaEvent ev;
    ev.kind = UaEvent::Kind::Cancelled;
    ev.id = it->second.id;
    emit(std::move(ev));
  }
}

void UserAgent::on_ack_2xx(const Message& ack) {
  auto from = ack.from();
  auto to = ack.to();
  if (!from || !to) return;
  auto d = dialogs_.find({std::string(ack.call_id()), to->tag(), from->tag()});
  if (d == dialogs_.end()) {
    ++stats_.stray_acks;
    return;
  }
  d->second.dialog.accept_request(ack);
  if (d->second.ok_next == kNever && d->second.ok_deadline == kNever) return;  // duplicate
  d->second.ok_next = d->second.ok_deadline = kNever;
  d->second.ok = Transmit{};  // §13.3.1.4: ACKed, never retransmitted again
  UaEvent ev;
  ev.kind = UaEvent::Kind::AckReceived;
  ev.dialog = d->first;
  ev.message = ack;
  emit(std::move(ev));
}

Message UserAgent::make_response(std::uint64_t server_tx, int status, std::string_view reason) const {
  auto k = server_keys_.find(server_tx);
  if (k == server_keys_.end()) return Message::response(status, std::string(reason));
  const ServerEntry& e = servers_.at(k->second);
  Message resp = sip::make_response(e.tx.request(), status, reason, e.local_tag);
  if (e.tx.request().method == "INVITE" && status > 100 && status < 300) {
    // An INVITE that came over TLS gets a TLS Contact, so the peer's
    // in-dialog requests stay on TLS (§12.1.1; sips per §8.1.1.8).
    const Transport t = e.tx.response_target().transport;
    const bool sips = e.tx.request().request_uri.scheme == "sips";
    resp.add("Contact", t == Transport::Tls || sips ? contact(Transport::Tls, sips) : contact());
  }
  if (!cfg_.user_agent.empty() && status >= 200) resp.add("Server", cfg_.user_agent);
  return resp;
}

void UserAgent::respond(Instant now, std::uint64_t server_tx, Message response) {
  auto k = server_keys_.find(server_tx);
  if (k == server_keys_.end()) return;
  ServerEntry& e = servers_.at(k->second);
  const Message& request = e.tx.request();
  if (request.method == "INVITE" && response.status > 100 && response.status < 300) {
    auto d = Dialog::from_uas(request, response);
    if (d) {
      auto id = d->id();
      auto it = dialogs_.find(id);
      if (it == dialogs_.end())
        it = dialogs_.emplace(id, DialogEntry{std::move(*d)}).first;
      if (response.status >= 200) {
        // §13.3.1.4: the TU retransmits its 2xx, T1 doubling to T2, until
        // the ACK comes or 64*T1 passes.
        DialogEntry& de = it->second;
        de.dialog.confirm();
        de.ok = Transmit{e.tx.response_target().transport, e.tx.response_target().address,
                         response.serialize()};
        if (!is_reliable(de.ok.transport)) {
          de.ok_interval = cfg_.timers.t1;
          de.ok_next = now + de.ok_interval;
        }
        de.ok_deadline = now + 64 * cfg_.timers.t1;
        schedule_dialog(id, de);
      }
    }
  }
  if (request.method == "INVITE" && response.status >= 300 && request.to()->tag().empty()) {
    // A rejected initial INVITE ends the early dialog its 1xx created.
    auto from = request.from();
    dialogs_.erase({std::string(request.call_id()), e.local_tag, from ? from->tag() : ""});
  }
  e.tx.send_response(now, response);
  touch_server(k->second);
  collect(now);
}

}  // namespace floe::sip
