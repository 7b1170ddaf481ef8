#include "gateway/webrtc/echo_call.hpp"

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
    : sink_(sink), done_(std::move(done)),
      leg_(io, port, named(std::move(options)), sink,
           BrowserLeg::Callbacks{
               .connected = [this](Instant now) { on_wakeup(now); },
               .ended =
                   [this](const std::string& reason, const std::string& message) {
                     sink_->ended(reason, message);
                     // done_ destroys us: call a copy.
                     auto done = done_;
                     const auto key = sink_->key();
                     done(key, this);
                   },
               .media = [this](Instant now, MediaKind kind, std::span<std::uint8_t> buffer,
                               std::size_t length) { on_media(now, kind, buffer, length); },
               .message =
                   [this](Instant, std::uint16_t channel, bool binary, ByteView data) {
                     leg_.send_message(channel, data, binary);
                   },
               .channel_open = {},
               .wakeup = [this](Instant now) { on_wakeup(now); },
               .remote_ssrc = {},
           }) {}

bool EchoCall::start(const sdp::SessionDescription& offer) {
  if (!leg_.answer(offer, echo_capabilities())) return false;
  if (const auto* a = leg_.audio()) {
    audio_.emplace(a->local_ssrc, a->codecs.empty() ? 48000 : a->codecs.front().clock_rate,
                   "floe-echo");
    for (const auto& c : a->codecs) audio_->allow_payload_type(c.payload_type);
  }
  // Echo "picks up" at once; the browser hears itself once media flows.
  sink_->answered();
  return !leg_.ended();
}

void EchoCall::on_media(Instant now, MediaKind kind, std::span<std::uint8_t> buffer,
                        std::size_t length) {
  if (!audio_) return;
  if (kind == MediaKind::Rtcp) {
    audio_->on_rtcp(now, buffer.first(length));
    return;
  }
  // Rewrite and send back in place: buffer has the SRTP tag's room.
  if (audio_->rewrite(now, buffer.first(length))) leg_.send_rtp(buffer, length);
}

void EchoCall::on_wakeup(Instant now) {
  if (!audio_ || !leg_.media_ready()) return;
  if (audio_->next_report() <= now) {
    const auto len = audio_->build_report(
        now, std::span(report_buf_).first(report_buf_.size() - BrowserLeg::kMaxOverhead));
    if (len) leg_.send_rtcp(report_buf_, len);
  }
  // Before the first echoed packet there is no report time yet; look again
  // in a second.
  const Instant next = audio_->next_report();
  leg_.wake_at(next > now ? next : now + seconds(1));
}

}  // namespace floe::webrtc
