#pragma once
// The browser side of any call: a WebRtcTransport (ICE + DTLS-SRTP + SCTP)
// on the shared MediaPort, with its Asio timer, trickle both ways, the setup
// timeout, and the signaling sink. What the call does with the media (loop
// it back, bridge it to SIP) is the owner's business: the leg hands it
// every decrypted packet and protects whatever the owner sends.
//
// Two ways in:
//   answer(offer)               the browser called (its `call` offer);
//   start_offer() ... apply_answer(answer)
//                               Floe rings the browser (`incoming` carries
//                               the offer; the browser's `accept` the answer).
// Either way the owner forwards the browser's trickle with
// add_remote_candidate()/end_of_remote_candidates(); Floe's own candidates go
// to the sink (or into the offer when they are known at once).
//
// Media (zero-copy, no allocation per packet):
//   Callbacks::media(now, kind, buffer, length): the plain RTP/RTCP packet
//   is buffer[0, length); buffer has at least kMaxOverhead spare bytes after
//   it. The owner may rewrite it in place and call send_rtp(buffer, n) on the
//   same buffer, or copy it out; the buffer is only valid during the call.
//   send_rtp()/send_rtcp(buffer, length): buffer holds `length` plain bytes
//   and kMaxOverhead spare; protected in place and sent on the ICE-selected
//   route. false: not sent (no keys yet, no selected pair, libsrtp refused).
//
// Lifetime: Callbacks::ended is posted (never called from inside the leg's
// own stack), so the owner may destroy the leg in it. Every other callback
// runs inside a leg method: the owner must not destroy the leg there.
// Runs on the io_context thread of its MediaPort; no locks.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/webrtc/media_port.hpp"
#include "gateway/webrtc/rtp_stats.hpp"
#include "gateway/webrtc/transport.hpp"
#include "gateway/webrtc/turn_links.hpp"
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
  // `stats` events to the browser while media flows (docs/protocol.md);
  // kNever-like zero disables them.
  Duration stats_interval = seconds(2);
  // CNAME and msid stream id of Floe's audio stream (RFC 7022, RFC 8830).
  std::string stream_name = "floe";
  // TURN servers Floe's ICE agent gathers relayed candidates from (the
  // gateway's `ice.turn_servers`, RFC 8656): for a browser that can reach
  // Floe only through a relay. One allocation per server per leg.
  std::vector<io::TurnServerSpec> turn_servers;
};

struct LegTimings {
  Instant started{};  // answer sent / offer made
  std::optional<Instant> ice_connected, dtls_connected, first_rtp;
};

// What the browser agreed to for one RTP section (audio), from the SDP.
struct LegMedia {
  std::string mid;
  // The browser's payload type numbers, in priority order; telephone-event
  // (if negotiated) last. Answers echo the offer's numbers; for offers Floe
  // made these are the numbers the answer accepted.
  std::vector<sdp::Codec> codecs;
  std::uint32_t local_ssrc = 0;             // Floe's sending SSRC (in our SDP)
  std::vector<std::uint32_t> remote_ssrcs;  // a=ssrc from the browser (may be empty)
  sdp::Direction direction = sdp::Direction::Inactive;  // Floe's point of view
};

// Counters of one leg, summable over legs (a router keeps the sum of the
// ended ones so /metrics counters never go down).
struct LegTotals {
  std::uint64_t rtp_in = 0, rtp_bytes_in = 0, rtcp_in = 0;
  std::uint64_t rtp_out = 0, rtp_bytes_out = 0, rtcp_out = 0;
  std::uint64_t rtp_lost = 0;            // RFC 3550 A.3 from the browser's stream
  std::uint64_t ice_restarts = 0;
  // Drops by reason.
  std::uint64_t srtp_auth_or_replay = 0;  // SRTP/SRTCP that failed unprotect
  std::uint64_t before_keys = 0;          // media before DTLS finished
  std::uint64_t unvalidated = 0;          // data from a pair ICE never validated
  std::uint64_t unknown_class = 0;        // RFC 7983 classes we do not speak
  std::uint64_t send_refused = 0;         // send_rtp/rtcp with no keys or route
  LegTotals& operator+=(const LegTotals& o);
};

