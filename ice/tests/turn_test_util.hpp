#pragma once
// Shared pieces for the TURN engine tests: a fake relay provider (addresses
// without sockets) and a scripted client that builds raw requests.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ice/stun/credentials.hpp"
#include "ice/stun/message.hpp"
#include "ice/turn/attributes.hpp"
#include "ice/turn/relay_provider.hpp"
#include "ice/turn/turn_server.hpp"

namespace floe::turn::test {

inline SocketAddress addr(const char* s) { return *SocketAddress::parse(s); }
inline Instant t0() { return Instant{} + std::chrono::hours(1000); }

class FakeRelays : public RelayProvider {
 public:
  bool v6 = true;
  std::uint16_t next_port = 50000;
  std::size_t capacity = 1000;
  std::set<SocketAddress> open;
  std::vector<SocketAddress> closed;

  bool supports(Family f) const override { return f == Family::V4 || v6; }
  std::optional<RelayGrant> open_relay(const RelayRequest& req) override {
    if (open.size() >= capacity || !supports(req.family)) return std::nullopt;
    if (req.even && next_port % 2) ++next_port;
    const IpAddress ip = req.family == Family::V4 ? *IpAddress::parse("192.0.2.1")
                                                  : *IpAddress::parse("2001:db8::1");
    RelayGrant g{SocketAddress(ip, next_port++), std::nullopt};
    open.insert(g.relay);
    if (req.reserve_next) {
      g.reserved = SocketAddress(ip, next_port++);
      open.insert(*g.reserved);
    }
    return g;
  }
  void close_relay(const SocketAddress& r) override {
    open.erase(r);
    closed.push_back(r);
  }
};

// Builds requests the way a TURN client would, with long-term credentials.
struct ScriptedClient {
  std::string user = "alice", password = "secret", realm = "floe", nonce;
  bool with_auth = true;
  stun::TransactionId last_tid{};

  Bytes request(std::uint16_t method, const std::function<void(stun::MessageBuilder&)>& fill) {
    Bytes out;
    last_tid = stun::random_transaction_id();
    stun::MessageBuilder b(out, stun::Class::Request, method, last_tid);
    fill(b);
    if (with_auth) {
      b.add_string(stun::attr::Username, user);
      b.add_string(stun::attr::Realm, realm);
      b.add_string(stun::attr::Nonce, nonce);
      b.add_integrity(stun::long_term_key(user, realm, password));
    }
    return out;
  }
  static void udp(stun::MessageBuilder& b) {
    b.add_u32(stun::attr::RequestedTransport, std::uint32_t{kProtocolUdp} << 24);
  }
};

// Collected outputs of one server step, copied out of the engine.
struct Outputs {
  std::vector<ServerOutput> to_client, to_peer;
};
inline Outputs drain(TurnServer& s) {
  Outputs o;
  while (const ServerOutput* out = s.poll_output())
    (out->kind == ServerOutput::Kind::ToClient ? o.to_client : o.to_peer).push_back(*out);
  return o;
}

}  // namespace floe::turn::test
