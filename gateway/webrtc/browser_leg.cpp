#include "gateway/webrtc/browser_leg.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <map>
#include <cstdio>

#include "base/random.hpp"
#include "signaling/sdp/writer.hpp"

namespace floe::webrtc {
namespace {

long long ms_between(Instant from, Instant to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

std::optional<dtls::Fingerprint> first_usable(const sdp::RemoteTransport& remote) {
  for (const auto& f : remote.fingerprints)
    if (auto fp = dtls::Fingerprint::parse(f.algorithm + " " + f.value)) return fp;
  return std::nullopt;
}

}  // namespace

LegTotals& LegTotals::operator+=(const LegTotals& o) {
  rtp_in += o.rtp_in;
  rtp_bytes_in += o.rtp_bytes_in;
  rtcp_in += o.rtcp_in;
  rtp_out += o.rtp_out;
  rtp_bytes_out += o.rtp_bytes_out;
  rtcp_out += o.rtcp_out;
  rtp_lost += o.rtp_lost;
  ice_restarts += o.ice_restarts;
  srtp_auth_or_replay += o.srtp_auth_or_replay;
  before_keys += o.before_keys;
  unvalidated += o.unvalidated;
  unknown_class += o.unknown_class;
  send_refused += o.send_refused;
  return *this;
}

void append_leg_metrics(std::string& out, const LegTotals& t) {
  auto counter = [&](const char* name, std::uint64_t v) {
    out += "# TYPE ";
    out += name;
    out += " counter\n";
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  counter("floe_browser_rtp_received_total", t.rtp_in);
  counter("floe_browser_rtp_received_bytes_total", t.rtp_bytes_in);
  counter("floe_browser_rtcp_received_total", t.rtcp_in);
  counter("floe_browser_rtp_sent_total", t.rtp_out);
  counter("floe_browser_rtp_sent_bytes_total", t.rtp_bytes_out);
  counter("floe_browser_rtcp_sent_total", t.rtcp_out);
  counter("floe_browser_rtp_lost_total", t.rtp_lost);
  counter("floe_browser_ice_restarts_total", t.ice_restarts);
  out += "# TYPE floe_browser_drops_total counter\n";
  auto drop = [&](const char* reason, std::uint64_t v) {
    out += "floe_browser_drops_total{reason=\"";
    out += reason;
    out += "\"} ";
    out += std::to_string(v);
    out += '\n';
  };
  drop("srtp_auth_or_replay", t.srtp_auth_or_replay);
  drop("before_keys", t.before_keys);
  drop("unvalidated_pair", t.unvalidated);
  drop("unknown_class", t.unknown_class);
  drop("send_refused", t.send_refused);
}

BrowserLeg::BrowserLeg(boost::asio::io_context& io, MediaPort& port, BrowserLegOptions options,
                       std::shared_ptr<signaling::CallSink> sink, Callbacks callbacks)
    : io_(io), port_(port), options_(std::move(options)), sink_(std::move(sink)),
      cb_(std::move(callbacks)), timer_(io) {}

BrowserLeg::~BrowserLeg() {
  timer_.cancel();
  if (id_) port_.detach(id_);
}

WebRtcConfig BrowserLeg::base_config(const ice::IceCredentials& creds) const {
  WebRtcConfig cfg;
  cfg.ice.local_credentials = creds;
  cfg.ice.ta = options_.ice_pacing;
  if (options_.advertised_address) cfg.ice.gather.nat_1to1_address = options_.advertised_address;
  cfg.dtls_context = options_.dtls_context;
  cfg.turn_servers = turn_client_configs(options_.turn_servers);
  return cfg;
}

sdp::LocalDescriptionOptions BrowserLeg::local_options(const ice::IceCredentials& creds) const {
  const auto& fp = options_.dtls_context->certificate().fingerprint().to_string();
  const auto space = fp.find(' ');
  sdp::LocalDescriptionOptions lo;
  lo.transport.ice_ufrag = creds.ufrag;
  lo.transport.ice_pwd = creds.pwd;
  lo.transport.fingerprint = {fp.substr(0, space), fp.substr(space + 1)};
  lo.transport.answer_setup = local_setup_;
  lo.transport.trickle = true;
  lo.audio_stream = sdp::LocalStream{local_ssrc_, options_.stream_name, options_.stream_name,
                                     options_.stream_name + "-audio"};
  return lo;
}

void BrowserLeg::take_media(const sdp::Negotiated& n) {
  mid_.clear();
  for (const auto& m : n.media)
    if (m.accepted) {
      mid_ = m.mid;
      break;
    }
  const auto* app = n.first("application");
  data_channel_ = app && app->accepted;
  if (const auto* a = n.first("audio"); a && a->accepted) {
    LegMedia lm;
    lm.mid = a->mid;
    lm.codecs = a->codecs;
    lm.local_ssrc = local_ssrc_;
    lm.direction = a->direction;
    for (const auto& s : a->remote_ssrcs)
      if (std::find(lm.remote_ssrcs.begin(), lm.remote_ssrcs.end(), s.ssrc) == lm.remote_ssrcs.end())
        lm.remote_ssrcs.push_back(s.ssrc);
    clock_by_pt_.fill(0);
    for (const auto& c : lm.codecs)
      // telephone-event runs at its own rate and in bursts: no jitter from it.
      if (c.name != "telephone-event") clock_by_pt_[c.payload_type & 0x7f] = c.clock_rate;
    audio_ = std::move(lm);
  } else {
    audio_.reset();
  }
}

bool BrowserLeg::configure_peer(const sdp::Negotiated& n, std::string* why) {
  auto remote_fp = first_usable(n.remote);
  if (!remote_fp) {
    if (why) *why = "the SDP has no usable a=fingerprint";
    return false;
  }
  const auto* app = n.first("application");
  const bool dc = app && app->accepted;
  std::uint16_t sctp_port = 5000;
  std::size_t mms = 65536;
  if (dc) {
    sctp_port = app->remote_sctp_port.value_or(5000);
    mms = app->remote_max_message_size.value_or(65536);
    if (mms == 0) mms = 256 * 1024;  // RFC 8841 §6.1: 0 means "any size"
  }
  local_setup_ = n.remote.local_setup;
  transport_->set_peer(local_setup_ == sdp::Setup::Passive ? dtls::Role::Server : dtls::Role::Client,
                       *remote_fp, dc, sctp_port, mms);
  return true;
}

bool BrowserLeg::answer(const sdp::SessionDescription& offer, const sdp::Capabilities& caps) {
  if (transport_ || ended_) return false;
  const Instant now = Clock::now();
  const auto creds = ice::IceCredentials::random();
  local_ssrc_ = static_cast<std::uint32_t>(random_u64()) | 1u;
  // RFC 8842 §5.3: answering an actpass offer with active lets our
  // ClientHello leave as soon as ICE selects a pair, one flight earlier than
  // waiting for the browser's; it is also what dtls::answer_setup picks.
  local_setup_ = sdp::Setup::Active;
  caps_ = caps;

  auto result = sdp::create_answer(offer, caps_, local_options(creds));
  auto fail_request = [&](const std::string& why) {
    ended_ = true;
    if (sink_) sink_->fail(signaling::ErrorCode::UnsupportedSdp, why);
    return false;
  };
  if (!result.ok()) return fail_request(result.error().message);
  const auto& n = result.value();
  if (!first_usable(n.remote)) return fail_request("the offer has no usable a=fingerprint");

  auto cfg = base_config(creds);
  // The offerer controls (RFC 8445 §6.1.1) unless it is ice-lite.
  cfg.ice_role = n.remote.ice_lite ? ice::IceRole::Controlling : ice::IceRole::Controlled;
  transport_.emplace(cfg);
  if (!cfg.turn_servers.empty())
    turn_links_ = std::make_unique<TurnLinks>(io_, *this, *transport_, options_.turn_servers);
  std::string why;
  if (!configure_peer(n, &why)) return fail_request(why);
  take_media(n);
  local_ufrag_ = creds.ufrag;
  transport_->set_remote_credentials(n.remote.ice_ufrag, n.remote.ice_pwd);
  for (const auto& c : n.remote.candidates) transport_->add_remote_candidate(c);
  if (n.remote.end_of_candidates) transport_->end_of_remote_candidates();

  id_ = port_.attach(*this);
  port_.demux().add_ufrag(creds.ufrag, id_);
  to_sink(signaling::event::Answer{sdp::to_string(n.local)});
  timings_.started = now;
  for (const auto& local : port_.local_addresses()) transport_->add_local_address(now, local);
  transport_->end_of_local_addresses();
  begin(now);
  return !ended_;
}

std::optional<std::string> BrowserLeg::start_offer(const sdp::Capabilities& caps,
                                                   const sdp::OfferRequest& request) {
  if (transport_ || ended_) return std::nullopt;
  if (request.audio && caps.audio.empty()) return std::nullopt;
  const Instant now = Clock::now();
  const auto creds = ice::IceCredentials::random();
  local_ssrc_ = static_cast<std::uint32_t>(random_u64()) | 1u;
  caps_ = caps;
  auto cfg = base_config(creds);
  // RFC 8445 §6.1.1: the offerer is controlling. The DTLS role and the
  // peer's fingerprint come with the answer (set_peer before start()).
  cfg.ice_role = ice::IceRole::Controlling;
  transport_.emplace(cfg);
  if (!cfg.turn_servers.empty())
    turn_links_ = std::make_unique<TurnLinks>(io_, *this, *transport_, options_.turn_servers);
  local_ufrag_ = creds.ufrag;
  id_ = port_.attach(*this);
  port_.demux().add_ufrag(creds.ufrag, id_);

  // Host candidates are known at once: they travel inside the offer, so
  // the browser can check as soon as it answers, before any trickle.
  auto lo = local_options(creds);
  for (const auto& local : port_.local_addresses()) transport_->add_local_address(now, local);
  transport_->end_of_local_addresses();
  while (auto o = transport_->poll_output()) {
    if (auto* c = std::get_if<out::LocalCandidate>(&*o))
      lo.transport.candidates.push_back(ice::format_candidate(c->candidate));
    else if (std::holds_alternative<out::GatheringComplete>(*o))
      lo.transport.end_of_candidates = true;
  }
  local_offer_ = sdp::create_offer(caps_, lo, request);
  timings_.started = now;
  arm_timer();
  return sdp::to_string(*local_offer_);
}

bool BrowserLeg::apply_answer(const sdp::SessionDescription& answer, std::string* why) {
  if (!transport_ || !local_offer_ || started_ || ended_) {
    if (why) *why = "no offer is waiting for an answer";
    return false;
  }
  auto result = sdp::apply_answer(*local_offer_, answer);
  if (!result.ok()) {
    if (why) *why = result.error().message;
    return false;
  }
  const auto& n = result.value();
  if (!configure_peer(n, why)) return false;
  take_media(n);
  transport_->set_remote_credentials(n.remote.ice_ufrag, n.remote.ice_pwd);
  for (const auto& c : n.remote.candidates) transport_->add_remote_candidate(c);
  if (n.remote.end_of_candidates) transport_->end_of_remote_candidates();
  begin(Clock::now());
  return !ended_;
}

void BrowserLeg::set_sink(std::shared_ptr<signaling::CallSink> sink) {
  sink_ = std::move(sink);
  if (!sink_) return;
  for (auto& e : pending_) sink_->post(std::move(e));
  pending_.clear();
}

void BrowserLeg::begin(Instant now) {
  started_ = true;
  setup_deadline_ = now + options_.setup_timeout;
  transport_->start(now);
  pump(now);
}

bool BrowserLeg::renegotiate(const sdp::SessionDescription& offer, std::string* why) {
  if (!transport_ || !started_ || ended_) {
    if (why) *why = "the call has no media session to renegotiate";
    return false;
  }
  ice::IceCredentials creds = transport_->local_credentials();
  // Parse the offer once with the current credentials to see whether the
  // browser restarts ICE (new ice-ufrag/ice-pwd, RFC 8839 §4.4.1.1.1).
  auto result = sdp::create_answer(offer, caps_, local_options(creds));
  if (!result.ok()) {
    if (why) *why = result.error().message;
    return false;
  }
  const auto remote = result.value().remote;
  if (!first_usable(remote)) {
    if (why) *why = "the offer has no usable a=fingerprint";
    return false;
  }
  const Instant now = Clock::now();
  // The agent restarts when the remote credentials change (RFC 8445 §9)
  // and picks new local ones; the answer must carry those.
  const std::string old_ufrag = transport_->local_credentials().ufrag;
  transport_->set_remote_credentials(remote.ice_ufrag, remote.ice_pwd);
  const bool restarted = transport_->local_credentials().ufrag != old_ufrag;
  if (restarted) {
    creds = transport_->local_credentials();
    result = sdp::create_answer(offer, caps_, local_options(creds));
    if (!result.ok()) {
      if (why) *why = result.error().message;
      return false;
    }
    ++ice_restarts_;
    // Both ufrags route here until the new pair is selected: checks for
    // the old generation keep consent alive meanwhile (§9).
    if (old_ufrag_) port_.demux().remove_ufrag(*old_ufrag_);
    old_ufrag_ = old_ufrag;
    local_ufrag_ = creds.ufrag;
    port_.demux().add_ufrag(creds.ufrag, id_);
  }
  const auto& n = result.value();
  take_media(n);
  for (const auto& c : n.remote.candidates) transport_->add_remote_candidate(c);
  if (n.remote.end_of_candidates) transport_->end_of_remote_candidates();
  to_sink(signaling::event::Answer{sdp::to_string(n.local)});
  pump(now);
  return true;
}

void BrowserLeg::add_remote_candidate(const std::string& candidate) {
  if (!transport_ || ended_) return;
  transport_->add_remote_candidate(candidate);
  pump(Clock::now());
}

void BrowserLeg::end_of_remote_candidates() {
  if (!transport_ || ended_) return;
  transport_->end_of_remote_candidates();
  pump(Clock::now());
}

void BrowserLeg::hangup() {
  if (ended_) return;
  ended_ = true;
  if (transport_) {
    const Instant now = Clock::now();
    transport_->close(now);
    // close_notify and SCTP ABORT still go out; nothing else is read.
    while (auto o = transport_->poll_output())
      if (auto* t = std::get_if<ice::Transmit>(&*o)) port_.send_to(t->local, t->bytes, t->remote);
  }
  timer_.cancel();
}

void BrowserLeg::on_datagram(const SocketAddress& local, const SocketAddress& remote,
                             std::span<std::uint8_t> buffer, std::size_t length) {
  if (!transport_ || ended_) return;
  const Instant now = Clock::now();
  deliver(now, transport_->handle_input(now, local, remote, buffer.first(length)), buffer);
  deliver_early(now);
  if (!ended_) pump(now);
}

void BrowserLeg::deliver_early(Instant now) {
  // Media that came over a pair before our own check validated it (see
  // WebRtcTransport::EarlyRecord), in arrival order.
  while (!ended_ && transport_->has_early_media()) {
    auto in = transport_->take_early_media(now, early_buf_);
    if (in.kind == MediaIn::Kind::None) break;
    deliver(now, in, early_buf_);
  }
}

void BrowserLeg::deliver(Instant now, const MediaIn& in, std::span<std::uint8_t> buffer) {
  if (in.kind == MediaIn::Kind::Rtp) {
    if (!timings_.first_rtp) timings_.first_rtp = now;
    const auto& p = in.packet;
    if (p.size() >= 12) {
      const std::uint32_t ssrc = load_be32(&p[8]);
      rx_.on_rtp(now, p, clock_rate(p[1]));
      if (!remote_ssrc_ || *remote_ssrc_ != ssrc) {
        remote_ssrc_ = ssrc;
        if (cb_.remote_ssrc) cb_.remote_ssrc(now, ssrc);
      }
    }
    // The plain packet starts at buffer[0]; the rest of buffer is the room
    // SRTP needs for its tag, so the owner can answer in place.
    if (cb_.media && !ended_) cb_.media(now, MediaKind::Rtp, buffer, p.size());
  } else if (in.kind == MediaIn::Kind::Rtcp) {
    rx_.on_rtcp(in.packet, local_ssrc_, ntp_time_now());
    if (cb_.media && !ended_) cb_.media(now, MediaKind::Rtcp, buffer, in.packet.size());
  }
}

bool BrowserLeg::protect_and_send(bool rtcp, std::span<std::uint8_t> buffer, std::size_t length) {
  if (!transport_ || ended_) {
    ++send_refused_;
    return false;
  }
  // No route: refuse before protecting, so an unsent packet does not use
  // up an SRTP index (RFC 3711 §3.3.1) the browser would then see skipped.
  // RFC 8445 §12.1: before a pair is selected, data may use any valid one
  // (the one DTLS went over); after, only the selected pair.
  auto route = transport_->media_route();
  if (!route) route = transport_->data_route();
  auto n = route ? (rtcp ? transport_->protect_rtcp(buffer, length)
                         : transport_->protect_rtp(buffer, length))
                 : std::nullopt;
  if (!n || !route) {
    ++send_refused_;
    return false;
  }
  // A relayed route (RFC 8656) goes out through its TURN allocation.
  if (transport_->is_relayed(route->local))
    transport_->send_relayed(Clock::now(), *route, buffer.first(*n));
  else
    port_.send_to(route->local, buffer.first(*n), route->remote);
  transport_->note_sent(Clock::now());
  if (!rtcp) rtp_bytes_out_ += length;
  return true;
}

bool BrowserLeg::send_rtp(std::span<std::uint8_t> buffer, std::size_t length) {
  return protect_and_send(false, buffer, length);
}

bool BrowserLeg::send_rtcp(std::span<std::uint8_t> buffer, std::size_t length) {
  return protect_and_send(true, buffer, length);
}

bool BrowserLeg::send_message(std::uint16_t channel, ByteView data, bool binary) {
  if (!transport_ || ended_) return false;
  const Instant now = Clock::now();
  const bool ok = transport_->send_message(now, channel, data, binary);
  pump(now);
  return ok;
}

std::optional<std::uint16_t> BrowserLeg::open_channel(const std::string& label) {
  if (!transport_ || ended_) return std::nullopt;
  const Instant now = Clock::now();
  sctp::ChannelOptions o;
  o.label = label;
  auto id = transport_->open_channel(now, o);
  pump(now);
  return id;
}

void BrowserLeg::wake_at(Instant at) {
  owner_wake_ = at;
  arm_timer();
}

LegTotals BrowserLeg::totals() const {
  LegTotals t;
  t.rtp_bytes_in = rx_.bytes();
  const auto lost = rx_.lost();
  t.rtp_lost = lost > 0 ? static_cast<std::uint64_t>(lost) : 0;
  t.rtp_bytes_out = rtp_bytes_out_;
  t.ice_restarts = ice_restarts_;
  t.send_refused = send_refused_;
  if (transport_) {
    const auto& c = transport_->counters();
    t.rtp_in = c.rtp_in;
    t.rtcp_in = c.rtcp_in;
    t.rtp_out = c.rtp_out;
    t.rtcp_out = c.rtcp_out;
    t.srtp_auth_or_replay = c.srtp_drops;
    t.before_keys = c.media_before_keys;
    t.unknown_class = c.unknown_class;
    t.unvalidated = transport_->ice().counters().data_unvalidated;
  }
  return t;
}

void BrowserLeg::to_sink(signaling::CallEvent e) {
  if (sink_) sink_->post(std::move(e));
  else pending_.push_back(std::move(e));
}

void BrowserLeg::pump(Instant now) {
  if (!transport_) return;
  while (auto o = transport_->poll_output()) {
    if (auto* t = std::get_if<ice::Transmit>(&*o)) {
      // Answers to our checks come back on this 5-tuple. A Binding success
      // response (0x0101) means the agent answered an authenticated check
      // from it: the peer may send data there at once (RFC 8445 §12.1),
      // so the demux passes it up and the transport holds early DTLS until
      // our own check makes the pair valid.
      const bool answered = t->bytes.size() >= 2 && t->bytes[0] == 0x01 && t->bytes[1] == 0x01;
      port_.demux().add_tuple(t->local, t->remote, id_, answered);
      port_.send_to(t->local, t->bytes, t->remote);
    } else if (auto* c = std::get_if<out::LocalCandidate>(&*o)) {
      to_sink(signaling::event::Candidate{{ice::format_candidate(c->candidate), mid_, 0}});
    } else if (std::holds_alternative<out::GatheringComplete>(*o)) {
      to_sink(signaling::event::EndOfCandidates{});
    } else if (auto* s = std::get_if<out::IceStateChanged>(&*o)) {
      if (s->state == ice::IceState::Connected && !timings_.ice_connected)
        timings_.ice_connected = now;
    } else if (auto* p = std::get_if<out::SelectedPair>(&*o)) {
      // ICE proved this path: DTLS and SRTP may now arrive on it.
      port_.demux().add_tuple(p->local.base, p->remote.address, id_, true);
      // A restart is complete once a pair of the new generation is
      // selected; the old ufrag no longer routes here.
      if (old_ufrag_) {
        port_.demux().remove_ufrag(*old_ufrag_);
        old_ufrag_.reset();
      }
    } else if (auto* r = std::get_if<out::DataRoute>(&*o)) {
      port_.demux().add_tuple(r->local, r->remote, id_, true);
    } else if (auto* d = std::get_if<out::DtlsConnected>(&*o)) {
      timings_.dtls_connected = now;
      const auto key = sink_ ? sink_->key() : signaling::CallKey{};
      std::printf("floe gateway: %s %s/%s: ICE selected +%lld ms, DTLS connected +%lld ms "
                  "(handshake %lld ms, %s)\n",
                  options_.stream_name.c_str(), key.session_id.c_str(), key.call_id.c_str(),
                  timings_.ice_connected ? ms_between(timings_.started, *timings_.ice_connected) : -1,
                  ms_between(timings_.started, now),
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::milliseconds>(d->handshake_time).count()),
                  std::string(dtls::to_string(d->profile)).c_str());
      std::fflush(stdout);
      setup_deadline_ = kNever;
      if (options_.stats_interval > Duration::zero()) next_stats_ = now + options_.stats_interval;
      if (cb_.connected) cb_.connected(now);
    } else if (auto* co = std::get_if<out::ChannelOpen>(&*o)) {
      if (cb_.channel_open) cb_.channel_open(now, co->id, co->label, co->protocol);
    } else if (auto* m = std::get_if<out::ChannelMessage>(&*o)) {
      if (cb_.message) cb_.message(now, m->id, m->binary, m->data);
    } else if (auto* f = std::get_if<out::Failed>(&*o)) {
      fail("failed", f->reason);
      return;
    }
    if (ended_) return;
  }
  arm_timer();
}

void BrowserLeg::arm_timer() {
  if (ended_ || !transport_) return;
  Instant next = std::min({transport_->next_timeout(), setup_deadline_, owner_wake_, next_stats_});
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

void BrowserLeg::on_timer() {
  if (ended_ || !transport_) return;
  const Instant now = Clock::now();
  if (transport_->media_ready()) setup_deadline_ = kNever;
  if (now >= setup_deadline_) {
    fail("timeout", "ICE and DTLS did not complete within the setup time");
    return;
  }
  if (transport_->next_timeout() <= now) {
    transport_->handle_timeout(now);
    deliver_early(now);
    if (ended_) return;
  }
  if (owner_wake_ <= now) {
    owner_wake_ = kNever;
    if (cb_.wakeup) cb_.wakeup(now);
    if (ended_) return;
  }
  if (next_stats_ <= now) {
    send_stats(now);
    next_stats_ = now + options_.stats_interval;
  }
  pump(now);
}

void BrowserLeg::send_stats(Instant) {
  if (!transport_ || !transport_->media_ready()) return;
  const auto t = totals();
  std::map<std::string, double> v;
  v["packetsReceived"] = static_cast<double>(t.rtp_in);
  v["bytesReceived"] = static_cast<double>(t.rtp_bytes_in);
  v["packetsLost"] = static_cast<double>(rx_.lost());
  v["jitterMs"] = rx_.jitter_ms();
  v["packetsSent"] = static_cast<double>(t.rtp_out);
  v["bytesSent"] = static_cast<double>(t.rtp_bytes_out);
  if (auto rtt = rx_.rtt_ms()) v["rttMs"] = *rtt;
  if (auto f = rx_.remote_fraction_lost()) v["remoteFractionLost"] = *f;
  if (auto j = rx_.remote_jitter_ms()) v["remoteJitterMs"] = *j;
  v["srtpDrops"] = static_cast<double>(t.srtp_auth_or_replay);
  v["dropsBeforeKeys"] = static_cast<double>(t.before_keys);
  v["dropsUnvalidated"] = static_cast<double>(t.unvalidated);
  v["iceRestarts"] = static_cast<double>(t.ice_restarts);
  to_sink(signaling::event::Stats{std::move(v)});
}

void BrowserLeg::fail(const std::string& reason, const std::string& message) {
  if (ended_) return;
  ended_ = true;
  timer_.cancel();
  // The owner may destroy us in `ended`; not from inside our own callbacks.
  auto alive = std::weak_ptr<int>(alive_);
  boost::asio::post(io_, [alive, cb = cb_.ended, reason, message] {
    if (!alive.expired() && cb) cb(reason, message);
  });
}

}  // namespace floe::webrtc
