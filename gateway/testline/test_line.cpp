#include "gateway/testline/test_line.hpp"

#include <chrono>
#include <system_error>

#include "base/random.hpp"

namespace floe::testline {

namespace {

constexpr std::string_view kSdp = "application/sdp";

// RFC 3550 §4: NTP time, seconds since 1900 in the high 32 bits.
std::uint64_t ntp_now() {
  using namespace std::chrono;
  const auto since_unix = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  const std::uint64_t ns = since_unix > 0 ? static_cast<std::uint64_t>(since_unix) : 0;
  const std::uint64_t secs = ns / 1'000'000'000ull + 2'208'988'800ull;
  const std::uint64_t frac = ((ns % 1'000'000'000ull) << 32) / 1'000'000'000ull;
  return (secs << 32) | frac;
}

bool is_sdp(const sip::Message& m) {
  auto ct = m.header("Content-Type");
  auto semi = ct.find(';');
  ct = ct.substr(0, semi);
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  return sip::iequals(ct, kSdp);
}

std::string_view body_text(const sip::Message& m) { return as_chars(m.body); }

}  // namespace

TestLine::TestLine(boost::asio::io_context& io, TestLineConfig config)
    : io_(io), cfg_(std::move(config)) {
  open_transport();
}

TestLine::~TestLine() {
  // Whatever the callbacks capture may already be gone; close() quietly.
  log = nullptr;
  on_call_ended = nullptr;
  close();
  *alive_ = false;
}

// The UserAgent writes its port into Via and Contact and checks it on
// responses, so it must know the bound port before the first message: with
// port 0, bind once to learn a free port, then build both on it.
void TestLine::open_transport() {
  SocketAddress at = cfg_.listen;
  for (int attempt = 0;; ++attempt) {
    sip::UserAgentConfig uc;
    uc.host = at.ip().to_string();
    uc.port = at.port();
    uc.user = "testline";
    uc.user_agent = "Floe test line";
    uc.timers = cfg_.timers;
    ua_ = std::make_unique<sip::UserAgent>(uc);
    try {
      net_ = std::make_unique<sip::io::SipTransport>(io_, *ua_, at, cfg_.tcp);
    } catch (const std::system_error&) {
      if (cfg_.listen.port() != 0 || attempt >= 8) throw;
      at = cfg_.listen;
      continue;  // the port we learned was taken meanwhile
    }
    if (at.port() != 0) break;
    at = net_->local_udp();
    net_.reset();
  }
  net_->on_event = [this](sip::UaEvent& e) { on_event(e); };
  net_->kick();
}

SocketAddress TestLine::local_address() const { return net_->local_udp(); }

std::string TestLine::uri(std::string_view number) const {
  return sip::Uri::sip(number, ua_->config().host, ua_->config().port).to_string();
}

void TestLine::say(const std::string& line) const {
  if (log) log(line);
}

TestLine::Call* TestLine::find_dialog(const sip::DialogId& id) {
  for (auto& [k, c] : calls_)
    if (c->dialog && *c->dialog == id) return c.get();
  return nullptr;
}

TestLine::Call* TestLine::find_invite(std::uint64_t tx) {
  for (auto& [k, c] : calls_)
    if (c->invite_tx == tx) return c.get();
  return nullptr;
}

void TestLine::reply(std::uint64_t tx, int status, std::string_view reason,
                     std::string_view warning) {
  sip::Message r = ua_->make_response(tx, status, reason);
  if (!warning.empty()) {
    // RFC 3261 §20.43: 399 is the miscellaneous warning; the text says why.
    std::string w = "399 " + ua_->config().host + " \"";
    for (char ch : warning) w += (ch == '"' || ch == '\\') ? '\'' : ch;
    r.add("Warning", w + "\"");
  }
  if (status == 415) r.add("Accept", std::string(kSdp));
  ua_->respond(Clock::now(), tx, std::move(r));
}

void TestLine::on_event(sip::UaEvent& e) {
  using K = sip::UaEvent::Kind;
  switch (e.kind) {
    case K::IncomingRequest:
      if (e.dialog) {
        Call* c = find_dialog(*e.dialog);
        if (!c) {
          reply(e.id, 481);
          return;
        }
        on_in_dialog(*c, e);
      } else if (e.message.method == "INVITE") {
        on_invite(e);
      } else {
        sip::Message r = ua_->make_response(e.id, 405);
        r.add("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, MESSAGE");
        ua_->respond(Clock::now(), e.id, std::move(r));
      }
      return;
    case K::AckReceived:
      if (e.dialog)
        if (Call* c = find_dialog(*e.dialog)) on_ack(*c, e.message);
      return;
    case K::AckTimeout:
      if (e.dialog)
        if (Call* c = find_dialog(*e.dialog)) hang_up(*c, "no ACK for our 200");
      return;
    case K::Cancelled:
      if (Call* c = find_invite(e.id)) {
        ++stats_.cancelled;
        end(c->id, "cancel");
      }
      return;
    case K::DialogTerminated:
      if (e.dialog)
        if (Call* c = find_dialog(*e.dialog)) {
          if (!c->ending) ++stats_.peer_hangups;
          end(c->id, c->ending ? c->end_reason : std::string("peer BYE"));
        }
      return;
    default:
      return;  // responses to our BYE end in DialogTerminated
  }
}

void TestLine::on_invite(const sip::UaEvent& e) {
  const sip::Message& req = e.message;
  ++stats_.invites;
  const std::string number = req.request_uri.user;
  Number kind;
  if (number == "echo-sip") {
    kind = Number::Echo;
  } else if (number == "tone") {
    kind = Number::Tone;
  } else if (number == "ring") {
    kind = Number::Ring;
  } else if (number == "busy") {
    ++stats_.busy;
    say("test line: busy -> 486");
    reply(e.id, 486);
    return;
  } else {
    ++stats_.not_found;
    say("test line: '" + number + "' -> 404 (numbers: echo-sip, tone, busy, ring)");
    reply(e.id, 404);
    return;
  }
  if (calls_.size() >= cfg_.max_calls) {
    ++stats_.busy;
    reply(e.id, 486, {}, "too many test calls");
    return;
  }
  if (!req.body.empty() && !is_sdp(req)) {
    ++stats_.sdp_rejected;
    reply(e.id, 415);
    return;
  }
  auto call = std::make_unique<Call>();
  call->id = next_call_++;
  call->number = kind;
  call->number_text = number;
  call->call_id = std::string(req.call_id());
  call->started = Clock::now();
  call->media = std::make_unique<RtpEndpoint>(io_);
  if (call->media->open(cfg_.listen.ip(), cfg_.rtp_ports, &port_cursor_)) {
    ++stats_.no_port;
    reply(e.id, 503, {}, "no RTP port free");
    return;
  }
  call->sdp = std::make_unique<LocalSession>(random_u64() >> 1, call->media->rtp_address(),
                                             call->media->rtcp_address());
  Call& c = *call;
  calls_.emplace(c.id, std::move(call));
  if (kind == Number::Ring) {
    c.invite_tx = e.id;
    reply(e.id, 180);
    say("test line: ring -> 180");
    start_timer(c, cfg_.ring_time, [this](Call& rc) {
      reply(rc.invite_tx, 480);
      end(rc.id, "ring time over");
      net_->kick();
    });
    return;
  }
  if (!answer(c, e.id, req, true)) {
    end(c.id, "offer refused");
    return;
  }
  ++stats_.answered;
  say("test line: " + number + " answered, RTP " + c.media->rtp_address().to_string());
  if (cfg_.max_call_duration > Duration::zero())
    start_timer(c, cfg_.max_call_duration, [this](Call& mc) {
      hang_up(mc, "max duration");
      net_->kick();
    });
}

// Answers an offer in `request` with 200 + SDP, or puts our offer in the 200
// when it has none. False (and an error response sent) when the offer is
// refused.
void TestLine::start_media(Call& call, Instant now) {
  auto session = std::make_unique<MediaSession>(
      call.number == Number::Tone ? LineMode::Tone : LineMode::Echo, now, ntp_now(),
      static_cast<std::uint32_t>(random_u64()), static_cast<std::uint16_t>(random_u64()),
      static_cast<std::uint32_t>(random_u64()),
      "testline-" + call.number_text + "@" + ua_->config().host);
  session->set_media_timeout(cfg_.media_timeout);
  call.media->on_media_timeout = [this, id = call.id, alive = alive_] {
    if (!*alive) return;
    auto it = calls_.find(id);
    if (it == calls_.end()) return;
    hang_up(*it->second, "media timeout");
    net_->kick();
  };
  call.media->start(std::move(session));
}

bool TestLine::answer(Call& call, std::uint64_t tx, const sip::Message& request, bool initial) {
  std::string body;
  const Instant now = Clock::now();
  if (!request.body.empty()) {
    if (!is_sdp(request)) {
      ++stats_.sdp_rejected;
      reply(tx, 415);
      return false;
    }
    auto r = call.sdp->answer_offer(body_text(request), body);
    if (auto* err = std::get_if<SdpError>(&r)) {
      ++stats_.sdp_rejected;
      say("test line: offer refused: " + err->reason);
      reply(tx, err->status, {}, err->reason);
      return false;
    }
    const auto& agreed = std::get<AudioAgreement>(r);
    if (initial) start_media(call, now);
    call.media->configure(agreed);
    call.answer_in_ack = false;
  } else {
    // §13.2.1: no offer in the INVITE; ours goes in the 2xx, sendrecv (a
    // re-INVITE without SDP asks us to restate the session).
    body = call.sdp->make_offer(sdp::Direction::SendRecv);
    if (initial) start_media(call, now);
    call.answer_in_ack = true;
  }
  sip::Message ok = ua_->make_response(tx, 200);
  ok.add("Content-Type", std::string(kSdp));
  ok.add("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, MESSAGE");
  ok.body = Bytes(body.begin(), body.end());
  if (initial) {
    auto to = ok.to();
    auto from = request.from();
    if (to && from) call.dialog = sip::DialogId{call.call_id, to->tag(), from->tag()};
  }
  ua_->respond(now, tx, std::move(ok));
  return true;
}

void TestLine::on_in_dialog(Call& call, const sip::UaEvent& e) {
  const sip::Message& req = e.message;
  if (req.method == "INVITE" || (req.method == "UPDATE" && !req.body.empty())) {
    if (call.ending) {
      reply(e.id, 481);
      return;
    }
    if (call.answer_in_ack) {
      // RFC 3261 §14.2: our offer (in a 2xx) is still unanswered.
      reply(e.id, 491);
      return;
    }
    // RFC 3311 §5.2: an UPDATE offer is answered in its 200, never in an
    // ACK, so an UPDATE without a body is only a refresh.
    if (answer(call, e.id, req, false)) {
      ++stats_.reinvites;
      if (call.media->session() && call.media->session()->configured())
        say("test line: " + req.method + " -> " +
            sdp::to_string(call.media->session()->agreement().local_direction));
    }
    return;
  }
  if (req.method == "UPDATE" || req.method == "INFO" || req.method == "MESSAGE" ||
      req.method == "NOTIFY") {
    reply(e.id, 200);
    return;
  }
  reply(e.id, 501);
}

void TestLine::on_ack(Call& call, const sip::Message& ack) {
  if (!call.answer_in_ack) return;
  call.answer_in_ack = false;
  // §13.2.1: the ACK must carry the answer to the offer in our 2xx; without
  // one the session cannot start, and the only way out is BYE.
  if (ack.body.empty() || !is_sdp(ack)) {
    hang_up(call, "ACK without the SDP answer");
    return;
  }
  auto r = call.sdp->read_answer(body_text(ack));
  if (auto* err = std::get_if<SdpError>(&r)) {
    hang_up(call, "answer in ACK refused: " + err->reason);
    return;
  }
  call.media->configure(std::get<AudioAgreement>(r));
  say("test line: answer in ACK accepted");
}

void TestLine::hang_up(Call& call, std::string_view why) {
  if (call.ending) return;
  call.ending = true;
  call.end_reason = std::string(why);
  ++stats_.line_hangups;
  say("test line: hanging up " + call.number_text + " (" + std::string(why) + ")");
  call.media->close();
  if (!call.dialog || ua_->send_in_dialog(Clock::now(), *call.dialog, "BYE") == 0)
    end(call.id, why);
}

void TestLine::end(std::uint64_t id, std::string_view reason) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  const std::string why(reason);  // `reason` may live in the call erased below
  Call& c = *it->second;
  if (c.media) c.media->close();
  if (c.media && c.media->session()) {
    const MediaCounters& m = c.media->session()->counters();
    ended_media_.rtp_in += m.rtp_in;
    ended_media_.rtp_echoed += m.rtp_echoed;
    ended_media_.tone_packets += m.tone_packets;
    ended_media_.rtcp_in += m.rtcp_in;
    ended_media_.rtcp_out += m.rtcp_out;
    ended_media_.dropped_malformed += m.dropped_malformed;
    ended_media_.dropped_direction += m.dropped_direction;
    ended_media_.dropped_too_large += m.dropped_too_large;
    ended_media_.dropped_queue_full += m.dropped_queue_full;
    ended_media_.late_resyncs += m.late_resyncs;
  }
  if (on_call_ended) {
    CallReport rep;
    rep.number = c.number_text;
    rep.call_id = c.call_id;
    if (c.media && c.media->session()) {
      rep.media = c.media->session()->counters();
      for (const DtmfEvent& d : c.media->session()->dtmf()) {
        rep.dtmf += d.digit;
        rep.dtmf_durations.push_back(d.duration);
      }
    }
    rep.duration = Clock::now() - c.started;
    rep.ended_by = why;
    on_call_ended(rep);
  }
  std::string digits;
  if (c.media && c.media->session())
    for (const DtmfEvent& d : c.media->session()->dtmf()) digits += d.digit;
  say("test line: " + c.number_text + " ended (" + why + ")" +
      (digits.empty() ? std::string() : ", DTMF received: " + digits));
  calls_.erase(it);
}

void TestLine::start_timer(Call& call, Duration after, std::function<void(Call&)> fire) {
  call.timer = std::make_unique<boost::asio::steady_timer>(io_);
  call.timer->expires_after(after);
  call.timer->async_wait([this, id = call.id, fire = std::move(fire),
                          alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    auto it = calls_.find(id);
    if (it != calls_.end()) fire(*it->second);
  });
}

std::string TestLine::metrics() const {
  std::string out;
  auto counter = [&out](const char* name, std::uint64_t v, const char* type = "counter") {
    out += std::string("# TYPE floe_testline_") + name + " " + type + "\nfloe_testline_" + name +
           " " + std::to_string(v) + "\n";
  };
  counter("invites_total", stats_.invites);
  counter("answered_total", stats_.answered);
  counter("busy_total", stats_.busy);
  counter("not_found_total", stats_.not_found);
  counter("sdp_rejected_total", stats_.sdp_rejected);
  counter("cancelled_total", stats_.cancelled);
  counter("reinvites_total", stats_.reinvites);
  counter("peer_hangups_total", stats_.peer_hangups);
  counter("line_hangups_total", stats_.line_hangups);
  counter("no_port_total", stats_.no_port);
  counter("calls_active", calls_.size(), "gauge");
  // Media of ended calls only: a scrape during a call sees it when it ends.
  counter("rtp_received_total", ended_media_.rtp_in);
  counter("rtp_echoed_total", ended_media_.rtp_echoed);
  counter("tone_packets_total", ended_media_.tone_packets);
  counter("media_dropped_total", ended_media_.dropped_malformed + ended_media_.dropped_direction +
                                     ended_media_.dropped_too_large +
                                     ended_media_.dropped_queue_full);
  return out;
}

void TestLine::close() {
  if (closed_) return;
  closed_ = true;
  std::vector<std::uint64_t> ids;
  for (auto& [id, c] : calls_) ids.push_back(id);
  for (auto id : ids) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    Call& c = *it->second;
    if (c.invite_tx != 0) {
      reply(c.invite_tx, 480);
      end(id, "line closed");
    } else {
      hang_up(c, "line closed");
    }
  }
  // Send the BYEs; their answers will not be waited for.
  net_->kick();
  ids.clear();
  for (auto& [id, c] : calls_) ids.push_back(id);
  for (auto id : ids) end(id, "line closed");
  net_->close();
}

}  // namespace floe::testline
