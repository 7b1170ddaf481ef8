#pragma once
// A CallHandler for tests and for signaling_server_test_main: answers offers
// with an SDP built by Floe's own offer/answer code, using dummy ICE
// credentials and a dummy DTLS fingerprint, so a browser's
// setRemoteDescription can be checked without any media stack.
//   target "nobody" -> error not-found
//   target "busy"   -> ringing, then ended(busy)
//   target "ring"   -> ringing, stays ringing
//   anything else   -> answer + a host candidate + end-of-candidates + answered
#include <memory>
#include <string>
#include <vector>

#include "signaling/sdp/offer_answer.hpp"
#include "signaling/sdp/writer.hpp"
#include "signaling/session/call_handler.hpp"

namespace floe::signaling::testing {

class FakeCallHandler : public CallHandler {
 public:
  std::vector<std::string> log;  // "call echo", "candidate ...", "hangup hangup", ...
  std::vector<std::shared_ptr<CallSink>> sinks;
  std::string last_answer;

  static sdp::LocalDescriptionOptions local_options() {
    sdp::LocalDescriptionOptions o;
    o.transport.ice_ufrag = "fake";
    o.transport.ice_pwd = "fakefakefakefakefakefake";
    o.transport.fingerprint = {"sha-256",
                               "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                               "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"};
    o.audio_stream = sdp::LocalStream{0x10E0F00D, "floe", "floe", "floe-audio"};
    return o;
  }

  void call(const CallContext&, const std::string& target, const sdp::SessionDescription& offer,
            std::shared_ptr<CallSink> sink) override {
    log.push_back("call " + target);
    sinks.push_back(sink);
    if (target == "nobody") return sink->fail(ErrorCode::NotFound, "no such target: " + target);
    if (target == "busy") {
      sink->ringing();
      return sink->ended("busy", "the callee is busy");
    }
    if (target == "ring") return sink->ringing();
    auto caps = sdp::default_audio_capabilities();
    auto result = sdp::create_answer(offer, caps, local_options());
    if (!result.ok()) return sink->fail(ErrorCode::UnsupportedSdp, result.error().message);
    last_answer = sdp::to_string(result.value().local);
    sink->answer(last_answer);
    std::string mid = result.value().media.front().mid;
    sink->candidate({"candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", mid, 0});
    sink->end_of_candidates();
    sink->answered();
  }
  void accept(const CallContext& ctx, const sdp::SessionDescription&) override {
    log.push_back("accept " + ctx.key.call_id);
  }
  void reject(const CallContext& ctx, const std::string& reason) override {
    log.push_back("reject " + ctx.key.call_id + " " + reason);
  }
  void candidate(const CallContext&, const IceCandidate& c) override {
    log.push_back("candidate " + c.candidate);
  }
  void end_of_candidates(const CallContext&) override { log.push_back("end-of-candidates"); }
  void dtmf(const CallContext&, const std::string& digits, std::uint32_t ms) override {
    log.push_back("dtmf " + digits + " " + std::to_string(ms));
  }
  void hangup(const CallContext&, const std::string& reason) override {
    log.push_back("hangup " + reason);
  }
  void registered(const std::string&, const std::string& user) override {
    log.push_back("registered " + user);
  }
  void unregistered(const std::string&, const std::string& user) override {
    log.push_back("unregistered " + user);
  }
};

}  // namespace floe::signaling::testing
