// libFuzzer target: any byte string must parse or fail cleanly, and whatever
// parses must print and re-parse to the same model, and survive answering.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "signaling/sdp/offer_answer.hpp"
#include "signaling/sdp/parser.hpp"
#include "signaling/sdp/writer.hpp"
#include "signaling/tests/sdp_fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  floe::sdp::fuzz_check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
