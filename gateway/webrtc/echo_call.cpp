#include "gateway/webrtc/echo_call.hpp"

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>

#include "base/random.hpp"
#include "signaling/sdp/writer.hpp"

namespace floe::webrtc {

sdp::Capabilities echo_capabilities() {
  auto caps = sdp::default_audio_capabilities();
  // transport-cc would ask us for TWCC feedback we do not generate.
  for (auto& c : caps.audio) c.rtcp_fb.clear();
  caps.data_channel = true;
  return caps;
}

EchoCall::EchoCall(boost::asio::io_context& io, MediaPort& port, BrowserLegOptions options,
                   std::shared_ptr<signaling::CallSink> sink, Done done)
    : io_(io), port_(port), options_(std::move(options)), sink_(std::move(sink)),
      done_(std::move(done)), timer_(io) {}

EchoCall::~EchoCall() {
  timer_.cancel();
  if (id_) port_.detach(id_);
}

bool EchoCall::start(const sdp::SessionDescription& offer) {
  const Instant now = Clock::now();
  const auto creds = ice::IceCredentials::random();
  const auto& fp = options_.dtls_context->certificate().fingerprint().to_string();
  const auto space = fp.find(' ');

  sdp::LocalDescriptionOptions lo;
  lo.transport.ice_ufrag = creds.ufrag;
  lo.transport.ice_pwd = creds.pwd;
  lo.transport.fingerprint = {fp.substr(0, space), fp.substr(space + 1)};
  // RFC 8842 §5.3: answering an actpass offer with active lets our
  // ClientHello leave as soon as ICE selects a pair, one flight earlier than
  // waiting for the browser's; it is also what dtls::answer_setup picks.
  lo.transport.answer_setup = sdp::Setup::Active;
  lo.transport.trickle = true;
  const std::uint32_t ssrc = static_cast<std::uint32_t>(random_u64()) | 1u;
  lo.audio_stream = sdp::LocalStream{ssrc, "floe-echo", "floe-echo", "echo-audio"};

  auto result = sdp::create_answer(offer, echo_capabilities(), lo);
  if (!result.ok()) {
    sink_->fail(signaling::ErrorCode::UnsupportedSdp, result.error().message);
    return false;
  }
  const auto& n = result.value();
  std::optional<dtls::Fingerprint> remote_fp;
  for (const auto& f : n.remote.fingerprints)
    if ((remote_fp = dtls::Fingerprint::parse(f.algorithm + " " + f.value))) break;
  if (!remote_fp) {
    sink_->fail(signaling::ErrorCode::UnsupportedSdp, "the offer has no usable a=fingerprint");
    return false;
  }

  WebRtcConfig cfg;
  cfg.ice.local_credentials = creds;
  cfg.ice.ta = options_.ice_pacing;
  if (options_.advertised_address) cfg.ice.gather.nat_1to1_address = options_.advertised_address;
  // The offerer controls (RFC 8445 §6.1.1) unless it is ice-lite.
  cfg.ice_role = n.remote.ice_lite ? ice::IceRole::Controlling : ice::IceRole::Controlled;
  cfg.dtls_context = options_.dtls_context;
  cfg.dtls_role = n.remote.local_setup == sdp::Setup::Passive ? dtls::Role::Server
                                                              : dtls::Role::Client;
  cfg.remote_fingerprint = *remote_fp;
  const auto* app = n.first("application");
  cfg.data_channel = app != nullptr;
  if (app) {
    cfg.remote_sctp_port = app->remote_sctp_port.value_or(5000);
    cfg.remote_max_message_size = app->remote_max_message_size.value_or(65536);
    if (cfg.remote_max_message_size == 0) cfg.remote_max_message_size = 256 * 1024;
  }
  if (const auto* audio = n.first("audio")) {
    audio_.emplace(ssrc, audio->codecs.empty() ? 48000 : audio->codecs.front().clock_rate,
                   "floe-echo");
    for (const auto& c : audio->codecs) audio_->allow_payload_type(c.payload_type);
  }
  for (const auto& m : n.media)
    if (m.accepted) {
      mid_ = m.mid;
      break;
    }

  transport_.emplace(cfg);
  transport_->set_remote_credentials(n.remote.ice_ufrag, n.remote.ice_pwd);
  for (const auto& c : n.remote.candidates) transport_->add_remote_candidate(c);
  if (n.remote.end_of_candidates) transport_->end_of_remote_candidates();

  id_ = port_.attach(*this);
  port_.demux().add_ufrag(creds.ufrag, id_);
  sink_->answer(sdp::to_string(n.local));
  // Echo "picks up" at once; the browser hears itself once media flows.
  sink_->answered();
  timings_.answered = now;
  setup_deadline_ = now + options_.setup_timeout;

  transport_->start(now);
  for (const auto& local : port_.local_addresses()) transport_->add_local_address(now, local);
  transport_->end_of_local_addresses();
  pump(now);
  return !ended_;
}

void EchoCall::add_remote_candidate(const std::string& candidate) {
  if (!transport_ || ended_) return;
  transport_->add_remote_candidate(candidate);
  pump(Clock::now());
}

void EchoCall::end_of_remote_candidates() {
  if (!transport_ || ended_) return;
  transport_->end_of_remote_candidates();
  pump(Clock::now());
}

void EchoCall::hangup() {
  if (ended_) return;
  ended_ = true;
  if (transport_) {
    transport_->close(Clock::now());
    pump(Clock::now());
  }
  timer_.cancel();
}

void EchoCall::on_datagram(const SocketAddress& local, const SocketAddress& remote,
                           std::span<std::uint8_t> buffer, std::size_t length) {
  if (!transport_ || ended_) return;
  const Instant now = Clock::now();
  auto in = transport_->handle_input(now, local, remote, buffer.first(length));
  if (in.kind == MediaIn::Kind::Rtp) {
    if (!timings_.first_rtp) timings_.first_rtp = now;
    // The plain packet starts at buffer[0]; the rest of buffer is the room
    // SRTP needs for its tag. Rewrite, protect and send, all in place.
    if (audio_ && audio_->rewrite(now, in.packet)) {
      auto n = transport_->protect_rtp(buffer, in.packet.size());
      auto route = transport_->media_route();
      if (n && route) {
        port_.send_to(route->local, buffer.first(*n), route->remote);
        transport_->note_sent(now);
      }
    }
  } else if (in.kind == MediaIn::Kind::Rtcp) {
    if (audio_) audio_->on_rtcp(now, in.packet);
  }
  pump(now);
}

void EchoCall::send_report(Instant now) {
  if (!audio_ || !transport_->media_ready()) return;
  const auto len = audio_->build_report(
      now, std::span(report_buf_).first(report_buf_.size() - WebRtcTransport::kMaxOverhead));
  if (len == 0) return;
  auto n = transport_->protect_rtcp(report_buf_, len);
  auto route = transport_->media_route();
  if (n && route) {
    port_.send_to(route->local, std::span(report_buf_).first(*n), route->remote);
    transport_->note_sent(now);
  }
}

void EchoCall::pump(Instant now) {
  while (auto o = transport_->poll_output()) {
    if (auto* t = std::get_if<ice::Transmit>(&*o)) {
      // Answers to our checks come back on this 5-tuple (not yet validated).
      port_.demux().add_tuple(t->local, t->remote, id_, false);
      port_.send_to(t->local, t->bytes, t->remote);
    } else if (auto* c = std::get_if<out::LocalCandidate>(&*o)) {
      sink_->candidate({ice::format_candidate(c->candidate), mid_, 0});
    } else if (std::holds_alternative<out::GatheringComplete>(*o)) {
      sink_->end_of_candidates();
    } else if (auto* s = std::get_if<out::IceStateChanged>(&*o)) {
      if (s->state == ice::IceState::Connected && !timings_.ice_connected)
        timings_.ice_connected = now;
    } else if (auto* p = std::get_if<out::SelectedPair>(&*o)) {
      // ICE proved this path: DTLS and SRTP may now arrive on it.
      port_.demux().add_tuple(p->local.base, p->remote.address, id_, true);
    } else if (auto* r = std::get_if<out::DataRoute>(&*o)) {
      port_.demux().add_tuple(r->local, r->remote, id_, true);
    } else if (auto* d = std::get_if<out::DtlsConnected>(&*o)) {
      timings_.dtls_connected = now;
      auto ms = [&](Instant at) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(at - timings_.answered).count();
      };
      std::printf("floe gateway: echo %s/%s: ICE selected +%lld ms, DTLS connected +%lld ms "
                  "(handshake %lld ms, %s)\n",
                  sink_->key().session_id.c_str(), sink_->key().call_id.c_str(),
                  static_cast<long long>(timings_.ice_connected ? ms(*timings_.ice_connected) : -1),
                  static_cast<long long>(ms(now)),
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::milliseconds>(d->handshake_time).count()),
                  std::string(dtls::to_string(d->profile)).c_str());
    } else if (auto* m = std::get_if<out::ChannelMessage>(&*o)) {
      transport_->send_message(now, m->id, m->data, m->binary);
    } else if (auto* f = std::get_if<out::Failed>(&*o)) {
      end("failed", f->reason);
      return;
    }
  }
  arm_timer();
}

