// Fuzz target: what the SIP leg reads from a trunk's untrusted bytes: the
// SDP of an offer/answer (read_sip_media over sdp::parse) and an INFO
// application/dtmf-relay body. The first byte picks which.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/bridge/sip_call.hpp"
#include "gateway/bridge/sip_sdp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    auto d = floe::bridge::parse_dtmf_relay(text);
    if (d && floe::bridge::dtmf_event_code(d->first) < 0) __builtin_trap();
    return 0;
  }
  std::string why;
  auto m = floe::bridge::read_sip_media(text, &why);
  if (m) {
    static const std::vector<floe::sdp::Codec> offered = {
        {0, "PCMU", 8000, 0, "", {}, true}, {8, "PCMA", 8000, 0, "", {}, true},
        {101, "telephone-event", 8000, 0, "0-16", {}, true}};
    (void)floe::bridge::map_sip_answer(*m, offered);
    (void)floe::bridge::browser_offer_capabilities(&*m, {"PCMU", "PCMA", "G722", "telephone-event"}, true);
  } else if (why.empty()) {
    __builtin_trap();  // a refusal always says why
  }
  return 0;
}
