// turn_engine_bench: the TURN server engine alone (no sockets), on one core.
// Prints allocations per second (each one a 401 challenge plus an
// authenticated Allocate, then a Refresh 0) and relayed packets per second
// (ChannelData client->peer and peer->client, 100-byte payloads).
//   turn_engine_bench [allocations=20000] [packets=2000000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "ice/stun/credentials.hpp"
#include "ice/turn/attributes.hpp"
#include "ice/turn/channel_data.hpp"
#include "ice/turn/turn_server.hpp"

using namespace floe;
using namespace floe::turn;

namespace {

class Relays : public RelayProvider {
 public:
  bool supports(Family f) const override { return f == Family::V4; }
  std::optional<RelayGrant> open_relay(const RelayRequest&) override {
    const auto port = static_cast<std::uint16_t>(next_++ % 60000 + 1024);
    return RelayGrant{SocketAddress(*IpAddress::parse("192.0.2.1"), port), std::nullopt};
  }
  void close_relay(const SocketAddress&) override {}

 private:
  std::uint32_t next_ = 0;
};

Bytes request(std::uint16_t method, const std::string& nonce, const Bytes& key,
              const std::function<void(stun::MessageBuilder&)>& fill) {
  Bytes out;
  stun::MessageBuilder b(out, stun::Class::Request, method, stun::random_transaction_id());
  fill(b);
  if (!key.empty()) {
    b.add_string(stun::attr::Username, "alice");
    b.add_string(stun::attr::Realm, "floe");
    b.add_string(stun::attr::Nonce, nonce);
    b.add_integrity(key);
  }
  return out;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int allocations = argc > 1 ? std::atoi(argv[1]) : 20000;
  const long packets = argc > 2 ? std::atol(argv[2]) : 2000000;
  ServerConfig cfg;
  cfg.auth.users = {{"alice", "secret"}};
  cfg.limits.max_allocations_per_user = allocations + 1;
  cfg.limits.max_allocations_total = allocations + 1;
  Relays relays;
  const std::uint8_t secret[] = {1, 2, 3};
  const Instant now = Clock::now();
  TurnServer server(cfg, relays, WallClock{now, 1'700'000'000}, secret);
  const Bytes key = stun::long_term_key("alice", "floe", "secret");
  auto udp = [](stun::MessageBuilder& b) {
    b.add_u32(stun::attr::RequestedTransport, std::uint32_t{kProtocolUdp} << 24);
  };

  // Allocations: challenge, Allocate, Refresh 0 per client 5-tuple.
  auto t = Clock::now();
  int ok = 0;
  for (int i = 0; i < allocations; ++i) {
    const FiveTuple tuple{SocketAddress(IpAddress::v4(0xCB007100u + (i >> 16)),
                                        static_cast<std::uint16_t>(i)),
                          *SocketAddress::parse("192.0.2.1:3478"), Transport::Udp};
    server.handle_client(now, tuple, request(stun::method::Allocate, "", {}, udp));
    const ServerOutput* o = server.poll_output();
    auto m = stun::Message::parse(o->data);
    const std::string nonce(*m->string(stun::attr::Nonce));
    while (server.poll_output()) {
    }
    server.handle_client(now, tuple, request(stun::method::Allocate, nonce, key, udp));
    o = server.poll_output();
    if (o && stun::Message::parse(o->data)->cls() == stun::Class::Success) ++ok;
    while (server.poll_output()) {
    }
    server.handle_client(now, tuple, request(stun::method::Refresh, nonce, key, [](auto& b) {
      b.add_u32(stun::attr::Lifetime, 0);
    }));
    while (server.poll_output()) {
    }
  }
  const double alloc_s = seconds_since(t);
  std::printf("allocations: %d ok of %d in %.3f s = %.0f allocations/s (challenge + Allocate + "
              "Refresh 0 each)\n",
              ok, allocations, alloc_s, allocations / alloc_s);

  // Relay path: one allocation, one channel.
  const FiveTuple tuple{*SocketAddress::parse("203.0.113.5:40000"),
                        *SocketAddress::parse("192.0.2.1:3478"), Transport::Udp};
  server.handle_client(now, tuple, request(stun::method::Allocate, "", {}, udp));
  auto m0 = stun::Message::parse(server.poll_output()->data);
  const std::string nonce(*m0->string(stun::attr::Nonce));
  while (server.poll_output()) {
  }
  server.handle_client(now, tuple, request(stun::method::Allocate, nonce, key, udp));
  while (server.poll_output()) {
  }
  const SocketAddress peer = *SocketAddress::parse("198.51.100.7:6000");
  server.handle_client(now, tuple, request(stun::method::ChannelBind, nonce, key, [&](auto& b) {
    b.add_u32(stun::attr::ChannelNumber, 0x4000u << 16);
    b.add_xor_address(stun::attr::XorPeerAddress, peer);
  }));
  while (server.poll_output()) {
  }
  const SocketAddress relay = server.find_allocation(tuple)->relays.front();
  Bytes cd;
  write_channel_data(cd, 0x4000, Bytes(100, 0x55), false);
  const Bytes payload(100, 0x66);
  std::uint64_t bytes_out = 0;
  t = Clock::now();
  for (long i = 0; i < packets / 2; ++i) {
    server.handle_client(now, tuple, cd);
    server.handle_relay(now, relay, peer, payload);
    while (const ServerOutput* o = server.poll_output()) bytes_out += o->data.size();
  }
  const double relay_s = seconds_since(t);
  std::printf("relay: %ld packets (ChannelData both ways, 100 B) in %.3f s = %.0f packets/s; "
              "%llu bytes out\n",
              packets, relay_s, packets / relay_s, static_cast<unsigned long long>(bytes_out));
  const auto& c = server.counters();
  return (ok == allocations && c.to_peer_packets + c.to_client_packets >= std::uint64_t(packets))
             ? 0 : 1;
}
