#pragma once
// The property both the libFuzzer target and the corpus replay test check.
#include <cstdlib>
#include <string_view>

#include "signaling/sdp/offer_answer.hpp"
#include "signaling/sdp/parser.hpp"
#include "signaling/sdp/writer.hpp"

namespace floe::sdp {

// Returns true when the input parsed. Aborts when a parsed description does
// not survive printing and parsing again.
inline bool fuzz_check(std::string_view input) {
  auto r = parse(input);
  if (!r.ok()) {
    if (r.error().problem.empty()) std::abort();
    return false;
  }
  std::string printed = to_string(r.value());
  // Printing may expand a=rtcp-fb:* into one line per codec, so the re-parse
  // gets room for that; the per-section structure limits stay the same.
  ParseLimits roomy;
  roomy.max_bytes = roomy.max_lines = roomy.max_attributes = 1 << 24;
  roomy.max_line_length = 1 << 20;
  auto again = parse(printed, roomy);
  if (!again.ok() || !(again.value() == r.value())) std::abort();
  LocalDescriptionOptions opts;
  opts.transport.ice_ufrag = "fuzz";
  opts.transport.ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz";
  opts.transport.fingerprint = {"sha-256", "00"};
  opts.session_id = 1;
  auto caps = default_audio_capabilities();
  caps.video = {vp8_capability(), h264_capability()};
  auto answer = create_answer(r.value(), caps, opts);
  if (answer.ok()) {
    (void)to_string(answer.value().local);
    (void)apply_answer(r.value(), answer.value().local);
  }
  return true;
}

}  // namespace floe::sdp
