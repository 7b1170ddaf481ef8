#include "gateway/bridge/gateway_router.hpp"

#include <algorithm>

namespace floe::bridge {

GatewayRouter::GatewayRouter(boost::asio::io_context& io, webrtc::MediaPort& port,
                             webrtc::BrowserLegOptions leg_options, SipService* sip,
                             BridgeCallConfig bridge)
    : io_(io), port_(port), leg_options_(leg_options), sip_(sip), bridge_(std::move(bridge)),
      echo_(io, port, std::move(leg_options)) {
  bridge_.leg = leg_options_;
  if (sip_) sip_->on_incoming = [this](IncomingInvite& in) { return on_incoming(in); };
}

GatewayRouter::~GatewayRouter() {
  if (sip_) sip_->on_incoming = nullptr;
  hangup_all();
}

BridgeCall* GatewayRouter::find(const signaling::CallKey& key) {
  auto it = calls_.find(key);
  return it == calls_.end() ? nullptr : it->second.get();
}

void GatewayRouter::call(const signaling::CallContext& ctx, const std::string& target,
                         const sdp::SessionDescription& offer,
                         std::shared_ptr<signaling::CallSink> sink) {
  if (target == "echo" || !sip_) {
    echo_.call(ctx, target, offer, std::move(sink));
    return;
  }
  std::string why;
  auto dest = sip_->resolve(target, &why);
  if (!dest) {
    ++counters_.unroutable_targets;
    sink->ended("not-found", why);
    return;
  }
  ++counters_.sip_calls;
  auto call = std::make_unique<BridgeCall>(io_, port_, *sip_, bridge_,
                                           [this](BridgeCall* c) { done(c); });
  BridgeCall* raw = call.get();
  calls_[ctx.key] = std::move(call);
  if (!raw->start_outgoing(sink, *dest, offer, ctx.user)) {
    retire(*raw);
    calls_.erase(ctx.key);
  }
}

bool GatewayRouter::on_incoming(IncomingInvite& in) {
  if (!ring_) return false;
  ++counters_.incoming_calls;
  auto call = std::make_unique<BridgeCall>(io_, port_, *sip_, bridge_,
                                           [this](BridgeCall* c) { done(c); });
  auto offer = call->start_incoming(in);
  if (!offer) return true;  // the SIP side was answered already
  BridgeCall* raw = call.get();
  ringing_.push_back(std::move(call));
  ring_(in.user, in.from, *offer, [this, raw](std::shared_ptr<signaling::CallSink> sink) {
    auto it = std::find_if(ringing_.begin(), ringing_.end(),
                           [&](const auto& c) { return c.get() == raw; });
    if (it == ringing_.end()) {
      if (sink) sink->ended("hangup", "the caller hung up");
      return;
    }
    if (sink) {
      calls_[sink->key()] = std::move(*it);
      ringing_.erase(it);
    }
    raw->rung(sink);  // null: 480 and done() erases it from ringing_
  });
  return true;
}

void GatewayRouter::done(BridgeCall* call) {
  retire(*call);
  for (auto it = calls_.begin(); it != calls_.end(); ++it)
    if (it->second.get() == call) {
      calls_.erase(it);
      return;
    }
  ringing_.remove_if([&](const auto& c) { return c.get() == call; });
}

void GatewayRouter::accept(const signaling::CallContext& ctx, const sdp::SessionDescription& answer) {
  if (auto* c = find(ctx.key)) c->accept(answer);
}

void GatewayRouter::reject(const signaling::CallContext& ctx, const std::string& reason) {
  if (auto* c = find(ctx.key)) c->reject(reason);
}

void GatewayRouter::candidate(const signaling::CallContext& ctx,
                              const signaling::IceCandidate& candidate) {
  if (auto* c = find(ctx.key)) c->add_remote_candidate(candidate.candidate);
  else echo_.candidate(ctx, candidate);
}

void GatewayRouter::end_of_candidates(const signaling::CallContext& ctx) {
  if (auto* c = find(ctx.key)) c->end_of_remote_candidates();
  else echo_.end_of_candidates(ctx);
}

void GatewayRouter::dtmf(const signaling::CallContext& ctx, const std::string& digits,
                         std::uint32_t duration_ms) {
  if (auto* c = find(ctx.key)) c->dtmf(digits, duration_ms);
}

void GatewayRouter::hangup(const signaling::CallContext& ctx, const std::string& reason) {
  auto it = calls_.find(ctx.key);
  if (it == calls_.end()) {
    echo_.hangup(ctx, reason);
    return;
  }
  it->second->hangup(reason);
  retire(*it->second);
  calls_.erase(it);
}

void GatewayRouter::hangup_all() {
  echo_.hangup_all();
  for (auto& [key, call] : calls_) {
    call->hangup("shutdown");
    retire(*call);
  }
  for (auto& call : ringing_) {
    call->hangup("shutdown");
    retire(*call);
  }
  calls_.clear();
  ringing_.clear();
}

void GatewayRouter::retire(const BridgeCall& call) {
  ended_totals_ += call.counters();
  if (call.leg()) ended_legs_ += call.leg()->totals();
}

std::optional<std::string> GatewayRouter::renegotiate(const signaling::CallContext& ctx,
                                                      const sdp::SessionDescription& offer) {
  auto* c = find(ctx.key);
  if (!c) return echo_.renegotiate(ctx, offer);
  std::string why;
  if (!c->renegotiate(offer, &why)) return why;
  return std::nullopt;
}

std::string GatewayRouter::metrics() const {
  webrtc::LegTotals legs = ended_legs_;
  for (const auto& [k, c] : calls_)
    if (c->leg()) legs += c->leg()->totals();
  std::string m = echo_.metrics(&legs);
  BridgeCounters t = ended_totals_;
  for (const auto& [k, c] : calls_) t += c->counters();
  auto line = [&](const char* name, const char* type, std::uint64_t v, const char* labels = "") {
    if (type) m += std::string("# TYPE ") + name + " " + type + "\n";
    m += std::string(name) + labels + " " + std::to_string(v) + "\n";
  };
  line("floe_bridge_calls_out_total", "counter", counters_.sip_calls);
  line("floe_bridge_calls_in_total", "counter", counters_.incoming_calls);
  line("floe_bridge_unroutable_targets_total", "counter", counters_.unroutable_targets);
  line("floe_bridge_calls_active", "gauge", calls_.size() + ringing_.size());
  line("floe_bridge_rtp_to_sip_packets_total", "counter", t.to_sip_packets);
  line("floe_bridge_rtp_to_sip_bytes_total", "counter", t.to_sip_bytes);
  line("floe_bridge_rtp_from_sip_packets_total", "counter", t.from_sip_packets);
  line("floe_bridge_rtp_from_sip_bytes_total", "counter", t.from_sip_bytes);
  line("floe_bridge_rtp_to_browser_packets_total", "counter", t.to_browser_packets);
  line("floe_bridge_rtp_to_browser_bytes_total", "counter", t.to_browser_bytes);
  line("floe_bridge_rtcp_sent_total", "counter", t.sip_rtcp_out + t.browser_rtcp_out);
  line("floe_bridge_drops_total", "counter", t.drop_source, "{reason=\"source\"}");
  line("floe_bridge_drops_total", nullptr, t.drop_not_rtp, "{reason=\"not-rtp\"}");
  line("floe_bridge_drops_total", nullptr, t.drop_payload_type, "{reason=\"payload-type\"}");
  line("floe_bridge_drops_total", nullptr, t.drop_held, "{reason=\"held\"}");
  line("floe_bridge_drops_total", nullptr, t.drop_not_ready, "{reason=\"not-ready\"}");
  line("floe_bridge_dtmf_to_sip_total", "counter", t.dtmf_to_sip);
  line("floe_bridge_dtmf_from_sip_total", "counter", t.dtmf_from_sip);
  line("floe_bridge_messages_to_sip_total", "counter", t.messages_to_sip);
  line("floe_bridge_messages_from_sip_total", "counter", t.messages_from_sip);
  line("floe_bridge_sip_lost_packets_total", "counter", t.lost_sip);
  line("floe_bridge_sip_jitter_max", "gauge", t.jitter_sip);
  if (sip_) m += sip_->metrics();
  return m;
}

}  // namespace floe::bridge
