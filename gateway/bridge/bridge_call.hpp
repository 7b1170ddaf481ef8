#pragma once
// A call that joins a browser leg (webrtc::BrowserLeg: ICE + DTLS-SRTP +
// data channel) to a SIP leg (SipCall on the shared UserAgent, plain RTP on
// a port pair from the SIP side's range). Both directions:
//
//   outgoing  browser `call` -> INVITE to the trunk with the browser's codecs
//             the trunk allows; the browser gets its answer only once the SIP
//             side gave SDP (183 or 200), with exactly the codec the trunk
//             chose, so ICE/DTLS start then; trickle that came earlier waits.
//   incoming  INVITE from a trunk -> `incoming` offer to the browser user
//             (180 meanwhile); accept -> 200 with the browser's codec,
//             reject -> 486/603, no answer -> 480.
//
// Media (DESIGN.md "Media path"), no transcoding, no allocation per packet:
//   browser -> SIP: SRTP unprotected by the leg -> OutboundStream (PT map,
//                   our SSRC, seq/ts continuity) -> RTP from our port;
//   SIP -> browser: SourceFilter (signalled address, or the first source
//                   after the answer with symmetric RTP) -> OutboundStream ->
//                   SRTP protect by the leg.
// RTCP is terminated per leg: each side gets SR/RR about the stream it
// receives from Floe every report interval. No RTP from SIP for the media
// timeout ends the call ("media-timeout").
//
// Runs on the io_context thread shared with its MediaPort and SipService.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/bridge/sip_call.hpp"
#include "gateway/bridge/sip_service.hpp"
#include "gateway/media/io/rtp_socket.hpp"
#include "gateway/media/media_clock.hpp"
#include "gateway/media/receive_stats.hpp"
#include "gateway/media/rtcp.hpp"
#include "gateway/media/source_filter.hpp"
#include "gateway/media/stream_rewriter.hpp"
#include "gateway/media/telephone_event.hpp"
#include "gateway/webrtc/browser_leg.hpp"
#include "signaling/session/call_handler.hpp"

namespace floe::bridge {

struct BridgeCallConfig {
  webrtc::BrowserLegOptions leg;
  Duration media_timeout = seconds(30);
  Duration report_interval = seconds(5);
  Duration ring_timeout = seconds(60);
  bool symmetric_rtp = true;
};

// Per-call counters (summed by the router for /metrics).
struct BridgeCounters {
  std::uint64_t to_sip_packets = 0, to_sip_bytes = 0;
  std::uint64_t to_browser_packets = 0, to_browser_bytes = 0;
  std::uint64_t from_sip_packets = 0, from_sip_bytes = 0;
  std::uint64_t sip_rtcp_in = 0, sip_rtcp_out = 0, browser_rtcp_out = 0;
  // Drops by reason.
  std::uint64_t drop_source = 0;      // SIP side: not the signalled/learned address
  std::uint64_t drop_not_rtp = 0;     // did not parse as RTP
  std::uint64_t drop_payload_type = 0;  // PT not negotiated on the other leg
  std::uint64_t drop_held = 0;        // the receiving side is on hold
  std::uint64_t drop_not_ready = 0;   // the other leg has no keys/route/address yet
  std::uint64_t dtmf_to_sip = 0, dtmf_from_sip = 0;
  std::uint64_t messages_to_sip = 0, messages_from_sip = 0;
  std::uint64_t jitter_sip = 0, lost_sip = 0;  // RFC 3550 A.8/A.3, SIP -> Floe stream
  BridgeCounters& operator+=(const BridgeCounters& o);
};

struct BridgeTimings {
  Instant created{};
  std::optional<Instant> sip_sdp, answered, first_rtp_from_sip, first_rtp_from_browser;
};

class BridgeCall final : public SipLegOwner, public media::io::RtpSocketReceiver {
 public:
  // Posted once the call is over; the owner destroys it then.
  using Done = std::function<void(BridgeCall*)>;

  BridgeCall(boost::asio::io_context& io, webrtc::MediaPort& port, SipService& sip,
             BridgeCallConfig config, Done done);
  ~BridgeCall() override;
  BridgeCall(const BridgeCall&) = delete;
  BridgeCall& operator=(const BridgeCall&) = delete;

  // ---- a browser calls out. false: the sink was told why.
  bool start_outgoing(std::shared_ptr<signaling::CallSink> sink, const SipDestination& to,
                      const sdp::SessionDescription& offer, const std::string& caller);

  // ---- a trunk calls a browser: the offer for Server::ring, or nullopt
  // (the SIP side was answered with an error already).
  std::optional<std::string> start_incoming(IncomingInvite& in);
  // Server::ring's result: the browser's sink, or null (nobody registered).
  void rung(std::shared_ptr<signaling::CallSink> sink);
  void accept(const sdp::SessionDescription& answer);
  void reject(const std::string& reason);

