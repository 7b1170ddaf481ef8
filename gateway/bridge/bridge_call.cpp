// BridgeCall: setup, SIP events, browser requests, the end. The per-packet
// path, RTCP, DTMF and timers are in bridge_media.cpp.
#include "gateway/bridge/bridge_call.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>

#include "base/random.hpp"
#include "signaling/sdp/text.hpp"

namespace floe::bridge {

BridgeCounters& BridgeCounters::operator+=(const BridgeCounters& o) {
  to_sip_packets += o.to_sip_packets;
  to_sip_bytes += o.to_sip_bytes;
  to_browser_packets += o.to_browser_packets;
  to_browser_bytes += o.to_browser_bytes;
  from_sip_packets += o.from_sip_packets;
  from_sip_bytes += o.from_sip_bytes;
  sip_rtcp_in += o.sip_rtcp_in;
  sip_rtcp_out += o.sip_rtcp_out;
  browser_rtcp_out += o.browser_rtcp_out;
  drop_source += o.drop_source;
  drop_not_rtp += o.drop_not_rtp;
  drop_payload_type += o.drop_payload_type;
  drop_held += o.drop_held;
  drop_not_ready += o.drop_not_ready;
  dtmf_to_sip += o.dtmf_to_sip;
  dtmf_from_sip += o.dtmf_from_sip;
  messages_to_sip += o.messages_to_sip;
  messages_from_sip += o.messages_from_sip;
  lost_sip += o.lost_sip;
  jitter_sip = std::max(jitter_sip, o.jitter_sip);
  return *this;
}

BridgeCall::BridgeCall(boost::asio::io_context& io, webrtc::MediaPort& port, SipService& sip,
                       BridgeCallConfig config, Done done)
    : io_(io), port_(port), sip_(sip), cfg_(std::move(config)), done_(std::move(done)),
      rtp_(io, *this),
      rtp_filter_(cfg_.symmetric_rtp ? media::SourceMode::Learn : media::SourceMode::Strict),
      rtcp_filter_(cfg_.symmetric_rtp ? media::SourceMode::Learn : media::SourceMode::Strict),
      timer_(io) {
  const Instant now = Clock::now();
  timings_.created = now;
  ntp_ = media::NtpClock::from_system(now);
  cname_ = "floe-" + std::to_string(random_u64() % 1000000000);
}

BridgeCall::~BridgeCall() {
  timer_.cancel();
  if (sip_call_) sip_.release(*sip_call_);
  leg_.reset();
  rtp_.close();
}

bool BridgeCall::open_rtp(std::string* why) {
  auto ec = rtp_.open(sip_.ports(), sip_.media_bind_address(), false);
  if (ec) {
    *why = "no RTP port pair could be bound on the SIP side: " + ec.message();
    return false;
  }
  return true;
}

SipLocalMedia BridgeCall::local_media(std::vector<sdp::Codec> codecs) const {
  SipLocalMedia m;
  m.rtp = SocketAddress(sip_.media_address(), rtp_.rtp_address().port());
  m.rtcp_mux = false;
  m.codecs = std::move(codecs);
  m.session_id = random_u64() >> 12;
  return m;
}

// ---- outgoing ----------------------------------------------------------------

bool BridgeCall::start_outgoing(std::shared_ptr<signaling::CallSink> sink, const SipDestination& to,
                                const sdp::SessionDescription& offer, const std::string& caller) {
  sink_ = std::move(sink);
  key_ = sink_->key();
  outgoing_ = true;
  trunk_ = to.trunk;
  static const std::vector<std::string> kAll = {"PCMU", "PCMA", "G722", "telephone-event"};
  offered_ = sip_offer_codecs(offer, trunk_ ? trunk_->codecs : kAll);
  if (offered_.empty() || is_telephone_event(offered_.front())) {
    sink_->fail(signaling::ErrorCode::UnsupportedSdp,
                "no audio codec of the offer is allowed on trunk " +
                    (trunk_ ? trunk_->name : std::string("(direct)")) + " (PCMU, PCMA, G722, opus)");
    ended_ = true;
    return false;
  }
  std::string why;
  if (!open_rtp(&why)) {
    sink_->ended("failed", why);
    ended_ = true;
    return false;
  }
  browser_offer_ = offer;
  sip_call_ = &sip_.create_call(trunk_, this);
  const Instant now = Clock::now();
  if (!sip_call_->invite(now, to.request_uri, to.from, caller, local_media(offered_))) {
    sip_.kick();  // delivers the Ended event -> end()
    return !ended_;
  }
  sip_.kick();
  return !ended_;
}

bool BridgeCall::answer_browser(Instant now, const SipRemoteMedia& sip_answer) {
  auto map = map_sip_answer(sip_answer, offered_);
  if (!map) {
    end("failed", "the SIP side answered with no codec Floe offered");
    return false;
  }
  leg_ = std::make_unique<webrtc::BrowserLeg>(io_, port_, cfg_.leg, sink_, leg_callbacks());
  if (!leg_->answer(*browser_offer_, browser_capabilities_for(map->codec, true))) {
    // The leg told the browser (fail); the SIP side goes too.
    sink_.reset();
    end("failed", "the browser offer could not be answered with " + map->codec.name);
    return false;
  }
  if (const auto* audio = leg_->audio()) set_browser_payload_types(*map, audio->codecs);
  browser_offer_.reset();
  for (const auto& c : early_candidates_) leg_->add_remote_candidate(c);
  early_candidates_.clear();
  if (early_end_of_candidates_) leg_->end_of_remote_candidates();
  timings_.sip_sdp = now;
  set_up_streams(now, *map);
  // Later offers and answers on the SIP side carry only the agreed codec,
  // with the numbers of our offer (RFC 3264 §8.3.2 keeps them stable).
  SipLocalMedia narrowed = sip_call_->local_media();
  narrowed.codecs = {map->codec};
  narrowed.codecs.front().payload_type = map->browser_pt;
  if (map->sip_event_pt && map->browser_event_pt)
    narrowed.codecs.push_back(sdp::Codec{*map->browser_event_pt, "telephone-event", 8000, 0, "0-16", {}, true});
  sip_call_->set_local_media(narrowed);
  return true;
}

// ---- incoming ----------------------------------------------------------------

std::optional<std::string> BridgeCall::start_incoming(IncomingInvite& in) {
  outgoing_ = false;
  trunk_ = in.trunk;
  sip_call_ = in.call;
  sip_.attach(*sip_call_, this);
  std::string why;
  if (!open_rtp(&why)) {
    sip_call_->reject(Clock::now(), 503, "No Media Port");
    ended_ = true;
    return std::nullopt;
  }
  const auto& offer = sip_call_->remote_offer();
  auto caps = browser_offer_capabilities(offer ? &*offer : nullptr, trunk_->codecs, true);
  if (caps.audio.empty() || std::all_of(caps.audio.begin(), caps.audio.end(), [](const auto& c) {
        return sdp::iequals(c.name, "telephone-event");
      })) {
    // Issue 5: an offer with no codec in common is refused with 488.
    sip_call_->reject(Clock::now(), 488, "Not Acceptable Here");
    ended_ = true;
    return std::nullopt;
  }
  leg_ = std::make_unique<webrtc::BrowserLeg>(io_, port_, cfg_.leg, nullptr, leg_callbacks());
  auto text = leg_->start_offer(caps, {.audio = true, .video = false, .data_channel = true});
  if (!text) {
    sip_call_->reject(Clock::now(), 488, "Not Acceptable Here");
    ended_ = true;
    return std::nullopt;
  }
  ring_deadline_ = Clock::now() + cfg_.ring_timeout;
  arm_timer();
  return text;
}

void BridgeCall::rung(std::shared_ptr<signaling::CallSink> sink) {
  if (ended_) {
    if (sink) sink->ended("hangup", "the caller hung up");
    return;
  }
  if (!sink) {
    sip_call_->reject(Clock::now(), 480, "Temporarily Unavailable");
    kick_sip();
    end("unavailable", "nobody is registered under that name");
    return;
  }
  sink_ = std::move(sink);
  key_ = sink_->key();
  leg_->set_sink(sink_);
  sip_call_->ringing(Clock::now());
  kick_sip();
}

void BridgeCall::accept(const sdp::SessionDescription& answer) {
  if (ended_ || !leg_ || answered_) return;
  const Instant now = Clock::now();
  std::string why;
  if (!leg_->apply_answer(answer, &why)) {
    sip_call_->reject(now, 488, "Not Acceptable Here");
    kick_sip();
    end("failed", "the browser's answer does not fit Floe's offer: " + why);
    return;
  }
  const auto& offer = sip_call_->remote_offer();
  auto map = leg_->audio() ? map_browser_answer(leg_->audio()->codecs, offer ? &*offer : nullptr) : std::nullopt;
  if (!map) {
    sip_call_->reject(now, 488, "Not Acceptable Here");
    kick_sip();
    end("failed", "the browser chose no codec the SIP side offered");
    return;
  }
  std::vector<sdp::Codec> codecs = {map->codec};
  codecs.front().payload_type = map->sip_pt;
  if (map->sip_event_pt) codecs.push_back(sdp::Codec{*map->sip_event_pt, "telephone-event", 8000, 0, "0-16", {}, true});
  if (!offer) {
    // INVITE without SDP: our 200 is the offer; the ACK brings the answer.
    codecs = {map->codec};
    if (map->sip_event_pt) codecs.push_back(sdp::Codec{*map->sip_event_pt, "telephone-event", 8000, 0, "0-16", {}, true});
  }
  SipLocalMedia local = local_media(codecs);
  ring_deadline_ = kNever;
  sip_call_->accept(now, local);
  set_up_streams(now, *map);
  if (offer) apply_sip_media(now, *offer);
  answered_ = true;
  timings_.answered = now;
  last_sip_rtp_ = now;
  sink_->answered();
  kick_sip();
  arm_timer();
}

void BridgeCall::reject(const std::string& reason) {
  if (ended_ || answered_ || !sip_call_) return;
  // docs/protocol.md: "busy" means busy here; anything else is a decline.
  sip_call_->reject(Clock::now(), reason == "busy" ? 486 : 603, reason == "busy" ? "Busy Here" : "Decline");
  kick_sip();
  end("rejected", reason);
}

// ---- common ------------------------------------------------------------------

void BridgeCall::set_up_streams(Instant now, const CodecMapping& map) {
  map_ = map;
  const std::uint32_t rate = map.codec.clock_rate;
  to_sip_.emplace(now, static_cast<std::uint32_t>(random_u64()) | 1u, rate,
                  static_cast<std::uint16_t>(random_u64()), static_cast<std::uint32_t>(random_u64()));
  to_sip_->map_payload_type(map.browser_pt, map.sip_pt);
  const std::uint32_t browser_ssrc = leg_ && leg_->audio() ? leg_->audio()->local_ssrc
                                                           : static_cast<std::uint32_t>(random_u64());
  to_browser_.emplace(now, browser_ssrc, rate, static_cast<std::uint16_t>(random_u64()),
                      static_cast<std::uint32_t>(random_u64()));
  to_browser_->map_payload_type(map.sip_pt, map.browser_pt);
  if (map.sip_event_pt && map.browser_event_pt) {
    to_sip_->map_payload_type(*map.browser_event_pt, *map.sip_event_pt);
    to_browser_->map_payload_type(*map.sip_event_pt, *map.browser_event_pt);
  }
  if (outgoing_) {
    // RFC 3264 §6.1: a SIP answerer may send with our offer's numbers
    // rather than the ones in its answer; accept both.
    if (map.browser_pt != map.sip_pt) to_browser_->map_payload_type(map.browser_pt, map.browser_pt);
    if (map.browser_event_pt && map.sip_event_pt && *map.browser_event_pt != *map.sip_event_pt)
      to_browser_->map_payload_type(*map.browser_event_pt, *map.browser_event_pt);
  }
  rx_sip_ = media::ReceiveStats(rate);
  rx_browser_ = media::ReceiveStats(rate);
  dtmf_to_sip_ = media::DtmfSender({.clock_rate = rate});
  dtmf_to_browser_ = media::DtmfSender({.clock_rate = rate});
  // RFC 3550 §6.2: the first report after half the interval.
  next_report_ = now + cfg_.report_interval / 2;
}

void BridgeCall::apply_sip_media(Instant now, const SipRemoteMedia& m) {
  sip_media_ = m;
  send_to_sip_ = m.peer_receives();
  sip_sends_ = m.peer_sends();
  if (m.rtp) rtp_filter_.set_signalled(now, *m.rtp);
  if (m.rtcp) rtcp_filter_.set_signalled(now, *m.rtcp);
  if (sip_sends_) last_sip_rtp_ = now;  // the media timeout runs from here
}

webrtc::BrowserLeg::Callbacks BridgeCall::leg_callbacks() {
  webrtc::BrowserLeg::Callbacks cb;
  cb.media = [this](Instant now, webrtc::MediaKind kind, std::span<std::uint8_t> buffer,
                    std::size_t length) { on_browser_media(now, kind, buffer, length); };
  cb.ended = [this](const std::string& reason, const std::string& message) { end(reason, message); };
  cb.message = [this](Instant now, std::uint16_t channel, bool binary, ByteView data) {
    channel_ = channel;
    if (binary || !sip_call_) return;
    // RFC 3428 MESSAGE inside the dialog carries the data-channel text.
    if (sip_call_->send_message(now, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()))) {
      ++counters_.messages_to_sip;
      kick_sip();
    }
  };
  cb.channel_open = [this](Instant, std::uint16_t channel, const std::string&, const std::string&) {
    channel_ = channel;
  };
  return cb;
}

