#include "gateway/bridge/sip_call.hpp"

#include <algorithm>

#include "base/random.hpp"
#include "signaling/sdp/text.hpp"

namespace floe::bridge {

using sdp::iequals;

int dtmf_event_code(char d) {
  if (d >= '0' && d <= '9') return d - '0';
  if (d == '*') return 10;
  if (d == '#') return 11;
  if (d >= 'A' && d <= 'D') return 12 + (d - 'A');
  if (d >= 'a' && d <= 'd') return 12 + (d - 'a');
  return -1;
}

char dtmf_digit(int code) {
  static constexpr char kDigits[] = "0123456789*#ABCD";
  return code >= 0 && code < 16 ? kDigits[code] : 0;
}

std::optional<std::pair<char, std::uint32_t>> parse_dtmf_relay(std::string_view body) {
  char digit = 0;
  std::uint32_t duration = 100;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == std::string_view::npos ? body.npos : nl - pos);
    pos = nl == std::string_view::npos ? body.size() : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    auto [k, v] = sdp::split_once(line, '=');
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!k.empty() && k.back() == ' ') k.remove_suffix(1);
    if (iequals(k, "Signal") && !v.empty()) {
      if (auto n = sdp::parse_uint<int>(v); n && *n <= 15) digit = dtmf_digit(*n);
      else if (v.size() == 1 && dtmf_event_code(v[0]) >= 0) digit = v[0];
    } else if (iequals(k, "Duration")) {
      if (auto n = sdp::parse_uint<std::uint32_t>(v)) duration = std::clamp<std::uint32_t>(*n, 40, 6000);
    }
  }
  if (!digit) return std::nullopt;
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  return std::pair{digit, duration};
}

