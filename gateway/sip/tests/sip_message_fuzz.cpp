// Fuzz target: the SIP parser, the typed header views and the stream framer
// on arbitrary bytes. Whatever parses must re-serialize to something that
// parses again with the same start line and headers.
#include <cstdint>

#include "gateway/sip/framer.hpp"
#include "gateway/sip/parser.hpp"
#include "gateway/sip/session_timer.hpp"
#include "gateway/sip/user_agent.hpp"

using namespace floe;
using namespace floe::sip;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  auto r = parse_message(in);
  if (r.ok) {
    const Message& m = r.message;
    (void)m.top_via();
    (void)m.cseq();
    (void)m.from();
    (void)m.to();
    for (const char* n : {"Contact", "Route", "Record-Route"}) (void)m.name_addrs(n);
    for (auto v : m.all("Via")) (void)Via::parse(v);
    // RFC 4028 / RFC 3262 header views.
    if (auto se = session_expires_of(m)) (void)SessionExpires::parse(se->to_string());
    (void)min_se_of(m);
    (void)has_option_tag(m, "Require", "100rel");
    auto again = parse_message(m.serialize());
    if (!again.ok) __builtin_trap();
    if (again.message.headers.size() != m.headers.size() - m.count("Content-Length") + 1)
      __builtin_trap();
    if (again.message.body != m.body) __builtin_trap();
    if (m.is_request() && again.message.method != m.method) __builtin_trap();
    if (m.is_response() && again.message.status != m.status) __builtin_trap();
  }
  // The whole UA core on the same bytes: whatever it answers must parse.
  {
    static UserAgent* ua = [] {
      UserAgentConfig c;
      c.host = "127.0.0.1";
      static UserAgent agent(c);
      return &agent;
    }();
    static Instant now{};
    now += milliseconds(100);
    ua->handle_input(now, Transport::Udp, *SocketAddress::parse("127.0.0.1:5070"), in);
    ua->handle_timeout(now);
    while (auto t = ua->poll_transmit())
      if (!parse_message(t->bytes).ok) __builtin_trap();
    while (auto e = ua->poll_event()) {
      if (e->kind == UaEvent::Kind::IncomingRequest) ua->respond(now, e->id, ua->make_response(e->id, 200));
    }
    while (auto t = ua->poll_transmit())
      if (!parse_message(t->bytes).ok) __builtin_trap();
  }
  // Stream framing: feed in two chunks.
  StreamFramer framer;
  std::size_t half = size / 2;
  framer.push(in.subspan(0, half));
  while (auto msg = framer.next()) (void)parse_message(*msg);
  framer.push(in.subspan(half));
  int n = 0;
  while (auto msg = framer.next()) {
    (void)parse_message(*msg);
    if (++n > 100000) __builtin_trap();
  }
  return 0;
}