void BridgeCall::on_sip_event(SipCallEvent& e) {
  if (ended_) return;
  const Instant now = Clock::now();
  using K = SipCallEvent::Kind;
  switch (e.kind) {
    case K::Ringing:
    case K::Progress:
      if (!outgoing_) break;
      if (e.media && !leg_) {
        if (!answer_browser(now, *e.media)) return;
        apply_sip_media(now, *e.media);
      }
      if (e.kind == K::Ringing && !e.media) sink_->ringing();
      else sink_->progress();
      break;
    case K::Answered:
      if (outgoing_) {
        if (!leg_ && e.media) {
          if (!answer_browser(now, *e.media)) return;
        }
        if (e.media) apply_sip_media(now, *e.media);
        answered_ = true;
        timings_.answered = now;
        last_sip_rtp_ = now;
        sink_->answered();
      } else if (e.media) {
        apply_sip_media(now, *e.media);  // the ACK's answer, or the offer again
      }
      arm_timer();
      break;
    case K::RemoteMedia:
      if (e.media) apply_sip_media(now, *e.media);
      break;
    case K::Dtmf:
      ++counters_.dtmf_from_sip;
      // SIP INFO DTMF reaches the browser as RFC 4733 events in its stream.
      if (map_ && map_->browser_event_pt) dtmf_to_browser_.queue(std::string(1, e.digit), milliseconds(e.duration_ms));
      arm_timer();
      break;
    case K::Message:
      ++counters_.messages_from_sip;
      if (leg_ && channel_)
        leg_->send_message(*channel_, ByteView(reinterpret_cast<const std::uint8_t*>(e.message.data()),
                                               e.message.size()),
                           false);
      break;
    case K::Ended: {
      std::string reason = e.reason == "cancelled" ? "hangup" : e.reason;
      end(reason, e.message);
      break;
    }
  }
}