namespace {

bool is_sdp(const sip::Message& m) {
  if (m.body.empty()) return false;
  auto ct = m.header("Content-Type");
  return ct.empty() || iequals(ct.substr(0, std::min<std::size_t>(ct.size(), 15)), "application/sdp");
}

std::string body_text(const sip::Message& m) { return std::string(m.body.begin(), m.body.end()); }

sdp::Direction combine(bool send, bool recv) {
  if (send && recv) return sdp::Direction::SendRecv;
  if (send) return sdp::Direction::SendOnly;
  if (recv) return sdp::Direction::RecvOnly;
  return sdp::Direction::Inactive;
}

Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace

SipCall::SipCall(sip::UserAgent& ua, SipCallOptions options)
    : ua_(ua), opt_(std::move(options)),
      timer_({.session_expires = opt_.session_expires ? opt_.session_expires : 1800,
              .min_se = opt_.min_se}) {}

bool SipCall::invite(Instant now, const sip::Uri& request_uri, const sip::Uri& from,
                     std::string_view from_display, const SipLocalMedia& local) {
  uac_ = true;
  local_ = local;
  sip::Message m = ua_.new_request("INVITE", request_uri, request_uri, from);
  if (!from_display.empty()) {
    if (auto f = m.from()) {
      f->display_name = std::string(from_display);
      m.set("From", f->to_string());
    }
  }
  m.add("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, UPDATE");
  // RFC 4028 §7.1: ask for a session interval; the UAS picks the refresher.
  if (opt_.session_expires) timer_.add_to_request(m);
  m.add("Content-Type", "application/sdp");
  m.body = to_bytes(write_sip_sdp(local));
  call_id_ = std::string(m.call_id());
  invite_ = m;
  invite_handle_ = ua_.send_request(now, std::move(m), opt_.credentials);
  if (invite_handle_ == 0) {
    end("failed", "the trunk address cannot be routed (numeric address or outbound proxy needed)");
    return false;
  }
  state_ = State::Calling;
  return true;
}

void SipCall::incoming(Instant now, std::uint64_t server_tx, const sip::Message& invite) {
  uac_ = false;
  server_tx_ = server_tx;
  invite_ = invite;
  call_id_ = std::string(invite.call_id());
  state_ = State::Incoming;
  if (is_sdp(invite)) {
    std::string why;
    remote_offer_ = media_of(invite, &why);
    if (!remote_offer_) {
      reject(now, 488, "Not Acceptable Here");
      end("failed", "the INVITE's SDP is unusable: " + why, 488);
      return;
    }
    remote_ = remote_offer_;
  } else if (!invite.body.empty()) {
    reject(now, 415);
    end("failed", "the INVITE body is not SDP", 415);
    return;
  }
  if (opt_.session_expires && timer_.check_request(invite)) {
    // RFC 4028 §9: too short; tell the UAC what we accept.
    sip::Message r = ua_.make_response(server_tx_, 422, "Session Interval Too Small");
    timer_.make_422(r);
    ua_.respond(now, server_tx_, std::move(r));
    end("failed", "Session-Expires below our Min-SE", 422);
  }
}

void SipCall::ringing(Instant now) {
  if (state_ != State::Incoming) return;
  sip::Message r = ua_.make_response(server_tx_, 180);
  if (auto from = invite_.from(); from)
    if (auto to = r.to(); to) dialog_ = sip::DialogId{call_id_, to->tag(), from->tag()};
  ua_.respond(now, server_tx_, std::move(r));
}

void SipCall::accept(Instant now, const SipLocalMedia& local) {
  if (state_ != State::Incoming) return;
  local_ = local;
  sip::Message r = ua_.make_response(server_tx_, 200);
  r.add("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, UPDATE");
  // RFC 4028 §9: honour the UAC's interval and refresher.
  if (opt_.session_expires) timer_.on_2xx_as_uas(now, invite_, r);
  r.add("Content-Type", "application/sdp");
  r.body = to_bytes(write_sip_sdp(local_));
  if (auto from = invite_.from(); from)
    if (auto to = r.to(); to) dialog_ = sip::DialogId{call_id_, to->tag(), from->tag()};
  offer_in_ack_ = !remote_offer_;
  ua_.respond(now, server_tx_, std::move(r));
  state_ = State::Confirmed;
}

void SipCall::reject(Instant now, int status, std::string_view reason) {
  if (state_ != State::Incoming) return;
  ua_.respond(now, server_tx_, ua_.make_response(server_tx_, status, reason));
  end(status == 486 ? "busy" : "rejected", std::string(reason), status);
}

void SipCall::hangup(Instant now) {
  switch (state_) {
    case State::Calling:
    case State::Early:
      // §9.1: the UA sends CANCEL once a provisional arrived; a 2xx that
      // crosses it is ACKed and then BYE'd (on_response).
      ua_.cancel(now, invite_handle_);
      hangup_pending_ = true;
      state_ = State::Ending;
      return;
    case State::Incoming:
      ua_.respond(now, server_tx_, ua_.make_response(server_tx_, 480));
      end("hangup", {}, 480);
      return;
    case State::Confirmed:
      send_bye(now);
      end("hangup");
      return;
    default:
      return;
  }
}

void SipCall::send_bye(Instant now) {
  if (!dialog_) return;
  if (auto h = ua_.send_in_dialog(now, *dialog_, "BYE")) requests_.insert(h);
}

void SipCall::set_local_direction(Instant now, sdp::Direction d) {
  if (local_.direction == d) return;
  local_.direction = d;
  ++local_.version;
  if (state_ != State::Confirmed || !dialog_) return;
  // RFC 4028 §10: this re-INVITE refreshes the session too, so it names the
  // running interval and its 2xx restarts the timer like a refresh's.
  const bool refreshes = opt_.session_expires && timer_.active();
  auto h = ua_.send_in_dialog(now, *dialog_, "INVITE", to_bytes(write_sip_sdp(local_)),
                              "application/sdp", [&](sip::Message& m) {
                                if (refreshes) timer_.add_to_request(m);
                              });
  if (!h) return;
  requests_.insert(h);
  if (refreshes) refresh_handle_ = h;
}

bool SipCall::send_info_dtmf(Instant now, char digit, std::uint32_t duration_ms) {
  if (state_ != State::Confirmed || !dialog_ || dtmf_event_code(digit) < 0 || info_queue_.size() >= 32)
    return false;
  info_queue_.emplace_back(digit, duration_ms);
  if (!info_handle_) send_next_info(now);
  return true;
}

void SipCall::send_next_info(Instant now) {
  info_handle_ = 0;
  if (info_queue_.empty() || state_ != State::Confirmed || !dialog_) return;
  auto [digit, duration_ms] = info_queue_.front();
  info_queue_.pop_front();
  std::string body = "Signal=" + std::string(1, digit) + "\r\nDuration=" +
                     std::to_string(duration_ms) + "\r\n";
  info_handle_ = ua_.send_in_dialog(now, *dialog_, "INFO", to_bytes(body), "application/dtmf-relay");
  if (info_handle_) requests_.insert(info_handle_);
}

bool SipCall::send_message(Instant now, std::string_view text, std::string_view content_type) {
  if (state_ != State::Confirmed || !dialog_) return false;
  auto h = ua_.send_in_dialog(now, *dialog_, "MESSAGE", to_bytes(text), content_type);
  if (h) requests_.insert(h);
  return h != 0;
}

bool SipCall::matches(const sip::UaEvent& e) const {
  using K = sip::UaEvent::Kind;
  if (state_ == State::Ended && e.kind != K::Response && e.kind != K::DialogTerminated) return false;
  switch (e.kind) {
    case K::Response:
    case K::RequestFailed:
      return (e.id != 0 && e.id == invite_handle_) || requests_.count(e.id) > 0;
    case K::Cancelled:
      return server_tx_ != 0 && e.id == server_tx_;
    case K::IncomingRequest:
    case K::AckReceived:
    case K::AckTimeout:
    case K::DialogTerminated:
      return e.dialog && e.dialog->call_id == call_id_ && !call_id_.empty();
    default:
      return false;
  }
}

void SipCall::handle_event(Instant now, const sip::UaEvent& e) {
  using K = sip::UaEvent::Kind;
  switch (e.kind) {
    case K::Response:
      on_response(now, e);
      break;
    case K::RequestFailed:
      if (e.id == invite_handle_) {
        if (state_ != State::Ended) end("sip-408", "the trunk did not answer the INVITE", 408);
      } else if (e.id == info_handle_) {
        send_next_info(now);
      } else if (e.id == refresh_handle_ && state_ == State::Confirmed) {
        send_bye(now);  // RFC 4028 §10: a refresh that timed out ends the session with BYE
        end("session-expired", "the session refresh got no answer");
      }
      break;
    case K::Cancelled:
      end("cancelled", "the caller cancelled", 487);
      break;
    case K::IncomingRequest:
      on_request(now, e);
      break;
    case K::AckReceived:
      if (uac_ || state_ != State::Confirmed) break;
      if (offer_in_ack_ || !ack_seen_) {
        const bool first = !ack_seen_;
        ack_seen_ = true;
        if (!offer_in_ack_) {
          emit({SipCallEvent::Kind::Answered, remote_});
          break;
        }
        offer_in_ack_ = false;
        std::string why;
        auto m = is_sdp(e.message) ? media_of(e.message, &why) : std::nullopt;
        if (!m) {
          send_bye(now);
          end("failed", "the ACK carried no usable SDP answer: " + why);
          break;
        }
        remote_ = m;
        emit({first ? SipCallEvent::Kind::Answered : SipCallEvent::Kind::RemoteMedia, remote_});
      }
      break;
    case K::AckTimeout:
      if (state_ == State::Confirmed) {
        send_bye(now);
        end("failed", "the SIP peer never ACKed our 200 OK");
      }
      break;
    case K::DialogTerminated:
      if (state_ != State::Ended) {
        if (e.message.is_request() && e.message.method == "BYE")
          end("hangup", "BYE from the SIP side");
        else
          end("failed", "the SIP dialog ended (" + std::to_string(e.status) + ")", e.status);
      }
      break;
    default:
      break;
  }
}

void SipCall::on_response(Instant now, const sip::UaEvent& e) {
  const sip::Message& r = e.message;
  const int code = e.status;
  if (e.id != invite_handle_) {
    if (e.id == info_handle_ && code >= 200) send_next_info(now);
    if (e.id == refresh_handle_) {
      refresh_handle_ = 0;
      if (code >= 200 && code < 300) {
        timer_.on_2xx_as_uac(now, r);
      } else if (timer_.refresh_failed_fatally(code) && state_ == State::Confirmed) {
        // RFC 4028 §10: a refresh answered 408/481 ends the session with BYE
        // (RFC 3261 §12.2.1.2), even if the peer may no longer know the dialog.
        send_bye(now);
        end("session-expired", "the session refresh was answered " + std::to_string(code), code);
      }
    }
    return;
  }
  if (code <= 100 || state_ == State::Ended) {
    if (state_ == State::Ended && code >= 200 && code < 300 && e.dialog) {
      dialog_ = e.dialog;  // a 2xx after we gave up: the UA ACKed it; BYE it
      send_bye(now);
    }
    return;
  }
  if (code < 200) {
    if (e.dialog && !dialog_) dialog_ = e.dialog;
    if (state_ == State::Calling) state_ = State::Early;
    if (state_ == State::Ending) return;
    SipCallEvent ev;
    ev.kind = code == 183 ? SipCallEvent::Kind::Progress : SipCallEvent::Kind::Ringing;
    ev.status = code;
    if (is_sdp(r) && !early_media_) {
      std::string why;
      if (auto m = media_of(r, &why)) {
        early_media_ = true;
        remote_ = m;
        ev.media = m;
      }
    }
    emit(std::move(ev));
    return;
  }
  if (code < 300) {
    dialog_ = e.dialog;
    if (hangup_pending_) {
      // The 2xx crossed our CANCEL (§9.1): the UA ACKed it; now BYE.
      state_ = State::Confirmed;
      send_bye(now);
      end("hangup");
      return;
    }
    if (is_sdp(r)) {
      std::string why;
      auto m = media_of(r, &why);
      if (!m) {
        state_ = State::Confirmed;
        send_bye(now);
        end("failed", "the 200 OK's SDP is unusable: " + why);
        return;
      }
      remote_ = m;
    } else if (!remote_) {
      state_ = State::Confirmed;
      send_bye(now);
      end("failed", "the 200 OK carried no SDP answer");
      return;
    }
    state_ = State::Confirmed;
    if (opt_.session_expires) timer_.on_2xx_as_uac(now, r);
    emit({SipCallEvent::Kind::Answered, remote_});
    return;
  }
  if (state_ == State::Ending) {
    end("hangup", {}, code);
    return;
  }
  end("sip-" + std::to_string(code), r.reason.empty() ? std::string(sip::default_reason(code)) : r.reason,
      code);
}

void SipCall::on_request(Instant now, const sip::UaEvent& e) {
  const sip::Message& q = e.message;
  if (q.method == "INVITE" || q.method == "UPDATE") {
    on_mid_call_offer(now, e);
    return;
  }
  if (q.method == "INFO") {
    auto ct = q.header("Content-Type");
    std::optional<std::pair<char, std::uint32_t>> d;
    if (iequals(ct, "application/dtmf-relay")) d = parse_dtmf_relay(body_text(q));
    else if (iequals(ct, "application/dtmf") && !q.body.empty() && dtmf_event_code(q.body[0]) >= 0)
      d = std::pair{static_cast<char>(q.body[0]), 100u};
    ua_.respond(now, e.id, ua_.make_response(e.id, 200));
    if (d) {
      SipCallEvent ev;
      ev.kind = SipCallEvent::Kind::Dtmf;
      ev.digit = d->first;
      ev.duration_ms = d->second;
      emit(std::move(ev));
    }
    return;
  }
  if (q.method == "MESSAGE") {
    ua_.respond(now, e.id, ua_.make_response(e.id, 200));
    SipCallEvent ev;
    ev.kind = SipCallEvent::Kind::Message;
    ev.message = body_text(q);
    emit(std::move(ev));
    return;
  }
  if (q.method == "OPTIONS") {
    ua_.respond(now, e.id, ua_.make_response(e.id, 200));
    return;
  }
  ua_.respond(now, e.id, ua_.make_response(e.id, 501));
}

void SipCall::on_mid_call_offer(Instant now, const sip::UaEvent& e) {
  const sip::Message& q = e.message;
  if (state_ != State::Confirmed) {
    // RFC 3261 §14.2: an offer while ours is pending (or before the call
    // is up) is a glare.
    ua_.respond(now, e.id, ua_.make_response(e.id, 491));
    return;
  }
  if (opt_.session_expires && timer_.check_request(q)) {
    sip::Message r = ua_.make_response(e.id, 422, "Session Interval Too Small");
    timer_.make_422(r);
    ua_.respond(now, e.id, std::move(r));
    return;
  }
  std::optional<SipRemoteMedia> offer;
  if (is_sdp(q)) {
    std::string why;
    offer = media_of(q, &why);
    const bool codec_kept =
        offer && !local_.codecs.empty() &&
        std::any_of(offer->codecs.begin(), offer->codecs.end(),
                    [&](const sdp::Codec& c) { return same_codec(c, local_.codecs.front()); });
    if (!codec_kept) {
      // RFC 3264 §8: a rejected re-offer leaves the session as it was.
      ua_.respond(now, e.id, ua_.make_response(e.id, 488));
      return;
    }
  }
  sip::Message r = ua_.make_response(e.id, 200);
  // RFC 4028 §10: every re-INVITE/UPDATE the peer sends refreshes the session.
  if (opt_.session_expires) timer_.on_2xx_as_uas(now, q, r);
  if (offer) {
    // RFC 3264 §6.1: mirror the offered direction, limited by ours.
    const sdp::Direction mirrored = sdp::reverse(offer->direction);
    SipLocalMedia answer = local_;
    answer.direction = combine(sdp::sends(mirrored) && sdp::sends(local_.direction),
                               sdp::receives(mirrored) && sdp::receives(local_.direction));
    if (offer->legacy_hold) answer.direction = local_.direction;
    // RFC 3264 §8: the version moves only when our description changes.
    if (!remote_ || answer.direction != last_answer_direction_) ++local_.version;
    answer.version = local_.version;
    last_answer_direction_ = answer.direction;
    r.add("Content-Type", "application/sdp");
    r.body = to_bytes(write_sip_sdp(answer));
    remote_ = offer;
    ua_.respond(now, e.id, std::move(r));
    emit({SipCallEvent::Kind::RemoteMedia, offer});
    return;
  }
  if (q.method == "INVITE") {
    // §14.2: a re-INVITE without an offer gets ours; the ACK answers.
    r.add("Content-Type", "application/sdp");
    r.body = to_bytes(write_sip_sdp(local_));
    offer_in_ack_ = true;
  }
  ua_.respond(now, e.id, std::move(r));
}

void SipCall::handle_timeout(Instant now) {
  if (state_ != State::Confirmed) return;
  auto action = timer_.handle_timeout(now);
  if (action == sip::SessionTimer::Action::Expired) {
    send_bye(now);
    end("session-expired", "no session refresh within the interval (RFC 4028 §10)");
  } else if (action == sip::SessionTimer::Action::Refresh && dialog_) {
    // A re-INVITE with the unchanged description (same o= version) is the
    // refresh. RFC 4028 §7.4: it carries Supported: timer and the running
    // interval with refresher=uac (we refresh, and send it), or the peer's
    // 2xx would drop the timer (§7.2).
    refresh_handle_ = ua_.send_in_dialog(
        now, *dialog_, "INVITE", to_bytes(write_sip_sdp(local_)), "application/sdp",
        [this](sip::Message& m) { timer_.add_to_request(m); });
    if (refresh_handle_) requests_.insert(refresh_handle_);
  }
}

Instant SipCall::next_timeout() const {
  if (state_ != State::Confirmed) return kNever;
  return timer_.next_timeout();
}

std::optional<SipCallEvent> SipCall::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::optional<SipRemoteMedia> SipCall::media_of(const sip::Message& m, std::string* why) const {
  return read_sip_media(body_text(m), why);
}

void SipCall::end(std::string reason, std::string message, int status) {
  if (state_ == State::Ended) return;
  state_ = State::Ended;
  timer_.stop();
  SipCallEvent ev;
  ev.kind = SipCallEvent::Kind::Ended;
  ev.reason = std::move(reason);
  ev.message = std::move(message);
  ev.status = status;
  emit(std::move(ev));
}

}  // namespace floe::bridge
