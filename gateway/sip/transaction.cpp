#include "gateway/sip/transaction.hpp"

#include <algorithm>

#include "gateway/sip/parser.hpp"

namespace floe::sip {

namespace {
Instant earliest(Instant a, Instant b, Instant c) { return std::min({a, b, c}); }
bool due(Instant t, Instant now) { return t != kNever && t <= now; }
}  // namespace

// ---------------------------------------------------------------- client

ClientTransaction::ClientTransaction(Instant now, Message request, Target target,
                                     const TimerConfig& timers)
    : timers_(timers),
      request_(std::move(request)),
      target_(target),
      invite_(request_.method == "INVITE"),
      reliable_(is_reliable(target.transport)),
      state_(invite_ ? State::Calling : State::Trying),
      interval_(timers.t1) {
  if (auto via = request_.top_via()) branch_ = via->branch();
  request_bytes_ = request_.serialize();
  send_request();
  if (!reliable_) retransmit_at_ = now + interval_;  // timer A / E
  timeout_at_ = now + 64 * timers_.t1;               // timer B / F
}

void ClientTransaction::send_request() {
  out_.push_back({target_.transport, target_.address, request_bytes_});
}

// After the final response nothing is retransmitted: keep only what ACK
// matching and the TU's failure reports use.
void ClientTransaction::release_request() {
  request_bytes_ = Bytes();
  // The UA keeps its own copy for dialogs; ours only answers request().
  Message kept = Message::request(request_.method, std::move(request_.request_uri));
  for (auto& h : request_.headers)
    if (h.name == "Call-ID" || h.name == "CSeq" || h.name == "From") kept.headers.push_back(std::move(h));
  request_ = std::move(kept);
}

std::optional<Transmit> ClientTransaction::poll_transmit() {
  if (out_.empty()) return std::nullopt;
  Transmit t = std::move(out_.front());
  out_.erase(out_.begin());
  if (out_.empty()) std::vector<Transmit>().swap(out_);  // lingering holds no buffer
  return t;
}

Instant ClientTransaction::next_timeout() const {
  if (terminated()) return kNever;
  return earliest(retransmit_at_, timeout_at_, linger_at_);
}

void ClientTransaction::transport_error() {
  if (terminated()) return;
  timed_out_ = true;
  transport_failed_ = true;
  state_ = State::Terminated;
}

// §17.1.1.3: the ACK for a non-2xx final response belongs to the
// transaction: same Request-URI, Call-ID, From, top Via and CSeq number as
// the INVITE, the To of the response, and the INVITE's Route set.
Message ClientTransaction::make_ack(const Message& response) const {
  Message ack = Message::request("ACK", request_.request_uri);
  ack.add("Via", std::string(request_.header("Via")));
  for (const auto& h : request_.headers)
    if (h.name == "Route") ack.headers.push_back(h);
  ack.add("Max-Forwards", "70");
  ack.add("From", std::string(request_.header("From")));
  ack.add("To", std::string(response.header("To")));
  ack.add("Call-ID", std::string(request_.call_id()));
  auto cseq = request_.cseq();
  ack.add("CSeq", std::to_string(cseq ? cseq->number : 0) + " ACK");
  return ack;
}

void ClientTransaction::enter_completed(Instant now, const Message& response) {
  state_ = State::Completed;
  retransmit_at_ = kNever;
  timeout_at_ = kNever;
  if (invite_) {
    ack_ = make_ack(response).serialize();  // before the request is released
    out_.push_back({target_.transport, target_.address, ack_});
    // Timer D: at least 32 s on unreliable transports to absorb retransmitted finals.
    linger_at_ = now + (reliable_ ? Duration::zero() : std::max<Duration>(seconds(32), 64 * timers_.t1));
  } else {
    linger_at_ = now + (reliable_ ? Duration::zero() : timers_.t4);  // timer K
  }
  release_request();
  if (linger_at_ <= now) state_ = State::Terminated;
}

std::optional<Message> ClientTransaction::handle_response(Instant now, const Message& response) {
  const int code = response.status;
  switch (state_) {
    case State::Calling:
    case State::Trying:
    case State::Proceeding:
      if (code < 200) {
        if (state_ == State::Calling) retransmit_at_ = kNever;  // §17.1.1.2: stop timer A
        // Timer B only runs in Calling; the TU bounds Proceeding (Timer C / CANCEL).
        if (invite_) timeout_at_ = kNever;
        // §17.1.2.2: in Proceeding, timer E fires every T2.
        if (!invite_ && state_ == State::Trying && !reliable_) {
          interval_ = timers_.t2;
          retransmit_at_ = now + interval_;
        }
        state_ = State::Proceeding;
        return response;
      }
      if (invite_ && code < 300) {
        // RFC 6026 §7.2: Accepted, so 2xx retransmissions reach the TU, which ACKs.
        state_ = State::Accepted;
        retransmit_at_ = kNever;
        timeout_at_ = now + 64 * timers_.t1;  // timer M
        release_request();
        return response;
      }
      enter_completed(now, response);
      return response;
    case State::Completed:
      // A retransmitted final: resend the ACK, keep it from the TU.
      if (invite_ && code >= 300 && !ack_.empty())
        out_.push_back({target_.transport, target_.address, ack_});
      return std::nullopt;
    case State::Accepted:
      if (code >= 200 && code < 300) return response;
      return std::nullopt;
    case State::Terminated:
      return std::nullopt;
  }
  return std::nullopt;
}

void ClientTransaction::handle_timeout(Instant now) {
  if (terminated()) return;
  if (due(timeout_at_, now)) {
    // Timer B / F: no final response (§17.1.1.2, §17.1.2.2); Timer M: done.
    if (state_ != State::Accepted) timed_out_ = true;
    state_ = State::Terminated;
    return;
  }
  if (due(linger_at_, now)) {
    state_ = State::Terminated;
    return;
  }
  if (due(retransmit_at_, now)) {
    send_request();
    if (invite_) interval_ *= 2;  // timer A doubles without cap
    else if (state_ == State::Proceeding) interval_ = timers_.t2;
    else interval_ = std::min<Duration>(interval_ * 2, timers_.t2);
    retransmit_at_ = now + interval_;
  }
}

// ---------------------------------------------------------------- server

ServerTransaction::ServerTransaction(Instant now, Message request, Target response_target,
                                     const TimerConfig& timers)
    : timers_(timers),
      request_(std::move(request)),
      target_(response_target),
      invite_(request_.method == "INVITE"),
      reliable_(is_reliable(response_target.transport)),
      state_(invite_ ? State::Proceeding : State::Trying) {
  // §17.2.1: answer 100 Trying at once rather than guess whether the TU
  // will respond within 200 ms; it stops the client's timer A early.
  if (invite_) send_response(now, make_response(request_, 100));
}

void ServerTransaction::send(const Message& m) {
  last_bytes_ = m.serialize();
  last_status_ = m.status;
  out_.push_back({target_.transport, target_.address, last_bytes_});
}

std::optional<Message> ServerTransaction::last_response() const {
  if (last_bytes_.empty()) return std::nullopt;
  auto r = parse_message(last_bytes_);
  if (!r.ok) return std::nullopt;
  return std::move(r.message);
}

std::optional<Transmit> ServerTransaction::poll_transmit() {
  if (out_.empty()) return std::nullopt;
  Transmit t = std::move(out_.front());
  out_.erase(out_.begin());
  if (out_.empty()) std::vector<Transmit>().swap(out_);  // lingering holds no buffer
  return t;
}

Instant ServerTransaction::next_timeout() const {
  if (terminated()) return kNever;
  return earliest(retransmit_at_, timeout_at_, linger_at_);
}

void ServerTransaction::transport_error() { state_ = State::Terminated; }

bool ServerTransaction::handle_request(Instant now, const Message& request) {
  if (request.method == "ACK") {
    if (invite_ && state_ == State::Completed) {
      // §17.2.1: Confirmed absorbs further ACKs; timer I (T4, 0 on reliable).
      state_ = State::Confirmed;
      retransmit_at_ = kNever;
      timeout_at_ = kNever;
      linger_at_ = now + (reliable_ ? Duration::zero() : timers_.t4);
      if (reliable_) state_ = State::Terminated;
    }
    return true;
  }
  // A retransmitted request: repeat the latest response, if any (§17.2.1/2).
  if ((state_ == State::Proceeding || state_ == State::Completed) && !last_bytes_.empty())
    out_.push_back({target_.transport, target_.address, last_bytes_});
  return false;
}

void ServerTransaction::send_response(Instant now, const Message& response) {
  const int code = response.status;
  switch (state_) {
    case State::Trying:
    case State::Proceeding:
      send(response);
      if (code < 200) {
        state_ = State::Proceeding;
        return;
      }
      // Retransmissions use last_bytes_; the request's body and most
      // headers are of no further use.
      strip_to_essentials(request_);
      if (invite_ && code < 300) {
        // RFC 6026 §7.1: Accepted absorbs INVITE retransmissions; timer L.
        // The TU (the dialog) retransmits the 2xx, so its bytes go too.
        state_ = State::Accepted;
        timeout_at_ = now + 64 * timers_.t1;
        last_bytes_ = Bytes();
        return;
      }
      state_ = State::Completed;
      if (invite_) {
        if (!reliable_) {
          interval_ = timers_.t1;
          retransmit_at_ = now + interval_;  // timer G
        }
        timeout_at_ = now + 64 * timers_.t1;  // timer H
      } else {
        linger_at_ = now + (reliable_ ? Duration::zero() : 64 * timers_.t1);  // timer J
        if (reliable_) state_ = State::Terminated;
      }
      return;
    case State::Accepted:
      if (code >= 200 && code < 300) send(response);
      return;
    default:
      return;
  }
}

void ServerTransaction::handle_timeout(Instant now) {
  if (terminated()) return;
  if (due(timeout_at_, now)) {
    if (state_ == State::Completed) timed_out_ = true;  // timer H
    state_ = State::Terminated;                          // or timer L
    return;
  }
  if (due(linger_at_, now)) {
    state_ = State::Terminated;  // timer I or J
    return;
  }
  if (due(retransmit_at_, now)) {
    out_.push_back({target_.transport, target_.address, last_bytes_});
    interval_ = std::min<Duration>(interval_ * 2, timers_.t2);  // timer G
    retransmit_at_ = now + interval_;
  }
}

}  // namespace floe::sip