bool BridgeCall::renegotiate(const sdp::SessionDescription& offer, std::string* why) {
  if (!leg_) {
    if (why) *why = "the call has no browser media session yet";
    return false;
  }
  if (!leg_->renegotiate(offer, why)) return false;
  for (const auto& m : offer.media) {
    if (m.media != "audio") continue;
    if (sip_call_) {
      sip_call_->set_local_direction(Clock::now(), m.effective_direction());
      kick_sip();
    }
    break;
  }
  return true;
}

void BridgeCall::add_remote_candidate(const std::string& candidate) {
  if (ended_) return;
  if (leg_ && (leg_->audio() || !outgoing_)) {
    leg_->add_remote_candidate(candidate);
  } else if (early_candidates_.size() < 64) {
    // The browser's answer waits for the SIP side's SDP; so does its trickle.
    early_candidates_.push_back(candidate);
  }
}

void BridgeCall::end_of_remote_candidates() {
  if (ended_) return;
  if (leg_ && (leg_->audio() || !outgoing_)) leg_->end_of_remote_candidates();
  else early_end_of_candidates_ = true;
}

void BridgeCall::dtmf(const std::string& digits, std::uint32_t duration_ms) {
  if (ended_ || !sip_call_ || !answered_) return;
  const Instant now = Clock::now();
  if (trunk_ && trunk_->dtmf == DtmfMode::Info) {
    for (char d : digits)
      if (sip_call_->send_info_dtmf(now, d, duration_ms)) ++counters_.dtmf_to_sip;
    kick_sip();
    return;
  }
  if (!map_ || !map_->sip_event_pt) return;  // the trunk did not take telephone-event
  if (dtmf_to_sip_.queue(digits, milliseconds(duration_ms))) counters_.dtmf_to_sip += digits.size();
  send_dtmf_packets(now);
  arm_timer();
}

void BridgeCall::hangup(const std::string& reason) {
  if (ended_) return;
  // The browser is gone: no `ended` back to it.
  sink_.reset();
  end("hangup", reason);
}

void BridgeCall::kick_sip() { sip_.kick(); }

void BridgeCall::end(const std::string& reason, const std::string& message) {
  if (ended_) return;
  ended_ = true;
  const Instant now = Clock::now();
  timer_.cancel();
  if (leg_) leg_->hangup();
  if (sip_call_ && !sip_call_->ended()) {
    sip_call_->hangup(now);
    kick_sip();
  }
  if (sink_) sink_->ended(reason, message);
  std::printf("floe gateway: bridge call %s ended: %s%s%s\n",
              key_ ? (key_->session_id + "/" + key_->call_id).c_str() : "(unrung)", reason.c_str(),
              message.empty() ? "" : ": ", message.c_str());
  std::fflush(stdout);
  boost::asio::post(io_, [done = done_, self = this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) done(self);
  });
}

}  // namespace floe::bridge