// Prometheus text for summed leg counters: floe_browser_* families and
// floe_browser_drops_total{reason=...}.
void append_leg_metrics(std::string& out, const LegTotals& totals);

enum class MediaKind : std::uint8_t { Rtp, Rtcp };

class BrowserLeg final : public MediaEndpoint {
 public:
  static constexpr std::size_t kMaxOverhead = WebRtcTransport::kMaxOverhead;

  struct Callbacks {
    // DTLS finished and SRTP is keyed: media may flow both ways.
    std::function<void(Instant)> connected;
    // The leg is dead by itself: "failed" (ICE or DTLS, the peer closed
    // DTLS) or "timeout" (no DTLS within setup_timeout). Posted; the owner
    // tells the browser (sink->ended) and may destroy the leg here.
    std::function<void(const std::string& reason, const std::string& message)> ended;
    // A decrypted packet (see the header comment).
    std::function<void(Instant, MediaKind, std::span<std::uint8_t> buffer, std::size_t length)>
        media;
    std::function<void(Instant, std::uint16_t channel, bool binary, ByteView data)> message;
    std::function<void(Instant, std::uint16_t channel, const std::string& label,
                       const std::string& protocol)>
        channel_open;
    // The time asked for with wake_at() came (RTCP report timers and such).
    std::function<void(Instant)> wakeup;
    // The browser's RTP SSRC changed (first packet, or its sender restarted).
    std::function<void(Instant, std::uint32_t ssrc)> remote_ssrc;
  };

  // `sink` may be null for an offer whose signaling handle exists only once
  // the browser was rung (set_sink()); candidates wait for it.
  BrowserLeg(boost::asio::io_context& io, MediaPort& port, BrowserLegOptions options,
             std::shared_ptr<signaling::CallSink> sink, Callbacks callbacks);
  ~BrowserLeg() override;
  BrowserLeg(const BrowserLeg&) = delete;
  BrowserLeg& operator=(const BrowserLeg&) = delete;

  // --- the browser offers -------------------------------------------------
  // Negotiates with `caps` (the far side's codecs), sends the answer and
  // then Floe's candidates through the sink, starts ICE. false: the sink was
  // told why (fail()) and the leg is dead.
  bool answer(const sdp::SessionDescription& offer, const sdp::Capabilities& caps);

  // --- Floe offers (an incoming call rings the browser) -------------------
  // Gathers (host candidates go into the offer itself, with end-of-
  // candidates) and returns the offer SDP text for `incoming`; nullopt when
  // no offer can be made (no audio capability).
  std::optional<std::string> start_offer(const sdp::Capabilities& caps,
                                         const sdp::OfferRequest& request);
  // The browser's `accept`. false: the answer does not fit the offer (the
  // error is in *why); the leg stays unstarted and the owner ends the call.
  bool apply_answer(const sdp::SessionDescription& answer, std::string* why = nullptr);
  void set_sink(std::shared_ptr<signaling::CallSink> sink);

  // --- renegotiation ------------------------------------------------------
  // A new offer from the browser inside the call. New ice-ufrag/pwd restart
  // ICE (RFC 8445 §9): new local credentials in the answer, the media port
  // routes both ufrags until the new pair is selected, DTLS and SRTP carry
  // on. Floe's SSRC and DTLS role are kept; the codec list is negotiated
  // again with the same capabilities (browsers repeat their order).
  // The answer goes to the sink (before the restarted candidates); false:
  // *why says what does not fit and the call goes on as before.
  bool renegotiate(const sdp::SessionDescription& offer, std::string* why = nullptr);

  // --- trickle from the browser and the end -------------------------------
  void add_remote_candidate(const std::string& candidate);
  void end_of_remote_candidates();
  // Closes DTLS (close_notify) and ICE; no `ended` callback follows.
  void hangup();

