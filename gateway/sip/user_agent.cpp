// UserAgent: construction, client side (requests, responses, auth retries,
// 2xx ACKs, CANCEL), timers and registrations. Incoming requests are in
// user_agent_server.cpp.
#include "gateway/sip/user_agent.hpp"

#include <algorithm>

#include "base/random.hpp"
#include "gateway/sip/session_timer.hpp"

namespace floe::sip {

std::string random_token(std::size_t bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  std::uint8_t buf[32];
  bytes = std::min<std::size_t>(bytes, sizeof buf);
  random_bytes(std::span<std::uint8_t>(buf, bytes));
  for (std::size_t i = 0; i < bytes; ++i) {
    out.push_back(digits[buf[i] >> 4]);
    out.push_back(digits[buf[i] & 15]);
  }
  return out;
}

UserAgent::UserAgent(UserAgentConfig config) : cfg_(std::move(config)) {}

std::string UserAgent::new_branch() const { return std::string(kBranchCookie) + random_token(10); }

std::string UserAgent::contact() const { return contact(cfg_.transport); }

std::uint16_t UserAgent::local_port(Transport transport) const {
  return transport == Transport::Tls ? cfg_.tls_port.value_or(cfg_.port) : cfg_.port;
}

std::string UserAgent::contact(Transport transport, bool sips) const {
  Uri u = Uri::sip(cfg_.user, cfg_.host, local_port(transport));
  // RFC 5630 §3.1.3: sips: already means TLS; transport=tls is deprecated there.
  if (sips) u.scheme = "sips";
  else if (transport == Transport::Tcp) u.params.push_back({"transport", "tcp", true});
  else if (transport == Transport::Tls) u.params.push_back({"transport", "tls", true});
  return "<" + u.to_string() + ">";
}

Message UserAgent::new_request(std::string_view method, const Uri& request_uri, const Uri& to,
                               const Uri& from) const {
  Message m = Message::request(std::string(method), request_uri);
  m.add("Max-Forwards", "70");
  NameAddr f;
  f.uri = from;
  f.params.push_back({"tag", random_token(6), true});
  m.add("From", f.to_string());
  NameAddr t;
  t.uri = to;
  m.add("To", t.to_string());
  m.add("Call-ID", random_token(12) + "@" + cfg_.host);
  m.add("CSeq", "1 " + std::string(method));
  if (method == "INVITE" || method == "REGISTER" || method == "SUBSCRIBE" || method == "REFER") {
    // §8.1.1.8 / §26.2: a sips Request-URI needs a sips Contact (TLS).
    if (request_uri.scheme == "sips") m.add("Contact", contact(Transport::Tls, true));
    else m.add("Contact", contact());
  }
  return m;
}

std::optional<Target> UserAgent::resolve(const Uri& uri) const {
  auto ip = IpAddress::parse(uri.host);
  if (!ip) return std::nullopt;  // DNS (RFC 3263) is the driver's job: use a proxy
  Target t;
  t.transport = cfg_.transport;
  if (const Param* p = find_param(uri.params, "transport")) {
    if (iequals(p->value, "tcp")) t.transport = Transport::Tcp;
    else if (iequals(p->value, "tls")) t.transport = Transport::Tls;
    else if (iequals(p->value, "udp")) t.transport = Transport::Udp;
  }
  if (uri.scheme == "sips") t.transport = Transport::Tls;
  t.address = SocketAddress(*ip, uri.port.value_or(t.transport == Transport::Tls ? 5061 : 5060));
  return t;
}

// §8.1.2: the first Route (loose routing) or else the Request-URI; an
// outbound proxy takes everything.
std::optional<Target> UserAgent::route(const Message& request) const {
  if (cfg_.outbound_proxy) return cfg_.outbound_proxy;
  auto routes = request.name_addrs("Route");
  if (!routes.empty()) return resolve(routes.front().uri);
  return resolve(request.request_uri);
}

std::uint64_t UserAgent::start_client(Instant now, Message request, RequestInfo info,
                                      std::uint64_t handle) {
  auto target = route(request);
  if (!target) return 0;
  request.remove("Via");
  Via via;
  via.transport = std::string(via_transport_name(target->transport));
  via.host = cfg_.host;
  via.port = local_port(target->transport);
  std::string branch = new_branch();
  via.params.push_back({"branch", branch, true});
  via.params.push_back({"rport", "", false});
  request.prepend("Via", via.to_string());
  if (!request.has("Max-Forwards")) request.add("Max-Forwards", "70");
  if (!request.has("User-Agent") && !cfg_.user_agent.empty())
    request.add("User-Agent", cfg_.user_agent);
  apply_size_rule(request, via, *target, info);
  std::string key = branch + "|" + request.method;
  info.request = request;
  info.key = key;
  clients_.insert_or_assign(key, ClientEntry{handle, ClientTransaction(now, std::move(request),
                                                                        *target, cfg_.timers)});
  touch_client(key);
  requests_.insert_or_assign(handle, std::move(info));
  return handle;
}

void UserAgent::build_ack(DialogEntry& de, Bytes body, std::string_view content_type) {
  Message ack = de.dialog.make_ack(de.ack_cseq);
  if (!body.empty()) {
    ack.add("Content-Type", std::string(content_type));
    ack.body = std::move(body);
  }
  auto target = route(ack);
  if (!target) return;
  Via via;
  via.transport = std::string(via_transport_name(target->transport));
  via.host = cfg_.host;
  via.port = local_port(target->transport);
  via.params.push_back({"branch", new_branch(), true});
  via.params.push_back({"rport", "", false});
  ack.prepend("Via", via.to_string());
  de.ack = Transmit{target->transport, target->address, ack.serialize()};
  de.ack_pending = false;
  out_.push_back(de.ack);
}

bool UserAgent::send_ack(Instant now, const DialogId& id, Bytes body, std::string_view content_type) {
  auto it = dialogs_.find(id);
  if (it == dialogs_.end() || !it->second.ack_pending) return false;
  build_ack(it->second, std::move(body), content_type);
  collect(now);
  return true;
}

std::uint64_t UserAgent::send_request(Instant now, Message request,
                                      std::optional<DigestCredentials> credentials,
                                      bool manual_ack) {
  RequestInfo info;
  info.manual_ack = manual_ack;
  if (credentials) info.digest.emplace(*credentials);
  if (cfg_.session_timer && (request.method == "INVITE" || request.method == "UPDATE"))
    add_supported(request, "timer");
  if (cfg_.use_100rel && request.method == "INVITE") add_supported(request, "100rel");
  auto handle = start_client(now, std::move(request), std::move(info), next_id_++);
  collect(now);
  return handle;
}

std::uint64_t UserAgent::send_in_dialog(Instant now, const DialogId& id, std::string_view method,
                                        Bytes body, std::string_view content_type,
                                        const std::function<void(Message&)>& decorate) {
  auto it = dialogs_.find(id);
  if (it == dialogs_.end() || it->second.dialog.state() == Dialog::State::Terminated) return 0;
  Message m = it->second.dialog.make_request(method);
  if (!body.empty()) {
    m.add("Content-Type", std::string(content_type));
    m.body = std::move(body);
  }
  if (decorate) decorate(m);
  if (cfg_.session_timer && (method == "INVITE" || method == "UPDATE")) add_supported(m, "timer");
  if (cfg_.use_100rel && method == "INVITE") add_supported(m, "100rel");
  auto handle = start_client(now, std::move(m), RequestInfo{.dialog = id}, next_id_++);
  collect(now);
  return handle;
}

void UserAgent::cancel(Instant now, std::uint64_t handle) {
  auto it = requests_.find(handle);
  if (it == requests_.end() || it->second.request.method != "INVITE") return;
  RequestInfo& info = it->second;
  auto entry = clients_.find(info.key);
  if (entry == clients_.end() || entry->second.tx.state() != ClientTransaction::State::Proceeding) {
    // §9.1: no CANCEL before a provisional response; send it when one comes.
    info.cancel_pending = entry != clients_.end();
    return;
  }
  // §9.1: same Request-URI, Call-ID, To, From, CSeq number, top Via and Route.
  const Message& inv = info.request;
  Message c = Message::request("CANCEL", inv.request_uri);
  c.add("Via", std::string(inv.header("Via")));
  for (const auto& h : inv.headers)
    if (h.name == "Route") c.headers.push_back(h);
  c.add("Max-Forwards", "70");
  c.add("From", std::string(inv.header("From")));
  c.add("To", std::string(inv.header("To")));
  c.add("Call-ID", std::string(inv.call_id()));
  c.add("CSeq", std::to_string(inv.cseq()->number) + " CANCEL");
  auto branch = inv.top_via()->branch();
  std::string key = branch + "|CANCEL";
  std::uint64_t h = next_id_++;
  RequestInfo cinfo;
  cinfo.request = c;
  cinfo.key = key;
  clients_.insert_or_assign(key, ClientEntry{h, ClientTransaction(now, std::move(c),
                                                                   entry->second.tx.target(),
                                                                   cfg_.timers)});
  requests_.insert_or_assign(h, std::move(cinfo));
  touch_client(key);
  info.cancel_pending = false;
  collect(now);
}

void UserAgent::on_response(Instant now, Message response) {
  ++stats_.responses;
  auto via = response.top_via();
  auto cseq = response.cseq();
  // §18.1.2: a response whose top Via is not the sent-by we insert is not ours.
  const std::uint16_t via_port = via->port.value_or(iequals(via->transport, "TLS") ? 5061 : 5060);
  if (!iequals(via->host, cfg_.host) ||
      (via_port != cfg_.port && via_port != local_port(Transport::Tls))) {
    ++stats_.stray_responses;
    return;
  }
  std::string key = via->branch() + "|" + cseq->method;
  auto it = clients_.find(key);
  if (it != clients_.end()) {
    std::uint64_t handle = it->second.handle;
    auto up = it->second.tx.handle_response(now, response);
    touch_client(key);
    // Keep causal order on the wire: this transaction's ACK before a retry.
    while (auto t = it->second.tx.poll_transmit()) out_.push_back(std::move(*t));
    // Before collect(): on reliable transports the transaction may already
    // be terminated (timer K/D = 0) and reaped with its request record.
    if (up) on_client_response(now, handle, *up);
    if (up && up->status >= 200) release_request_info(handle, key, *up);
    collect(now);
    return;
  }
  // A 2xx retransmission after the INVITE transaction ended: re-ACK it
  // from the dialog (§13.2.2.4).
  if (cseq->method == "INVITE" && response.status >= 200 && response.status < 300) {
    auto from = response.from();
    auto to = response.to();
    if (from && to) {
      auto d = dialogs_.find({std::string(response.call_id()), from->tag(), to->tag()});
      if (d != dialogs_.end() && !d->second.ack.bytes.empty() && d->second.ack_cseq == cseq->number) {
        out_.push_back(d->second.ack);
        return;
      }
    }
  }
  ++stats_.stray_responses;
}

void UserAgent::on_client_response(Instant now, std::uint64_t handle, const Message& response) {
  auto it = requests_.find(handle);
  if (it == requests_.end()) return;
  RequestInfo& info = it->second;
  const Message& request = info.request;
  const int code = response.status;

  if (info.registration != 0) {
    auto reg = registrations_.find(info.registration);
    if (reg != registrations_.end()) reg->second.handle_response(now, request, response);
    return;
  }
  if ((code == 401 || code == 407) && info.digest && info.auth_attempts < cfg_.max_auth_attempts &&
      info.digest->handle_challenge(request, response)) {
    // §22.2: resend with credentials, a new CSeq and a new branch.
    ++info.auth_attempts;
    Message retry = request;
    auto cseq = retry.cseq();
    std::uint32_t seq = cseq->number + 1;
    retry.set("CSeq", std::to_string(seq) + " " + retry.method);
    if (info.dialog) {
      auto d = dialogs_.find(*info.dialog);
      if (d != dialogs_.end()) d->second.dialog.set_local_seq(seq);
    }
    info.digest->authorize(retry);
    RequestInfo next = std::move(info);
    start_client(now, std::move(retry), std::move(next), handle);
    return;
  }
  if (code == 422 && (request.method == "INVITE" || request.method == "UPDATE") &&
      info.retries_422 < cfg_.max_422_retries) {
    // RFC 4028 §7.4: resend with Session-Expires and Min-SE raised to the
    // 422's Min-SE; same Call-ID and tags, new CSeq and branch.
    Message retry = request;
    if (apply_422(response, retry)) {
      ++info.retries_422;
      std::uint32_t seq = retry.cseq()->number + 1;
      retry.set("CSeq", std::to_string(seq) + " " + retry.method);
      if (info.dialog) {
        auto d = dialogs_.find(*info.dialog);
        if (d != dialogs_.end()) d->second.dialog.set_local_seq(seq);
      }
      if (info.digest && info.digest->has_nonce()) info.digest->authorize(retry);
      RequestInfo next = std::move(info);
      start_client(now, std::move(retry), std::move(next), handle);
      return;
    }
  }

  if (info.internal) return;  // a PRACK's response: nothing for the TU

  UaEvent ev;
  ev.kind = UaEvent::Kind::Response;
  ev.id = handle;
  ev.message = response;
  ev.status = code;

  if (request.method == "INVITE") {
    if (code > 100 && code < 300) {
      auto d = Dialog::from_uac(request, response);
      if (d) {
        auto id = d->id();
        auto existing = dialogs_.find(id);
        if (existing == dialogs_.end()) {
          existing = dialogs_.emplace(id, DialogEntry{std::move(*d)})
                         .first;
        } else {
          existing->second.dialog.handle_response(request, response);
        }
        ev.dialog = id;
        if (code >= 200) {
          DialogEntry& de = existing->second;
          std::uint32_t inv_seq = request.cseq()->number;
          if (!de.ack.bytes.empty() && de.ack_cseq == inv_seq) {
            out_.push_back(de.ack);  // a retransmitted 2xx: ACK again, tell no one
            return;
          }
          if (de.ack_pending && de.ack_cseq == inv_seq) return;  // the TU will ACK
          de.dialog.confirm();
          de.ack_cseq = inv_seq;
          if (info.manual_ack) {
            de.ack_pending = true;  // offer in the 2xx: the answer goes in the ACK
          } else {
            build_ack(de, {}, {});
          }
        }
      }
      if (code < 200) {
        info.got_provisional = true;
        if (info.cancel_pending) cancel(now, handle);
        if (ev.dialog && cfg_.use_100rel && has_option_tag(response, "Require", "100rel") &&
            !on_reliable_provisional(now, *ev.dialog, response))
          return;
      }
    } else if (code >= 300) {
      drop_early_dialogs(request);  // §12.3: a failed INVITE ends its early dialogs
    }
  } else if (info.dialog) {
    auto d = dialogs_.find(*info.dialog);
    if (d != dialogs_.end()) {
      ev.dialog = info.dialog;
      d->second.dialog.handle_response(request, response);
      if (request.method == "BYE" && code >= 200) d->second.dialog.terminate();
      if (d->second.dialog.state() == Dialog::State::Terminated) {
        emit(ev);
        UaEvent end;
        end.kind = UaEvent::Kind::DialogTerminated;
        end.dialog = info.dialog;
        end.status = code;
        emit(std::move(end));
        dialogs_.erase(d);
        return;
      }
    }
  }
  emit(std::move(ev));
}

// A final that was not retried (auth, 422): only an INVITE's 2xx still
// needs the request (retransmitted/forked 2xx, timer M), and only its essentials.
void UserAgent::release_request_info(std::uint64_t handle, const std::string& key,
                                     const Message& response) {
  auto it = requests_.find(handle);
  if (it == requests_.end() || it->second.key != key) return;
  if (it->second.request.method == "INVITE" && response.status < 300) {
    strip_to_essentials(it->second.request);
    return;
  }
  requests_.erase(it);
}

void UserAgent::schedule_dialog(const DialogId& id, const DialogEntry& d) {
  Instant at = std::min(d.ok_next, d.ok_deadline);
  if (at != kNever) timers_.push({at, TimerKind::Dialog, {}, id});
}

void UserAgent::dialog_timer(Instant now, const DialogId& id) {
  auto it = dialogs_.find(id);
  if (it == dialogs_.end()) return;
  DialogEntry& de = it->second;
  if (de.ok_deadline != kNever && de.ok_deadline <= now) {
    // §13.3.1.4: no ACK within 64*T1: the session is over.
    UaEvent ev;
    ev.kind = UaEvent::Kind::AckTimeout;
    ev.dialog = id;
    emit(std::move(ev));
    de.ok_next = de.ok_deadline = kNever;
    return;
  }
  if (de.ok_next != kNever && de.ok_next <= now) {
    out_.push_back(de.ok);
    de.ok_interval = std::min<Duration>(de.ok_interval * 2, cfg_.timers.t2);
    de.ok_next = now + de.ok_interval;
    schedule_dialog(id, de);
  }
}

// Drops heap entries at the top whose object is gone or whose deadline
// moved, so next_timeout() does not report times nothing is waiting for.
void UserAgent::prune_timers() {
  while (!timers_.empty()) {
    const TimerEntry& e = timers_.top();
    Instant current = kNever;
    if (e.kind == TimerKind::Client) {
      auto it = clients_.find(e.key);
      if (it != clients_.end()) current = it->second.tx.next_timeout();
    } else if (e.kind == TimerKind::Server) {
      auto it = servers_.find(e.key);
      if (it != servers_.end()) current = it->second.tx.next_timeout();
    } else {
      auto it = dialogs_.find(e.dialog);
      if (it != dialogs_.end()) current = std::min(it->second.ok_next, it->second.ok_deadline);
    }
    if (current == e.at) return;
    timers_.pop();
  }
}

void UserAgent::handle_timeout(Instant now) {
  while (!timers_.empty() && timers_.top().at <= now) {
    TimerEntry e = timers_.top();
    timers_.pop();
    if (e.kind == TimerKind::Client) {
      auto it = clients_.find(e.key);
      if (it == clients_.end() || it->second.tx.next_timeout() > now) continue;
      it->second.tx.handle_timeout(now);
      touch_client(e.key);
    } else if (e.kind == TimerKind::Server) {
      auto it = servers_.find(e.key);
      if (it == servers_.end() || it->second.tx.next_timeout() > now) continue;
      it->second.tx.handle_timeout(now);
      touch_server(e.key);
    } else {
      dialog_timer(now, e.dialog);
    }
  }
  collect(now);
}

Instant UserAgent::next_timeout() const {
  Instant t = timers_.empty() ? kNever : timers_.top().at;
  for (const auto& [k, r] : registrations_) t = std::min(t, r.next_timeout());
  return t;
}

std::optional<Transmit> UserAgent::poll_transmit() {
  if (out_.empty()) return std::nullopt;
  Transmit t = std::move(out_.front());
  out_.pop_front();
  ++stats_.transmits;
  return t;
}

std::optional<UaEvent> UserAgent::poll_event() {
  if (events_.empty()) return std::nullopt;
  UaEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

// Moves transaction output to the queue, reports and reaps finished
// transactions, and lets registrations send what is due.
void UserAgent::collect(Instant now) {
  for (auto& [id, reg] : registrations_) {
    while (auto m = reg.poll_request(now)) {
      RequestInfo info;
      info.registration = id;
      Message failed = *m;
      if (start_client(now, std::move(*m), std::move(info), next_id_++) == 0)
        reg.handle_failure(now, failed);
    }
  }
  auto take = [](std::vector<std::string>& from) {
    // Dedupe but keep first-touch order, which is causal order on the wire.
    std::vector<std::string> keys;
    for (auto& k : from)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
    from.clear();
    return keys;
  };
  std::vector<std::string> dirty = take(dirty_clients_);
  for (const auto& key : dirty) {
    auto it = clients_.find(key);
    if (it == clients_.end()) continue;
    ClientEntry& e = it->second;
    while (auto t = e.tx.poll_transmit()) out_.push_back(std::move(*t));
    if (!e.tx.terminated()) {
      if (e.tx.next_timeout() != kNever) timers_.push({e.tx.next_timeout(), TimerKind::Client, key, {}});
      continue;
    }
    std::uint64_t handle = e.handle;
    bool failed = e.tx.timed_out();
    const bool transport_failed = e.tx.transport_failed();
    Message req = failed ? e.tx.request() : Message{};  // only failures report it
    clients_.erase(it);
    auto info = requests_.find(handle);
    if (info == requests_.end() || info->second.key != key) continue;  // superseded by a retry
    if (failed) {
      if (info->second.registration != 0) {
        auto reg = registrations_.find(info->second.registration);
        if (reg != registrations_.end()) reg->second.handle_failure(now, req);
      } else if (!info->second.internal) {
        UaEvent ev;
        ev.kind = UaEvent::Kind::RequestFailed;
        ev.id = handle;
        ev.status = transport_failed ? 503 : 408;
        ev.dialog = info->second.dialog;
        emit(std::move(ev));
        if (req.method == "INVITE") drop_early_dialogs(req);
        if (info->second.dialog && (req.method == "BYE" || req.method != "INVITE")) {
          auto d = dialogs_.find(*info->second.dialog);
          if (d != dialogs_.end() && (req.method == "BYE" || d->second.dialog.state() == Dialog::State::Confirmed)) {
            UaEvent end;
            end.kind = UaEvent::Kind::DialogTerminated;
            end.dialog = d->first;
            end.status = transport_failed ? 503 : 408;
            emit(std::move(end));
            dialogs_.erase(d);
          }
        }
      }
    }
    requests_.erase(info);
  }
  dirty = take(dirty_servers_);
  for (const auto& key : dirty) {
    auto it = servers_.find(key);
    if (it == servers_.end()) continue;
    while (auto t = it->second.tx.poll_transmit()) out_.push_back(std::move(*t));
    if (it->second.tx.terminated()) {
      server_keys_.erase(it->second.id);
      servers_.erase(it);
    } else if (it->second.tx.next_timeout() != kNever) {
      timers_.push({it->second.tx.next_timeout(), TimerKind::Server, key, {}});
    }
  }
  prune_timers();
  for (auto& [id, reg] : registrations_) {
    if (reg.take_state_changed()) {
      UaEvent ev;
      ev.kind = UaEvent::Kind::RegistrationChanged;
      ev.id = id;
      ev.status = reg.last_status();
      emit(std::move(ev));
    }
  }
}

std::uint64_t UserAgent::add_registration(Instant now, RegistrationConfig config) {
  if (config.contact.empty()) config.contact = contact();
  std::uint64_t id = next_id_++;
  auto [it, ok] = registrations_.emplace(
      id, Registration(std::move(config), random_token(12) + "@" + cfg_.host, random_token(6)));
  it->second.start(now);
  collect(now);
  return id;
}

void UserAgent::remove_registration(Instant now, std::uint64_t id) {
  auto it = registrations_.find(id);
  if (it == registrations_.end()) return;
  it->second.stop(now);
  collect(now);
}

const Registration* UserAgent::registration(std::uint64_t id) const {
  auto it = registrations_.find(id);
  return it == registrations_.end() ? nullptr : &it->second;
}

void UserAgent::drop_early_dialogs(const Message& invite) {
  auto from = invite.from();
  if (!from) return;
  std::string call_id(invite.call_id());
  std::erase_if(dialogs_, [&](const auto& kv) {
    return kv.first.call_id == call_id && kv.first.local_tag == from->tag() &&
           kv.second.dialog.state() == Dialog::State::Early;
  });
}

const Dialog* UserAgent::dialog(const DialogId& id) const {
  auto it = dialogs_.find(id);
  return it == dialogs_.end() ? nullptr : &it->second.dialog;
}

}  // namespace floe::sip