  // ---- from the browser, either direction
  void add_remote_candidate(const std::string& candidate);
  void end_of_remote_candidates();
  void dtmf(const std::string& digits, std::uint32_t duration_ms);
  void hangup(const std::string& reason);

  bool ended() const { return ended_; }
  const BridgeCounters& counters() const { return counters_; }
  const BridgeTimings& timings() const { return timings_; }
  const std::optional<signaling::CallKey>& key() const { return key_; }
  const webrtc::BrowserLeg* leg() const { return leg_.get(); }
  // A new browser offer mid-call (ICE restart); false with `why` before the
  // browser leg exists or when the leg refuses it.
  // A new browser offer mid-call: ICE restart on the browser leg, and a
  // changed audio direction (the browser holds or resumes) carried to the
  // SIP side as a re-INVITE with the same direction (RFC 3264 §8.4).
  // false with `why` before the browser leg exists or when it refuses.
  bool renegotiate(const sdp::SessionDescription& offer, std::string* why);
  const SipCall* sip_call() const { return sip_call_; }

  void on_sip_event(SipCallEvent& e) override;
  void on_datagram(media::io::Component component, const SocketAddress& from,
                   std::span<std::uint8_t> buffer, std::size_t length) override;

 private:
  // Signaling side (bridge_call.cpp)
  bool open_rtp(std::string* why);
  SipLocalMedia local_media(std::vector<sdp::Codec> codecs) const;
  bool answer_browser(Instant now, const SipRemoteMedia& sip_answer);
  void apply_sip_media(Instant now, const SipRemoteMedia& m);
  void set_up_streams(Instant now, const CodecMapping& map);
  webrtc::BrowserLeg::Callbacks leg_callbacks();
  void end(const std::string& reason, const std::string& message);
  void kick_sip();

  // Media side (bridge_media.cpp)
  void on_browser_media(Instant now, webrtc::MediaKind kind, std::span<std::uint8_t> buffer,
                        std::size_t length);
  void on_sip_rtp(Instant now, const SocketAddress& from, std::span<std::uint8_t> buffer,
                  std::size_t length);
  void on_sip_rtcp(Instant now, const SocketAddress& from, ByteView packet);
  void send_reports(Instant now);
  void send_dtmf_packets(Instant now);
  bool send_event(const media::DtmfPacket& p, bool to_sip);
  void arm_timer();
  void on_timer();

  boost::asio::io_context& io_;
  webrtc::MediaPort& port_;
  SipService& sip_;
  BridgeCallConfig cfg_;
  Done done_;
  std::shared_ptr<signaling::CallSink> sink_;
  std::optional<signaling::CallKey> key_;
  const TrunkConfig* trunk_ = nullptr;
  SipCall* sip_call_ = nullptr;
  bool outgoing_ = true;
  std::unique_ptr<webrtc::BrowserLeg> leg_;
  std::optional<sdp::SessionDescription> browser_offer_;  // outgoing, until the leg exists
  std::vector<std::string> early_candidates_;
  bool early_end_of_candidates_ = false;
  std::vector<sdp::Codec> offered_;  // outgoing: our SIP offer's codecs
  std::optional<CodecMapping> map_;
  bool answered_ = false;
  bool ended_ = false;

  // SIP-side media
  media::io::RtpSocket rtp_;
  media::SourceFilter rtp_filter_;
  media::SourceFilter rtcp_filter_;
  std::optional<SipRemoteMedia> sip_media_;
  bool send_to_sip_ = true;       // the SIP peer receives (not holding us)
  bool sip_sends_ = true;         // the SIP peer is expected to send
  std::optional<media::OutboundStream> to_sip_;
  std::optional<media::OutboundStream> to_browser_;
  media::ReceiveStats rx_sip_{8000};
  media::ReceiveStats rx_browser_{8000};
  media::DtmfSender dtmf_to_sip_;
  media::DtmfSender dtmf_to_browser_;  // SIP INFO digits as RFC 4733 toward the browser
  std::uint32_t dtmf_browser_ts_ = 0;
  media::DtmfReceiver dtmf_receiver_;
  std::uint32_t dtmf_event_ts_ = 0;
  std::optional<Instant> dtmf_event_start_;
  media::NtpClock ntp_;
  media::RtcpCounters rtcp_counters_;
  std::string cname_;
  std::optional<std::uint16_t> channel_;  // the browser's data channel, for MESSAGE
  Instant last_sip_rtp_{};
  Instant next_report_ = kNever;
  Instant ring_deadline_ = kNever;
  std::array<std::uint8_t, 1500> scratch_{};
  boost::asio::steady_timer timer_;
  Instant armed_ = kNever;
  BridgeCounters counters_;
  BridgeTimings timings_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace floe::bridge