  // --- media and data out -------------------------------------------------
  bool send_rtp(std::span<std::uint8_t> buffer, std::size_t length);
  bool send_rtcp(std::span<std::uint8_t> buffer, std::size_t length);
  bool send_message(std::uint16_t channel, ByteView data, bool binary);
  std::optional<std::uint16_t> open_channel(const std::string& label);
  // Asks for one Callbacks::wakeup at `at` (replaces an earlier request).
  void wake_at(Instant at);

  // --- what was negotiated and learned ------------------------------------
  const LegMedia* audio() const { return audio_ ? &*audio_ : nullptr; }
  bool data_channel() const { return data_channel_; }
  std::optional<std::uint32_t> remote_rtp_ssrc() const { return remote_ssrc_; }
  bool media_ready() const { return transport_ && transport_->media_ready(); }
  bool ended() const { return ended_; }
  const LegTimings& timings() const { return timings_; }
  const WebRtcTransport* transport() const { return transport_ ? &*transport_ : nullptr; }
  const RtpReceiveStats& receive_stats() const { return rx_; }
  // This leg's counters; add them to a LegTotals for /metrics.
  LegTotals totals() const;

  void on_datagram(const SocketAddress& local, const SocketAddress& remote,
                   std::span<std::uint8_t> buffer, std::size_t length) override;

 private:
  WebRtcConfig base_config(const ice::IceCredentials& creds) const;
  sdp::LocalDescriptionOptions local_options(const ice::IceCredentials& creds) const;
  void take_media(const sdp::Negotiated& n);
  bool configure_peer(const sdp::Negotiated& n, std::string* why);
  void begin(Instant now);
  std::uint32_t clock_rate(std::uint8_t pt) const { return clock_by_pt_[pt & 0x7f]; }
  void deliver(Instant now, const MediaIn& in, std::span<std::uint8_t> buffer);
  void deliver_early(Instant now);
  void pump(Instant now);
  void arm_timer();
  void on_timer();
  void send_stats(Instant now);
  void fail(const std::string& reason, const std::string& message);
  void to_sink(signaling::CallEvent e);
  bool protect_and_send(bool rtcp, std::span<std::uint8_t> buffer, std::size_t length);

  boost::asio::io_context& io_;
  MediaPort& port_;
  BrowserLegOptions options_;
  std::shared_ptr<signaling::CallSink> sink_;
  std::vector<signaling::CallEvent> pending_;  // before set_sink()
  Callbacks cb_;
  ice::AgentId id_ = 0;
  std::optional<WebRtcTransport> transport_;
  std::unique_ptr<TurnLinks> turn_links_;  // after transport_: it holds a reference
  std::optional<LegMedia> audio_;
  std::optional<sdp::SessionDescription> local_offer_;  // start_offer() made it
  std::string mid_;
  std::string local_ufrag_;
  std::optional<std::string> old_ufrag_;  // routed until the restart selects a pair
  sdp::Setup local_setup_ = sdp::Setup::Active;
  std::uint32_t local_ssrc_ = 0;
  bool data_channel_ = false;
  std::optional<std::uint32_t> remote_ssrc_;
  sdp::Capabilities caps_;
  std::array<std::uint32_t, 128> clock_by_pt_{};
  RtpReceiveStats rx_;
  std::uint64_t rtp_bytes_out_ = 0, send_refused_ = 0, ice_restarts_ = 0;
  // Held early media is decrypted here (room for the SRTP tag included).
  std::array<std::uint8_t, 1500 + kMaxOverhead> early_buf_{};
  boost::asio::steady_timer timer_;
  Instant armed_for_ = kNever;
  Instant setup_deadline_ = kNever;
  Instant owner_wake_ = kNever;
  Instant next_stats_ = kNever;
  LegTimings timings_;
  bool started_ = false;
  bool ended_ = false;
  // Expires with the leg: a timer handler that already completed when the
  // leg was destroyed (cancel() cannot recall it) sees that and returns.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace floe::webrtc
