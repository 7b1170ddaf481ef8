// Throughput of the SIP engine on one core, no sockets:
//   parse        parse_message() on a 600-byte INVITE with SDP
//   serialize    Message::serialize() of the same
//   options      UserAgent answering an OPTIONS (parse, transaction, 200 out)
//   calls        two UserAgents in memory doing INVITE/180/200/ACK/BYE/200
// Usage: sip_bench [seconds-per-case [case [ops]]]   (build with -DCMAKE_BUILD_TYPE=Release)
// With `ops` the case runs exactly that many operations instead of a time.
// The virtual clock advances 1 ms per operation, so "calls" is 1000 calls/s
// of virtual time: after 32 s of it the lingering transactions (timers
// D/J/K/L/M) reach their steady state, which is what peak RSS measures:
//   /usr/bin/time -v sip_bench 0 calls 40000   ("Maximum resident set size")
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gateway/sip/parser.hpp"
#include "gateway/sip/user_agent.hpp"

using namespace floe;
using namespace floe::sip;

namespace {

const std::string kInvite =
    "INVITE sip:bob@127.0.0.1:5070 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@127.0.0.1:5070>\r\n"
    "From: \"Alice\" <sip:alice@127.0.0.1>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@127.0.0.1\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@127.0.0.1:5060>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
    "Supported: timer, replaces\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 129\r\n\r\n"
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

const char* g_only = nullptr;
long g_ops = 0;

template <typename F>
void bench(const char* name, double seconds_budget, F&& body) {
  if (g_only && std::string(g_only) != name) return;
  using C = std::chrono::steady_clock;
  auto start = C::now();
  long n = 0;
  while (g_ops > 0 ? n < g_ops
                   : std::chrono::duration<double>(C::now() - start).count() < seconds_budget) {
    for (int i = 0; i < 100; ++i) body();
    n += 100;
  }
  double s = std::chrono::duration<double>(C::now() - start).count();
  std::printf("%-10s %10.0f ops/s  %8.2f us/op  (%ld ops)\n", name, n / s, 1e6 * s / n, n);
}

void pump(UserAgent& from, UserAgent& to, Instant now, const SocketAddress& src) {
  while (auto t = from.poll_transmit()) to.handle_input(now, Transport::Udp, src, t->bytes);
}

}  // namespace

int main(int argc, char** argv) {
  double budget = argc > 1 ? std::atof(argv[1]) : 2.0;
  if (argc > 2) g_only = argv[2];
  if (argc > 3) g_ops = std::atol(argv[3]);
  auto bytes = as_bytes(kInvite);
  bench("parse", budget, [&] {
    auto r = parse_message(bytes);
    if (!r.ok) std::abort();
  });
  auto parsed = parse_message(bytes).message;
  bench("serialize", budget, [&] {
    auto b = parsed.serialize();
    if (b.empty()) std::abort();
  });

  UserAgentConfig uc;
  uc.host = "127.0.0.1";
  uc.port = 5060;
  UserAgent server(uc);
  Instant now{};
  long branch = 0;
  const auto peer = *SocketAddress::parse("127.0.0.1:5070");
  bench("options", budget, [&] {
    std::string m = "OPTIONS sip:floe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" +
                    std::to_string(++branch) +
                    "\r\nMax-Forwards: 70\r\nFrom: <sip:p@127.0.0.1>;tag=1\r\nTo: <sip:floe@127.0.0.1>\r\n"
                    "Call-ID: o" + std::to_string(branch) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    server.handle_input(now, Transport::Udp, peer, as_bytes(m));
    if (!server.poll_transmit()) std::abort();
    now += milliseconds(1);
    server.handle_timeout(now);  // reaps transactions whose timer J expired
  });

  UserAgentConfig ac = uc;
  ac.port = 5070;
  UserAgent alice(ac), bob(uc);
  const auto a_addr = *SocketAddress::parse("127.0.0.1:5070");
  const auto b_addr = *SocketAddress::parse("127.0.0.1:5060");
  Uri bob_uri = *Uri::parse("sip:bob@127.0.0.1:5060");
  Uri alice_uri = *Uri::parse("sip:alice@127.0.0.1:5070");
  Bytes sdp(kInvite.end() - 129, kInvite.end());
  now = Instant{};
  bench("calls", budget, [&] {
    Message inv = alice.new_request("INVITE", bob_uri, bob_uri, alice_uri);
    inv.add("Content-Type", "application/sdp");
    inv.body = sdp;
    alice.send_request(now, std::move(inv));
    pump(alice, bob, now, a_addr);
    while (auto e = bob.poll_event()) {
      if (e->kind != UaEvent::Kind::IncomingRequest) continue;
      bob.respond(now, e->id, bob.make_response(e->id, 180));
      Message ok = bob.make_response(e->id, 200);
      ok.add("Content-Type", "application/sdp");
      ok.body = sdp;
      bob.respond(now, e->id, std::move(ok));
    }
    pump(bob, alice, now, b_addr);
    std::optional<DialogId> d;
    while (auto e = alice.poll_event())
      if (e->status == 200) d = e->dialog;
    if (!d) std::abort();
    pump(alice, bob, now, a_addr);  // ACK
    alice.send_in_dialog(now, *d, "BYE");
    pump(alice, bob, now, a_addr);
    pump(bob, alice, now, b_addr);
    while (alice.poll_event()) {}
    while (bob.poll_event()) {}
    now += milliseconds(1);
    alice.handle_timeout(now);
    bob.handle_timeout(now);
  });
  return 0;
}
