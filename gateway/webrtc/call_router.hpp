#pragma once
// The gateway's CallHandler: routes a browser's `call` by target. `echo` is
// built in (EchoCall); every other target ends with `not-found` until the
// SIP leg lands. Runs on the signaling thread, which is also the media
// thread for now (one io_context; see cmd_gateway.cpp).
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gateway/webrtc/echo_call.hpp"
#include "gateway/webrtc/media_port.hpp"
#include "signaling/session/call_handler.hpp"

namespace floe::webrtc {

struct RouterCounters {
  std::uint64_t calls = 0;
  std::uint64_t echo_calls = 0;
  std::uint64_t unknown_targets = 0;
  std::uint64_t ended_by_gateway = 0;  // ICE/DTLS failure or setup timeout
};

class CallRouter final : public signaling::CallHandler {
 public:
  CallRouter(boost::asio::io_context& io, MediaPort& port, BrowserLegOptions options);
  ~CallRouter() override;

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
  // A new offer inside an echo call (ICE restart, docs/protocol.md).
  std::optional<std::string> renegotiate(const signaling::CallContext& ctx,
                                         const sdp::SessionDescription& offer) override;

  // Ends every call (shutdown).
  void hangup_all();
  std::size_t active_calls() const { return calls_.size(); }
  const RouterCounters& counters() const { return counters_; }
  // Prometheus text for /metrics. `other_legs`: browser legs of calls this
  // router does not own (bridged calls), so floe_browser_* covers them all.
  std::string metrics(const LegTotals* other_legs = nullptr) const;

 private:
  EchoCall* find(const signaling::CallKey& key);

  boost::asio::io_context& io_;
  MediaPort& port_;
  BrowserLegOptions options_;
  std::map<signaling::CallKey, std::unique_ptr<EchoCall>> calls_;
  RouterCounters counters_;
  LegTotals finished_legs_;  // browser-leg counters of echo calls that ended
};

}  // namespace floe::webrtc
