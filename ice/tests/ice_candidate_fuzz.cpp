// Fuzz target: SDP candidate lines from the signalling channel are untrusted.
// Whatever parses must format back to a line that parses to the same thing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ice/agent/candidate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = floe::ice::parse_candidate(text);
  if (!c) return 0;
  auto again = floe::ice::parse_candidate(floe::ice::format_candidate(*c));
  if (!again || again->address != c->address || again->type != c->type ||
      again->priority != c->priority || again->hostname != c->hostname)
    std::abort();
  return 0;
}
