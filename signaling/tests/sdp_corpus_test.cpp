// Replays the fuzz property over a corpus of hostile and odd inputs so CI
// (g++, no libFuzzer) checks what the fuzzer checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "signaling/tests/sdp_fuzz_check.hpp"
#include "signaling/tests/sdp_samples.hpp"

namespace floe::sdp {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SdpCorpus, ReplayFilesNeverCrash) {
  std::size_t files = 0, parsed = 0;
  for (const auto& e : std::filesystem::directory_iterator(FLOE_SDP_CORPUS)) {
    if (!e.is_regular_file()) continue;
    ++files;
    if (fuzz_check(read_file(e.path()))) ++parsed;
  }
  EXPECT_GE(files, 10u);
  EXPECT_GE(parsed, 2u);
}

// Every prefix and every single-byte corruption of the real offers.
TEST(SdpCorpus, TruncationsAndByteFlipsOfBrowserOffers) {
  for (const char* offer : {samples::kChromeOffer, samples::kFirefoxOffer}) {
    std::string text = samples::crlf(offer);
    for (std::size_t n = 0; n <= text.size(); n += 7) fuzz_check(std::string_view(text).substr(0, n));
    const char flips[] = {'\0', ' ', ':', '/', '\n', '=', 'a', '9', '\x7f', '\xff'};
    for (std::size_t i = 0; i < text.size(); i += 5) {
      std::string copy = text;
      copy[i] = flips[i % sizeof flips];
      fuzz_check(copy);
    }
  }
}

}  // namespace
}  // namespace floe::sdp
