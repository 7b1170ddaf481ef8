// Fuzz target: the TURN engines on arbitrary bytes. The first byte picks the
// entry point: the server's client path over UDP, the server's client path
// over a TCP stream (StreamFramer), the server's relay path, or the client
// Allocation's input. Each run starts from an allocation with a permission
// and a channel, so Send indications and ChannelData reach deep code.
#include <cstdint>

#include "ice/turn/channel_data.hpp"
#include "ice/turn/turn_client.hpp"
#include "ice/turn/turn_server.hpp"
#include "turn_test_util.hpp"

using namespace floe;
using namespace floe::turn;

namespace {

void drain_all(TurnServer& s) {
  while (s.poll_output()) {
  }
}

// Drives a fresh server to "allocated, permission and channel 0x4000 to the peer".
void prepare(TurnServer& s, const FiveTuple& t, const SocketAddress& peer, Instant now) {
  test::ScriptedClient c;
  c.with_auth = false;
  s.handle_client(now, t, c.request(stun::method::Allocate, test::ScriptedClient::udp));
  const ServerOutput* o = s.poll_output();
  if (!o) __builtin_trap();
  auto m = stun::Message::parse(o->data);
  if (!m || !m->string(stun::attr::Nonce)) __builtin_trap();
  c.nonce = std::string(*m->string(stun::attr::Nonce));
  drain_all(s);
  c.with_auth = true;
  s.handle_client(now, t, c.request(stun::method::Allocate, test::ScriptedClient::udp));
  s.handle_client(now, t, c.request(stun::method::ChannelBind, [&](stun::MessageBuilder& b) {
    b.add_u32(stun::attr::ChannelNumber, 0x4000u << 16);
    b.add_xor_address(stun::attr::XorPeerAddress, peer);
  }));
  drain_all(s);
  if (s.allocation_count() != 1) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0] % 4;
  ByteView in(data + 1, size - 1);
  const Instant now = test::t0();
  const SocketAddress peer = test::addr("198.51.100.7:6000");

  if (mode == 3) {
    ClientConfig cfg;
    cfg.server = test::addr("192.0.2.1:3478");
    cfg.username = "alice";
    cfg.password = "secret";
    Allocation a(now, cfg);
    while (!a.poll_transmit().empty()) {
    }
    if (auto r = a.handle_input(now, in)) {
      if (r->data.data() < in.data() || r->data.data() + r->data.size() > in.data() + in.size())
        __builtin_trap();  // Received must view into the input
    }
    a.handle_timeout(now + seconds(1));
    while (a.poll_event()) {
    }
    return 0;
  }

  ServerConfig cfg;
  cfg.auth.users = {{"alice", "secret"}};
  cfg.auth.rest_secret = "rest";
  test::FakeRelays relays;
  const std::uint8_t key[] = {1};
  TurnServer s(cfg, relays, WallClock{now, 1'700'000'000}, key);
  const Transport tr = mode == 1 ? Transport::Tcp : Transport::Udp;
  const FiveTuple t{test::addr("203.0.113.5:40000"), test::addr("192.0.2.1:3478"), tr};
  prepare(s, t, peer, now);
  const SocketAddress relay = s.find_allocation(t)->relays.front();

  if (mode == 0) {
    s.handle_client(now, t, in);
  } else if (mode == 1) {
    StreamFramer f;
    // Feed in two uneven pieces to exercise reassembly.
    const std::size_t cut = in.size() / 3;
    for (ByteView piece : {in.first(cut), in.subspan(cut)}) {
      if (!f.append(piece)) break;
      FrameKind kind;
      bool invalid = false;
      for (ByteView fr = f.front(&kind, &invalid); !fr.empty(); fr = f.front(&kind, &invalid)) {
        s.handle_client(now, t, fr);
        f.pop();
      }
      if (invalid) break;
    }
  } else {
    s.handle_relay(now, relay, peer, in);
  }
  while (const ServerOutput* o = s.poll_output()) {
    // Whatever reaches the client must itself parse as STUN or ChannelData.
    if (o->kind == ServerOutput::Kind::ToClient && !stun::Message::parse(o->data) &&
        !parse_channel_data(o->data))
      __builtin_trap();
  }
  s.handle_timeout(now + seconds(700));
  if (s.allocation_count() != 0) __builtin_trap();
  return 0;
}
