// BridgeCall's media path: both directions of RTP, RTCP terminated per leg,
// RFC 4733 events we originate, and the call's timer (reports, DTMF pacing,
// media timeout, ring timeout). Nothing here allocates per packet.
#include <cstring>

#include "gateway/bridge/bridge_call.hpp"
#include "gateway/media/rtp.hpp"

namespace floe::bridge {

void BridgeCall::on_browser_media(Instant now, webrtc::MediaKind kind, std::span<std::uint8_t> buffer,
                                  std::size_t length) {
  // The browser's RTCP reports on the stream Floe sends it; RTCP is
  // terminated per leg, so nothing is relayed to SIP.
  if (kind == webrtc::MediaKind::Rtcp || ended_) return;
  if (!timings_.first_rtp_from_browser) timings_.first_rtp_from_browser = now;
  auto pkt = media::RtpPacket::parse(buffer.first(length));
  if (!pkt) {
    ++counters_.drop_not_rtp;
    return;
  }
  rx_browser_.on_rtp(now, pkt->ssrc(), pkt->sequence(), pkt->timestamp());
  if (!to_sip_) {
    ++counters_.drop_not_ready;
    return;
  }
  if (!send_to_sip_) {
    ++counters_.drop_held;  // RFC 3264 §8.4: the SIP side holds; send nothing
    return;
  }
  // RFC 4733 §2.5.1.3: while we play an event, it replaces the audio.
  if (dtmf_to_sip_.active()) return;
  auto dest = rtp_filter_.destination();
  if (!dest) {
    ++counters_.drop_not_ready;
    return;
  }
  if (!to_sip_->rewrite(now, *pkt)) {
    ++counters_.drop_payload_type;
    return;
  }
  if (rtp_.send_rtp(ByteView(buffer.data(), length), *dest)) {
    ++counters_.to_sip_packets;
    counters_.to_sip_bytes += length;
  }
}

void BridgeCall::on_datagram(media::io::Component component, const SocketAddress& from,
                             std::span<std::uint8_t> buffer, std::size_t length) {
  if (ended_) return;
  const Instant now = Clock::now();
  if (component == media::io::Component::Rtcp) on_sip_rtcp(now, from, ByteView(buffer.data(), length));
  else on_sip_rtp(now, from, buffer, length);
}

void BridgeCall::on_sip_rtp(Instant now, const SocketAddress& from, std::span<std::uint8_t> buffer,
                            std::size_t length) {
  auto pkt = media::RtpPacket::parse(buffer.first(length));
  if (!pkt) {
    ++counters_.drop_not_rtp;
    return;
  }
  // DESIGN.md "RTP bleed": only the signalled (or, with symmetric RTP, the
  // first learned) source gets through.
  if (!rtp_filter_.accept(now, from)) {
    ++counters_.drop_source;
    return;
  }
  ++counters_.from_sip_packets;
  counters_.from_sip_bytes += length;
  last_sip_rtp_ = now;
  if (!timings_.first_rtp_from_sip) timings_.first_rtp_from_sip = now;
  // RFC 4733 packets repeat their event's start timestamp: counted for
  // loss, kept out of the A.8 jitter estimate.
  const bool event = map_ && map_->sip_event_pt && pkt->payload_type() == *map_->sip_event_pt;
  rx_sip_.on_rtp(now, pkt->ssrc(), pkt->sequence(), pkt->timestamp(), /*timing=*/!event);
  if (event && dtmf_receiver_.on_packet(pkt->ssrc(), pkt->timestamp(), pkt->payload()))
    ++counters_.dtmf_from_sip;
  if (!leg_ || !to_browser_ || !leg_->media_ready()) {
    ++counters_.drop_not_ready;
    return;
  }
  if (dtmf_to_browser_.active()) return;
  if (!to_browser_->rewrite(now, *pkt)) {
    ++counters_.drop_payload_type;
    return;
  }
  // RtpSocket's buffer has room for the SRTP tag after the packet.
  if (leg_->send_rtp(buffer, length)) {
    ++counters_.to_browser_packets;
    counters_.to_browser_bytes += length;
  } else {
    ++counters_.drop_not_ready;
  }
}

void BridgeCall::on_sip_rtcp(Instant now, const SocketAddress& from, ByteView packet) {
  if (!rtcp_filter_.accept(now, from)) {
    ++counters_.drop_source;
    return;
  }
  ++counters_.sip_rtcp_in;
  auto s = media::summarize_rtcp(packet, to_sip_ ? to_sip_->ssrc() : 0, rtcp_counters_);
  if (s && s->sender_ssrc && s->sender_info)
    rx_sip_.on_sender_report(now, *s->sender_ssrc, s->sender_info->ntp_timestamp);
}

// RFC 3550 §6.4: each leg gets an SR (we sent it RTP) or RR with a block
// about the stream it sends us, and our CNAME.
void BridgeCall::send_reports(Instant now) {
  auto report = [&](media::OutboundStream& out, media::ReceiveStats& rx, std::span<std::uint8_t> buf) {
    media::RtcpReportParams p;
    p.ssrc = out.ssrc();
    if (out.has_sent())
      p.sender = media::SenderInfo{ntp_.ntp(now), out.timestamp_at(now), out.packet_count(), out.octet_count()};
    media::ReportBlock block;
    if (rx.has_source()) {
      block = rx.make_report_block(now);
      p.blocks = std::span<const media::ReportBlock>(&block, 1);
    }
    p.cname = cname_;
    return media::write_rtcp_report(buf, p);
  };
  if (to_sip_ && sip_media_) {
    auto dest = rtcp_filter_.destination();
    if (dest && send_to_sip_) {
      const std::size_t n = report(*to_sip_, rx_sip_, scratch_);
      if (n && rtp_.send_rtcp(ByteView(scratch_.data(), n), *dest)) ++counters_.sip_rtcp_out;
    }
    counters_.jitter_sip = rx_sip_.jitter();
    counters_.lost_sip = static_cast<std::uint64_t>(std::max<std::int64_t>(0, rx_sip_.lost()));
  }
  if (to_browser_ && leg_ && leg_->media_ready()) {
    auto room = std::span(scratch_).first(scratch_.size() - webrtc::BrowserLeg::kMaxOverhead);
    const std::size_t n = report(*to_browser_, rx_browser_, room);
    if (n && leg_->send_rtcp(scratch_, n)) ++counters_.browser_rtcp_out;
  }
}

bool BridgeCall::send_event(const media::DtmfPacket& p, bool to_sip) {
  auto& stream = to_sip ? *to_sip_ : *to_browser_;
  const std::uint8_t pt = to_sip ? *map_->sip_event_pt : *map_->browser_event_pt;
  std::uint32_t& event_ts = to_sip ? dtmf_event_ts_ : dtmf_browser_ts_;
  // RFC 4733 §2.5.1.2: every packet of one event carries its start time.
  if (p.marker) event_ts = stream.timestamp_at(p.event_start);
  auto pkt = std::span(scratch_).first(media::kRtpFixedHeader + media::kTelephoneEventSize);
  if (!stream.stamp_local(pkt, pt, p.marker, event_ts + p.timestamp_offset)) return false;
  std::memcpy(pkt.data() + media::kRtpFixedHeader, p.payload.data(), p.payload.size());
  if (to_sip) {
    auto dest = rtp_filter_.destination();
    return dest && rtp_.send_rtp(ByteView(pkt.data(), pkt.size()), *dest);
  }
  return leg_ && leg_->send_rtp(scratch_, pkt.size());
}

void BridgeCall::send_dtmf_packets(Instant now) {
  if (map_ && map_->sip_event_pt && to_sip_)
    while (auto p = dtmf_to_sip_.poll(now)) send_event(*p, true);
  if (map_ && map_->browser_event_pt && to_browser_)
    while (auto p = dtmf_to_browser_.poll(now)) send_event(*p, false);
}

void BridgeCall::arm_timer() {
  if (ended_) return;
  Instant next = std::min({next_report_, ring_deadline_, dtmf_to_sip_.next_timeout(),
                           dtmf_to_browser_.next_timeout()});
  if (answered_ && sip_sends_) next = std::min(next, last_sip_rtp_ + cfg_.media_timeout);
  if (next == armed_) return;
  armed_ = next;
  if (next == kNever) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(next);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    armed_ = kNever;
    on_timer();
  });
}

void BridgeCall::on_timer() {
  if (ended_) return;
  const Instant now = Clock::now();
  if (ring_deadline_ <= now && !answered_) {
    if (sip_call_) sip_call_->reject(now, 480, "Temporarily Unavailable");
    kick_sip();
    end("timeout", "the browser did not answer in time");
    return;
  }
  if (answered_ && sip_sends_ && now - last_sip_rtp_ >= cfg_.media_timeout) {
    end("media-timeout", "no RTP from the SIP side for " +
                             std::to_string(std::chrono::duration_cast<seconds>(cfg_.media_timeout).count()) +
                             " s");
    return;
  }
  send_dtmf_packets(now);
  if (next_report_ <= now) {
    send_reports(now);
    next_report_ = now + cfg_.report_interval;
  }
  arm_timer();
}

}  // namespace floe::bridge
