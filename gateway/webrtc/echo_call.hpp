#pragma once
// The built-in `echo` target: one browser leg (WebRtcTransport on the shared
// MediaPort) whose audio is looped back as a stream of our own (RtpEchoStream)
// and whose data-channel messages come back on the channel they arrived on.
// It exercises ICE, DTLS, SRTP and SCTP with no SIP involved.
//
// Runs on the io_context thread of its MediaPort; no locks.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gateway/webrtc/media_port.hpp"
#include "gateway/webrtc/rtp_echo.hpp"
#include "gateway/webrtc/transport.hpp"
#include "signaling/sdp/offer_answer.hpp"
#include "signaling/session/call_handler.hpp"

namespace floe::webrtc {

struct BrowserLegOptions {
  std::shared_ptr<dtls::DtlsContext> dtls_context;
  // Advertised in host candidates instead of the socket address (a server
  // behind a static NAT or in a container), RFC 8445 §5.1.1.1 host
  // candidates with a NAT 1:1 mapping.
  std::optional<IpAddress> advertised_address;
  // No media (and no DTLS) this long after the answer ends the call.
  Duration setup_timeout = seconds(30);
  // RFC 8445 §14.2 Ta: the pacing of new checks, triggered ones included.
  // A browser leg has one component and a handful of pairs, so the traffic
  // stays tiny; the default 50 ms made a triggered check wait up to 50 ms
  // and delayed DTLS by that much in most Chromium calls.
  Duration ice_pacing = milliseconds(20);
};

struct EchoTimings {
  Instant answered{};
  std::optional<Instant> ice_connected, dtls_connected, first_rtp;
};

class EchoCall final : public MediaEndpoint {
 public:
  // Called (posted, never from inside the call's own callbacks) once the call
  // ended by itself; the owner then destroys it.
  using Done = std::function<void(const signaling::CallKey&, const EchoCall*)>;

  EchoCall(boost::asio::io_context& io, MediaPort& port, BrowserLegOptions options,
           std::shared_ptr<signaling::CallSink> sink, Done done);
  ~EchoCall() override;

  // Negotiates the answer, sends it and Floe's candidates through the sink.
  // false: the sink was already told why (failed or ended).
  bool start(const sdp::SessionDescription& offer);
  void add_remote_candidate(const std::string& candidate);
  void end_of_remote_candidates();
  void hangup();

  void on_datagram(const SocketAddress& local, const SocketAddress& remote,
                   std::span<std::uint8_t> buffer, std::size_t length) override;

  const EchoTimings& timings() const { return timings_; }
  const WebRtcTransport* transport() const { return transport_ ? &*transport_ : nullptr; }

 private:
  void pump(Instant now);
  void arm_timer();
  void on_timer();
  void send_report(Instant now);
  void end(const std::string& reason, const std::string& message);

  boost::asio::io_context& io_;
  MediaPort& port_;
  BrowserLegOptions options_;
  std::shared_ptr<signaling::CallSink> sink_;
  Done done_;
  ice::AgentId id_ = 0;
  std::optional<WebRtcTransport> transport_;
  std::optional<RtpEchoStream> audio_;
  std::string mid_;
  boost::asio::steady_timer timer_;
  Instant armed_for_ = kNever;
  Instant setup_deadline_ = kNever;
  std::array<std::uint8_t, 512> report_buf_{};
  EchoTimings timings_;
  bool ended_ = false;
  // Expires with the call: a timer handler that already completed when the
  // call was destroyed (cancel() cannot recall it) sees that and returns.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// The echo target's codec and feature set: the browser's first audio codec,
// no congestion-control feedback (nobody would act on it), data channels.
sdp::Capabilities echo_capabilities();

}  // namespace floe::webrtc
