#pragma once
// A scripted peer for UserAgent tests: parses what the UA transmits and
// crafts the peer's messages, all on a virtual clock.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/sip/parser.hpp"
#include "gateway/sip/user_agent.hpp"

namespace floe::sip::test {

inline const SocketAddress kPeer = *SocketAddress::parse("127.0.0.1:5070");

struct Sent {
  Transmit transmit;
  Message message;
};

inline std::vector<Sent> drain(UserAgent& ua) {
  std::vector<Sent> out;
  while (auto t = ua.poll_transmit()) {
    auto r = parse_message(t->bytes);
    EXPECT_TRUE(r.ok) << r.error_reason << "\n" << as_chars(t->bytes);
    out.push_back({std::move(*t), std::move(r.message)});
  }
  return out;
}

inline std::vector<UaEvent> events(UserAgent& ua) {
  std::vector<UaEvent> out;
  while (auto e = ua.poll_event()) out.push_back(std::move(*e));
  return out;
}

inline void deliver(UserAgent& ua, Instant now, const Message& m,
                    const SocketAddress& from = kPeer) {
  ua.handle_input(now, Transport::Udp, from, m.serialize());
}

inline void deliver_text(UserAgent& ua, Instant now, std::string text,
                         const SocketAddress& from = kPeer) {
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += "\r\n";
    else crlf += c;
  }
  ua.handle_input(now, Transport::Udp, from, as_bytes(crlf));
}

// The peer's response to a request the UA sent, with the peer's To tag.
inline Message reply(const Message& request, int status, const std::string& tag = "peer1") {
  return make_response(request, status, {}, status > 100 ? tag : std::string());
}

inline UserAgentConfig ua_config() {
  UserAgentConfig c;
  c.host = "127.0.0.1";
  c.port = 5060;
  c.user = "floe";
  return c;
}

inline long ms_since(Instant t, Instant t0) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(t - t0).count());
}

// Advances through timer events (transaction linger timers included) until
// the UA transmits something; `now` ends at that moment.
inline std::vector<Sent> run_until_sent(UserAgent& ua, Instant& now,
                                        Instant limit = Instant::max()) {
  while (true) {
    Instant t = ua.next_timeout();
    if (t == kNever || t > limit) return {};
    now = std::max(now, t);
    ua.handle_timeout(now);
    auto s = drain(ua);
    if (!s.empty()) return s;
  }
}

}  // namespace floe::sip::test
