#include "gateway/sip/registration.hpp"

#include <algorithm>

namespace floe::sip {

namespace {

// When to refresh a binding granted for `granted` seconds: halfway for short
// ones, a minute ahead for long ones, so one full non-INVITE transaction
// (64*T1 = 32 s) fits before it lapses.
Duration refresh_delay(std::uint32_t granted) {
  if (granted < 120) return seconds(std::max<std::uint32_t>(granted / 2, 1));
  return seconds(granted - 60);
}

std::optional<std::uint32_t> header_seconds(const Message& m, std::string_view name) {
  auto v = trim(m.header(name));
  if (v.empty()) return std::nullopt;
  auto n = parse_decimal(v, 0xffffffffUL);
  if (!n) return std::nullopt;
  return static_cast<std::uint32_t>(*n);
}

}  // namespace

Registration::Registration(RegistrationConfig config, std::string call_id, std::string from_tag)
    : cfg_(std::move(config)),
      digest_(cfg_.credentials),
      call_id_(std::move(call_id)),
      from_tag_(std::move(from_tag)),
      requested_(cfg_.expires) {}

void Registration::set_state(State s) {
  if (s != state_) changed_ = true;
  state_ = s;
}

bool Registration::take_state_changed() {
  bool c = changed_;
  changed_ = false;
  return c;
}

void Registration::start(Instant now) {
  set_state(State::Registering);
  send_at_ = now;
  failures_ = 0;
}

void Registration::stop(Instant now) {
  keepalive_at_ = kNever;
  pending_.reset();
  if (state_ == State::Registered || (state_ == State::Registering && in_flight_)) {
    set_state(State::Unregistering);
    send_at_ = now;
  } else {
    set_state(State::Unregistered);
    send_at_ = kNever;
  }
}

Message Registration::make_register(std::uint32_t expires) {
  Message m = Message::request("REGISTER", cfg_.registrar);
  m.add("Max-Forwards", "70");
  NameAddr aor;
  aor.uri = cfg_.aor;
  m.add("To", aor.to_string());
  aor.params.push_back({"tag", from_tag_, true});
  m.add("From", aor.to_string());
  // §10.2.4: one Call-ID for all registrations of this binding, CSeq increasing.
  m.add("Call-ID", call_id_);
  m.add("CSeq", std::to_string(++cseq_) + " REGISTER");
  std::string contact = cfg_.contact;
  if (!contact.empty() && contact.front() != '<') contact = "<" + contact + ">";
  if (!cfg_.instance_id.empty()) contact += ";+sip.instance=" + quote("<" + cfg_.instance_id + ">");
  m.add("Contact", contact);
  m.add("Expires", std::to_string(expires));
  if (digest_.has_nonce()) digest_.authorize(m);
  return m;
}

std::optional<Message> Registration::poll_request(Instant now) {
  if (pending_ && !in_flight_) {
    in_flight_ = true;
    auto m = std::move(*pending_);
    pending_.reset();
    return m;
  }
  if (!in_flight_ && send_at_ != kNever && send_at_ <= now) {
    send_at_ = kNever;
    if (state_ == State::Unregistering) {
      in_flight_ = true;
      return make_register(0);
    }
    if (state_ == State::Registering || state_ == State::Registered ||
        state_ == State::Retrying) {
      if (state_ == State::Retrying) set_state(State::Registering);
      in_flight_ = true;
      return make_register(requested_);
    }
  }
  if (state_ == State::Registered && cfg_.keepalive > Duration::zero() && !options_in_flight_ &&
      keepalive_at_ != kNever && keepalive_at_ <= now) {
    options_in_flight_ = true;
    keepalive_at_ = kNever;
    Message m = Message::request("OPTIONS", cfg_.registrar);
    m.add("Max-Forwards", "70");
    NameAddr to;
    to.uri = cfg_.registrar;
    m.add("To", to.to_string());
    NameAddr from;
    from.uri = cfg_.aor;
    from.params.push_back({"tag", from_tag_, true});
    m.add("From", from.to_string());
    m.add("Call-ID", call_id_ + "-ka" + std::to_string(cseq_));
    m.add("CSeq", "1 OPTIONS");
    return m;
  }
  return std::nullopt;
}

Instant Registration::next_timeout() const {
  Instant t = kNever;
  if (pending_ && !in_flight_) return Instant::min();
  if (!in_flight_) t = send_at_;
  if (state_ == State::Registered && cfg_.keepalive > Duration::zero() && !options_in_flight_)
    t = std::min(t, keepalive_at_);
  return t;
}

void Registration::schedule_retry(Instant now, std::optional<Duration> retry_after) {
  ++failures_;
  auth_attempts_ = 0;
  Duration delay = cfg_.retry_min;
  for (int i = 1; i < failures_ && delay < cfg_.retry_max; ++i) delay *= 2;
  delay = std::min(delay, cfg_.retry_max);
  if (retry_after) delay = std::max(delay, *retry_after);
  set_state(State::Retrying);
  send_at_ = now + delay;
  keepalive_at_ = kNever;
}

void Registration::handle_response(Instant now, const Message& request, const Message& response) {
  if (response.status < 200) return;
  if (request.method == "OPTIONS") {
    // Any final response proves the trunk is reachable.
    options_in_flight_ = false;
    if (state_ == State::Registered) keepalive_at_ = now + cfg_.keepalive;
    return;
  }
  in_flight_ = false;
  last_status_ = response.status;
  auto expires_sent = header_seconds(request, "Expires").value_or(requested_);
  if (state_ == State::Unregistering) {
    if (response.status == 401 || response.status == 407) {
      if (auth_attempts_++ < cfg_.max_auth_attempts && digest_.handle_challenge(request, response)) {
        pending_ = make_register(0);
        return;
      }
    }
    set_state(State::Unregistered);
    return;
  }
  const int code = response.status;
  if (code == 401 || code == 407) {
    if (auth_attempts_++ < cfg_.max_auth_attempts && digest_.handle_challenge(request, response)) {
      pending_ = make_register(expires_sent);
      return;
    }
    schedule_retry(now, std::nullopt);
    return;
  }
  if (code == 423) {
    // §10.2.8: raise to Min-Expires and try again at once.
    auto min = header_seconds(response, "Min-Expires");
    if (min && *min > requested_ && auth_attempts_++ < cfg_.max_auth_attempts) {
      requested_ = *min;
      pending_ = make_register(requested_);
      return;
    }
    schedule_retry(now, std::nullopt);
    return;
  }
  if (code >= 200 && code < 300) {
    auth_attempts_ = 0;
    failures_ = 0;
    // §10.2.4: the registrar's Contact expires param for our binding wins,
    // then the Expires header, then what we asked for.
    std::optional<std::uint32_t> granted;
    std::optional<NameAddr> ours;
    if (!cfg_.contact.empty())
      ours = NameAddr::parse(cfg_.contact.front() == '<' ? cfg_.contact : "<" + cfg_.contact + ">");
    for (const auto& c : response.name_addrs("Contact")) {
      if (ours && c.uri.equivalent(ours->uri)) {
        if (const Param* p = find_param(c.params, "expires"))
          if (auto n = parse_decimal(p->value, 0xffffffffUL)) granted = static_cast<std::uint32_t>(*n);
      }
    }
    if (!granted) granted = header_seconds(response, "Expires");
    granted_ = granted.value_or(expires_sent);
    if (granted_ == 0) {
      schedule_retry(now, std::nullopt);
      return;
    }
    set_state(State::Registered);
    expires_at_ = now + seconds(granted_);
    send_at_ = now + refresh_delay(granted_);
    if (cfg_.keepalive > Duration::zero()) keepalive_at_ = now + cfg_.keepalive;
    return;
  }
  std::optional<Duration> retry_after;
  if (auto ra = header_seconds(response, "Retry-After")) retry_after = seconds(*ra);
  schedule_retry(now, retry_after);
}

void Registration::handle_failure(Instant now, const Message& request) {
  if (request.method == "OPTIONS") {
    options_in_flight_ = false;
    // The trunk stopped answering: register again now rather than wait for
    // the refresh (it may have restarted and lost our binding).
    if (state_ == State::Registered) {
      set_state(State::Retrying);
      send_at_ = now;
    }
    return;
  }
  in_flight_ = false;
  last_status_ = 408;
  if (state_ == State::Unregistering) {
    set_state(State::Unregistered);
    return;
  }
  schedule_retry(now, std::nullopt);
}

}  // namespace floe::sip
