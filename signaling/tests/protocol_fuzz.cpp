// libFuzzer target for the session hub: the input is a sequence of WebSocket
// messages separated by '\n', fed to one connection of a SessionHub with the
// fake handler, with the virtual clock advanced between messages and a socket
// drop / resume in the middle. Any crash, leak or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "signaling/session/hub.hpp"
#include "signaling/tests/fake_call_handler.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace floe;
  using namespace floe::signaling;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  testing::FakeCallHandler handler;
  HubConfig cfg;
  cfg.unix_time = [] { return std::int64_t{1'000'000}; };
  cfg.max_message_bytes = 4096;
  SessionHub hub(cfg, handler);
  Instant now{seconds(1)};
  hub.on_open(now, 1, "fuzz");
  hub.on_message(now, 1, R"({"type":"hello","id":"h"})");
  ConnectionId conn = 1;
  std::size_t n = 0;
  while (!input.empty()) {
    auto nl = input.find('\n');
    std::string_view msg = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
    hub.on_message(now, conn, msg);
    now += milliseconds(10);
    if (++n == 8) {  // drop the socket and come back on another one
      hub.on_close(now, conn);
      conn = 2;
      hub.on_open(now, conn, "fuzz");
      hub.on_message(now, conn, R"({"type":"hello","id":"h2"})");
    }
    hub.handle_timeout(now);
    while (hub.poll_output()) {
    }
  }
  for (auto& sink : handler.sinks) sink->ended("hangup");
  now += seconds(120);
  hub.handle_timeout(now);
  while (hub.poll_output()) {
  }
  return 0;
}
