#pragma once
// A CallHandler for tests and for signaling_server_test_main: answers offers
// with an SDP built by Floe's own offer/answer code, using dummy ICE
// credentials and a dummy DTLS fingerprint, so a browser's
// setRemoteDescription can be checked without any media stack.
//   target "nobody" -> error not-found
//   target "busy"   -> ringing, then ended(busy)
//   target "ring"   -> ringing, stays ringing
//   target "callback" -> ended(callback), then an incoming call to the user
//                      this session registered, with an offer from
//                      sdp::create_offer; the browser's accept is checked
//                      with sdp::apply_answer (answered, or ended(failed))
//   anything else   -> answer + a host candidate + end-of-candidates + answered
#include <functional>
#include <map>
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
  // Set by the server main: Server::ring.
  std::function<void(std::string, std::string, std::string,
                     std::function<void(std::shared_ptr<CallSink>)>)>
      ring;
  std::map<std::string, std::string> users;  // session id -> registered user
  std::map<std::string, std::pair<sdp::SessionDescription, std::shared_ptr<CallSink>>> incoming;

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

  void call(const CallContext& ctx, const std::string& target, const sdp::SessionDescription& offer,
            std::shared_ptr<CallSink> sink) override {
    log.push_back("call " + target);
    sinks.push_back(sink);
    if (target == "nobody") return sink->fail(ErrorCode::NotFound, "no such target: " + target);
    if (target == "busy") {
      sink->ringing();
      return sink->ended("busy", "the callee is busy");
    }
    if (target == "ring") return sink->ringing();
    if (target == "callback") return call_back(ctx, std::move(sink));
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
  void call_back(const CallContext& ctx, std::shared_ptr<CallSink> sink) {
    auto user = users.find(ctx.key.session_id);
    if (!ring || user == users.end())
      return sink->fail(ErrorCode::NotFound, "register first: callback rings the registered user");
    sink->ended("callback", "calling you back");
    auto caps = sdp::default_audio_capabilities();
    auto offer = sdp::create_offer(caps, local_options(), {true, false, true});
    ring(user->second, "sip:callback@floe.test", sdp::to_string(offer),
         [this, offer](std::shared_ptr<CallSink> in) {
           if (in) incoming[in->key().call_id] = {offer, in};
         });
  }
  void accept(const CallContext& ctx, const sdp::SessionDescription& answer) override {
    log.push_back("accept " + ctx.key.call_id);
    auto it = incoming.find(ctx.key.call_id);
    if (it == incoming.end()) return;
    auto result = sdp::apply_answer(it->second.first, answer);
    if (result.ok()) it->second.second->answered();
    else it->second.second->ended("failed", result.error().message);
  }
  void reject(const CallContext& ctx, const std::string& reason) override {
    log.push_back("reject " + ctx.key.call_id + " " + reason);
    incoming.erase(ctx.key.call_id);
  }
  void candidate(const CallContext&, const IceCandidate& c) override {
    log.push_back("candidate " + c.candidate);
  }
  void end_of_candidates(const CallContext&) override { log.push_back("end-of-candidates"); }
  void dtmf(const CallContext&, const std::string& digits, std::uint32_t ms) override {
    log.push_back("dtmf " + digits + " " + std::to_string(ms));
  }
  // Answers a new offer in an answered call the way call() answered the
  // first one (the same dummy transport).
  std::optional<std::string> renegotiate(const CallContext& ctx,
                                         const sdp::SessionDescription& offer) override {
    log.push_back("offer");
    for (auto& s : sinks) {
      if (s->key() != ctx.key) continue;
      auto result = sdp::create_answer(offer, sdp::default_audio_capabilities(), local_options());
      if (!result.ok()) return result.error().message;
      last_answer = sdp::to_string(result.value().local);
      s->answer(last_answer);
      return std::nullopt;
    }
    return std::string("the fake handler does not know this call");
  }
  void hangup(const CallContext& ctx, const std::string& reason) override {
    log.push_back("hangup " + reason);
    incoming.erase(ctx.key.call_id);
  }
  void registered(const std::string& session, const std::string& user) override {
    log.push_back("registered " + user);
    users[session] = user;
  }
  void unregistered(const std::string& session, const std::string& user) override {
    log.push_back("unregistered " + user);
    users.erase(session);
  }
};

}  // namespace floe::signaling::testing