void EchoCall::arm_timer() {
  if (ended_) return;
  Instant next = std::min(transport_->next_timeout(), setup_deadline_);
  if (audio_ && transport_->media_ready()) next = std::min(next, audio_->next_report());
  if (next == armed_for_) return;
  armed_for_ = next;
  timer_.expires_at(next);
  auto alive = std::weak_ptr<int>(alive_);
  timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted || alive.expired()) return;
    armed_for_ = kNever;
    on_timer();
  });
}

void EchoCall::on_timer() {
  if (ended_) return;
  const Instant now = Clock::now();
  if (transport_->media_ready()) setup_deadline_ = kNever;
  if (now >= setup_deadline_) {
    end("timeout", "ICE and DTLS did not complete within the setup time");
    return;
  }
  if (transport_->next_timeout() <= now) transport_->handle_timeout(now);
  if (audio_ && transport_->media_ready() && audio_->next_report() <= now) send_report(now);
  pump(now);
}

void EchoCall::end(const std::string& reason, const std::string& message) {
  if (ended_) return;
  ended_ = true;
  timer_.cancel();
  sink_->ended(reason, message);
  // The owner destroys us; not from inside our own callbacks.
  boost::asio::post(io_, [done = done_, key = sink_->key(), self = this] { done(key, self); });
}

}  // namespace floe::webrtc
