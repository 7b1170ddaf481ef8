#pragma once
// The built-in `echo` target: one BrowserLeg whose audio is looped back as
// a stream of our own (RtpEchoStream) and whose data-channel messages come
// back on the channel they arrived on. It exercises ICE, DTLS, SRTP and SCTP
// with no SIP involved.
//
// Runs on the io_context thread of its MediaPort; no locks.
#include <boost/asio/io_context.hpp>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gateway/webrtc/browser_leg.hpp"
#include "gateway/webrtc/rtp_echo.hpp"

namespace floe::webrtc {

using EchoTimings = LegTimings;

class EchoCall final {
 public:
  // Called (posted, never from inside the call's own callbacks) once the call
  // ended by itself; the owner then destroys it.
  using Done = std::function<void(const signaling::CallKey&, const EchoCall*)>;

  EchoCall(boost::asio::io_context& io, MediaPort& port, BrowserLegOptions options,
           std::shared_ptr<signaling::CallSink> sink, Done done);

  // Negotiates the answer, sends it and Floe's candidates through the sink.
  // false: the sink was already told why (failed or ended).
  bool start(const sdp::SessionDescription& offer);
  // A new offer inside the call (ICE restart); false: *why.
  bool renegotiate(const sdp::SessionDescription& offer, std::string* why = nullptr) {
    return leg_.renegotiate(offer, why);
  }
  void add_remote_candidate(const std::string& candidate) { leg_.add_remote_candidate(candidate); }
  void end_of_remote_candidates() { leg_.end_of_remote_candidates(); }
  void hangup() { leg_.hangup(); }

  const EchoTimings& timings() const { return leg_.timings(); }
  const WebRtcTransport* transport() const { return leg_.transport(); }
  const BrowserLeg& leg() const { return leg_; }
  const RtpEchoStream* audio() const { return audio_ ? &*audio_ : nullptr; }

 private:
  static BrowserLegOptions named(BrowserLegOptions o) {
    o.stream_name = "floe-echo";
    return o;
  }
  void on_media(Instant now, MediaKind kind, std::span<std::uint8_t> buffer, std::size_t length);
  void on_wakeup(Instant now);

  std::shared_ptr<signaling::CallSink> sink_;
  Done done_;
  BrowserLeg leg_;
  std::optional<RtpEchoStream> audio_;
  std::array<std::uint8_t, 512> report_buf_{};
};

// The echo target's codec and feature set: the browser's first audio codec,
// no congestion-control feedback (nobody would act on it), data channels.
sdp::Capabilities echo_capabilities();

}  // namespace floe::webrtc
