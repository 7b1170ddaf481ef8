#pragma once
// The gateway's CallHandler once SIP is configured: `echo` stays the
// built-in loopback (webrtc::CallRouter), every other target becomes a
// BridgeCall to a SIP trunk, and INVITEs from trunks ring registered
// browsers through Server::ring. floe_webrtc knows nothing of SIP; this
// router sits above both.
//
// Runs on the signaling thread, which is also the media and SIP thread
// (one io_context; see cmd_gateway.cpp).
#include <boost/asio/io_context.hpp>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "gateway/bridge/bridge_call.hpp"
#include "gateway/bridge/sip_service.hpp"
#include "gateway/webrtc/call_router.hpp"
#include "signaling/session/call_handler.hpp"

namespace floe::bridge {

struct GatewayRouterCounters {
  std::uint64_t sip_calls = 0;          // browser -> SIP
  std::uint64_t incoming_calls = 0;     // SIP -> browser
  std::uint64_t unroutable_targets = 0;
};

class GatewayRouter final : public signaling::CallHandler {
 public:
  // Server::ring, bound by the caller once the signaling server runs.
  using Ring = std::function<void(std::string user, std::string from, std::string offer,
                                  std::function<void(std::shared_ptr<signaling::CallSink>)> done)>;

  // `sip` may be null: then only `echo` works, as before.
  GatewayRouter(boost::asio::io_context& io, webrtc::MediaPort& port,
                webrtc::BrowserLegOptions leg_options, SipService* sip, BridgeCallConfig bridge);
  ~GatewayRouter() override;

  void set_ring(Ring ring) { ring_ = std::move(ring); }

  void call(const signaling::CallContext& ctx, const std::string& target,
            const sdp::SessionDescription& offer,
            std::shared_ptr<signaling::CallSink> sink) override;
  void accept(const signaling::CallContext& ctx, const sdp::SessionDescription& answer) override;
  void reject(const signaling::CallContext& ctx, const std::string& reason) override;
  void candidate(const signaling::CallContext& ctx,
                 const signaling::IceCandidate& candidate) override;
  void end_of_candidates(const signaling::CallContext& ctx) override;
  void dtmf(const signaling::CallContext& ctx, const std::string& digits,
            std::uint32_t duration_ms) override;
  void hangup(const signaling::CallContext& ctx, const std::string& reason) override;
  // A new offer inside a call: ICE restart on the browser leg (the codec
  // agreed with the SIP side stays).
  std::optional<std::string> renegotiate(const signaling::CallContext& ctx,
                                         const sdp::SessionDescription& offer) override;

  void hangup_all();
  std::size_t active_calls() const { return echo_.active_calls() + calls_.size() + ringing_.size(); }
  const GatewayRouterCounters& counters() const { return counters_; }
  // Prometheus text: the echo router's, the SIP service's and the bridge's.
  std::string metrics() const;

 private:
  BridgeCall* find(const signaling::CallKey& key);
  bool on_incoming(IncomingInvite& in);
  void done(BridgeCall* call);
  // Adds an ending call's counters to the totals /metrics keeps.
  void retire(const BridgeCall& call);

  boost::asio::io_context& io_;
  webrtc::MediaPort& port_;
  webrtc::BrowserLegOptions leg_options_;
  SipService* sip_;
  BridgeCallConfig bridge_;
  webrtc::CallRouter echo_;
  Ring ring_;
  std::map<signaling::CallKey, std::unique_ptr<BridgeCall>> calls_;
  std::list<std::unique_ptr<BridgeCall>> ringing_;  // incoming, before ring() gave a sink
  BridgeCounters ended_totals_;
  webrtc::LegTotals ended_legs_;
  std::uint64_t bridge_failed_ = 0;
  GatewayRouterCounters counters_;
};

}  // namespace floe::bridge
