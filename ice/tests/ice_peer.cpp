// ice_peer: Floe's ICE agent on a real UDP socket, driven by line commands,
// so that interop scripts can pit it against third-party agents.
//
//   ice_peer --role controlling|controlled [--bind 127.0.0.1:0] [--agents N]
//            [--stun HOST:PORT] [--turn HOST:PORT --turn-user U --turn-pass P
//            [--turn-tcp | --turn-tls [--turn-ca PEM] [--turn-name HOST]
//            [--turn-no-verify]]] [--relay-only]
//
// --turn adds a relayed candidate (RelayGlue, one allocation on its own
// io::TurnLink: UDP, TCP or TLS to the server); --relay-only is WebRTC's
// iceTransportPolicy "relay": no host/srflx candidate is offered.
//
// Prints:  ufrag U / pwd P / candidate <sdp> / end-of-candidates /
//          state <s> / selected <local> <remote> <remote-type> /
//          selected-types <local-type> <remote-type> / data <text> / counters ...
// Reads:   remote-credentials U P / candidate <sdp> / end-of-candidates /
//          send <text> / counters / quit
// With --agents N > 1, N agents share ONE UDP socket (UdpMux, the gateway's
// single-port mode); every line then starts with "@<index> " both ways.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "ice/agent/relay_glue.hpp"
#include "ice/io/agent_driver.hpp"
#include "ice/io/turn_link.hpp"
#include "ice/io/udp_mux.hpp"

using namespace floe;
namespace asio = boost::asio;

namespace {

void say(const std::string& line) {
  std::cout << line << '\n';
  std::cout.flush();
}

struct Options {
  std::optional<SocketAddress> stun, turn;
  std::string turn_user, turn_pass;
  bool turn_tcp = false;
  bool turn_tls = false;
  std::string turn_ca, turn_name;
  bool turn_verify = true;
  bool relay_only = false;
};

template <typename Endpoint>
Endpoint endpoint_of(const SocketAddress& a) {
  sockaddr_storage ss{};
  const unsigned len = a.to_sockaddr(&ss);
  Endpoint ep;
  ep.resize(len);
  std::memcpy(ep.data(), &ss, len);
  return ep;
}

ice::IceConfig config_for(const Options& o) {
  ice::IceConfig c;
  if (!o.relay_only) c.gather.stun_server = o.stun;
  return c;
}

struct Agent {
  Agent(asio::io_context& io, int idx, bool prefixed, const Options& o)
      : driver(io, config_for(o)), glue(driver.agent()), index(idx), prefix(prefixed) {}
  void say(const std::string& line) const {
    ::say(prefix ? "@" + std::to_string(index) + " " + line : line);
  }
  io::IceAgentDriver driver;
  ice::RelayGlue glue;
  std::unique_ptr<io::TurnLink> turn;
  int index;
  bool prefix;
};

class Peer {
 public:
  Peer(asio::io_context& io, ice::IceRole role, int agents, Options opts)
      : io_(io), opts_(std::move(opts)), mux_(io, static_cast<std::size_t>(agents)),
        in_(io, ::dup(0)) {
    for (int i = 0; i < agents; ++i) {
      agents_.push_back(std::make_unique<Agent>(io, i, agents > 1, opts_));
      Agent* a = agents_.back().get();
      a->driver.agent().set_role(role);
      a->driver.on_event([a](const ice::IceOutput& o) { on_event(*a, o); });
      a->driver.on_data([a](ByteView d, const SocketAddress&) {
        a->say("data " + std::string(as_chars(d)));
      });
    }
  }

  bool start(const SocketAddress& bind) {
    if (auto ec = mux_.open(bind)) {
      std::cerr << "ice_peer: cannot bind " << bind.to_string() << ": " << ec.message() << '\n';
      return false;
    }
    for (auto& a : agents_) {
      const auto& creds = a->driver.agent().local_credentials();
      a->say("ufrag " + creds.ufrag);
      a->say("pwd " + creds.pwd);
      if (opts_.turn) {
        io::TurnServerSpec spec;
        spec.server = *opts_.turn;
        spec.transport = opts_.turn_tls   ? turn::Transport::Tls
                         : opts_.turn_tcp ? turn::Transport::Tcp
                                          : turn::Transport::Udp;
        spec.username = opts_.turn_user;
        spec.password = opts_.turn_pass;
        spec.ca_file = opts_.turn_ca;
        spec.server_name = opts_.turn_name;
        spec.verify = opts_.turn_verify;
        auto* driver = &a->driver;
        a->turn = std::make_unique<io::TurnLink>(
            io_, spec,
            [driver](std::span<std::uint8_t> b, std::size_t) { driver->on_server_input(0, b); },
            [](const std::string& why) { std::cerr << "ice_peer: TURN link: " << why << '\n'; });
        if (auto err = a->turn->open(bind.ip())) {
          std::cerr << "ice_peer: " << *err << '\n';
          return false;
        }
        io::TurnLink* link = a->turn.get();
        a->driver.set_relay(a->glue, [link](std::size_t, ByteView b) { link->send(b); });
        a->glue.add_server(Clock::now(), spec.client_config(std::time(nullptr)));
      }
      // iceTransportPolicy "relay": the socket stays open for nothing but
      // no host (nor srflx) candidate is gathered.
      if (!opts_.relay_only) a->driver.add_socket(mux_);
      a->driver.end_of_local_addresses();
    }
    read_line();
    return true;
  }

 private:
  static void on_event(const Agent& a, const ice::IceOutput& o) {
    if (auto* c = std::get_if<ice::LocalCandidate>(&o)) {
      a.say(ice::format_candidate(c->candidate));
    } else if (std::get_if<ice::GatheringComplete>(&o)) {
      a.say("end-of-candidates");
    } else if (auto* s = std::get_if<ice::StateChanged>(&o)) {
      a.say(std::string("state ") + ice::to_string(s->state));
    } else if (auto* p = std::get_if<ice::SelectedPairChanged>(&o)) {
      a.say("selected " + p->local.base.to_string() + " " + p->remote.address.to_string() + " " +
          ice::to_string(p->remote.type));
      a.say(std::string("selected-types ") + ice::to_string(p->local.type) + " " +
          ice::to_string(p->remote.type));
    }
  }

  void read_line() {
    asio::async_read_until(in_, buf_, '\n', [this](boost::system::error_code ec, std::size_t n) {
      if (ec) {
        io_.stop();
        return;
      }
      std::string line(asio::buffers_begin(buf_.data()), asio::buffers_begin(buf_.data()) + n);
      buf_.consume(n);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (!command(line)) {
        io_.stop();
        return;
      }
      read_line();
    });
  }

  bool command(std::string line) {
    Agent* target = agents_.front().get();
    if (line.starts_with("@")) {
      auto sp = line.find(' ');
      int idx = std::atoi(line.c_str() + 1);
      if (sp == std::string::npos || idx < 0 || idx >= static_cast<int>(agents_.size())) {
        std::cerr << "ice_peer: bad agent prefix\n";
        return true;
      }
      target = agents_[static_cast<std::size_t>(idx)].get();
      line = line.substr(sp + 1);
    }
    auto& driver = target->driver;
    auto& agent = driver.agent();
    auto space = line.find(' ');
    const std::string verb = line.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (verb == "quit") return false;
    if (verb == "remote-credentials") {
      auto sp = rest.find(' ');
      agent.set_remote_credentials(rest.substr(0, sp), rest.substr(sp + 1));
    } else if (verb.starts_with("candidate")) {
      auto r = agent.add_remote_candidate(line);
      // Duplicate is normal: the peer's checks may have taught us the address
      // (peer-reflexive) before its candidate line arrived.
      if (r != ice::RemoteCandidateResult::Added && r != ice::RemoteCandidateResult::Duplicate)
        std::cerr << "ice_peer: candidate ignored (" << static_cast<int>(r) << ")\n";
    } else if (verb == "end-of-candidates") {
      agent.end_of_remote_candidates();
    } else if (verb == "send") {
      if (!driver.send(as_bytes(rest))) target->say("send-failed");
    } else if (verb == "counters") {
      const auto& c = agent.counters();
      target->say("counters checks_sent=" + std::to_string(c.checks_sent) +
          " role_conflicts=" + std::to_string(c.role_conflicts) +
          " bad_integrity=" + std::to_string(c.bad_integrity) +
          " remote_prflx=" + std::to_string(c.remote_prflx_learned) +
          " consent_responses=" + std::to_string(c.consent_responses) +
          " demux_by_ufrag=" + std::to_string(mux_.demux().counters().routed_by_ufrag) +
          " demux_by_tuple=" + std::to_string(mux_.demux().counters().routed_by_tuple) +
          relay_counters(*target));
    } else if (!verb.empty()) {
      std::cerr << "ice_peer: unknown command " << verb << '\n';
    }
    driver.pump();
    return true;
  }

  static std::string relay_counters(Agent& a) {
    if (a.glue.server_count() == 0) return "";
    const auto& c = a.glue.counters();
    const auto& st = a.glue.allocation(0).stats();
    return " relayed_transmits=" + std::to_string(c.relayed_transmits) +
        " channels_bound=" + std::to_string(c.channels_bound) +
        " turn_channel_data_sent=" + std::to_string(st.sent_channel_data) +
        " turn_channel_data_received=" + std::to_string(st.received_channel_data);
  }

  asio::io_context& io_;
  Options opts_;
  io::UdpMux mux_;  // declared before the agents: it must outlive them
  std::vector<std::unique_ptr<Agent>> agents_;
  asio::posix::stream_descriptor in_;
  asio::streambuf buf_;
};

}  // namespace

int main(int argc, char** argv) {
  ice::IceRole role = ice::IceRole::Controlling;
  SocketAddress bind = *SocketAddress::parse("127.0.0.1:0");
  int agents = 1;
  Options opts;
  auto addr_arg = [&](int& i, std::optional<SocketAddress>& out) {
    if (i + 1 >= argc) return false;
    out = SocketAddress::parse(argv[++i]);
    return out.has_value();
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--role" && i + 1 < argc) {
      std::string r = argv[++i];
      role = r == "controlled" ? ice::IceRole::Controlled : ice::IceRole::Controlling;
    } else if (a == "--bind" && i + 1 < argc) {
      auto b = SocketAddress::parse(argv[++i]);
      if (!b) {
        std::cerr << "ice_peer: bad --bind\n";
        return 2;
      }
      bind = *b;
    } else if (a == "--agents" && i + 1 < argc) {
      agents = std::atoi(argv[++i]);
      if (agents < 1 || agents > 1000) {
        std::cerr << "ice_peer: bad --agents\n";
        return 2;
      }
    } else if (a == "--stun") {
      if (!addr_arg(i, opts.stun)) return std::cerr << "ice_peer: bad --stun\n", 2;
    } else if (a == "--turn") {
      if (!addr_arg(i, opts.turn)) return std::cerr << "ice_peer: bad --turn\n", 2;
    } else if (a == "--turn-user" && i + 1 < argc) {
      opts.turn_user = argv[++i];
    } else if (a == "--turn-pass" && i + 1 < argc) {
      opts.turn_pass = argv[++i];
    } else if (a == "--turn-tcp") {
      opts.turn_tcp = true;
    } else if (a == "--turn-tls") {
      opts.turn_tls = true;
    } else if (a == "--turn-ca" && i + 1 < argc) {
      opts.turn_ca = argv[++i];
    } else if (a == "--turn-name" && i + 1 < argc) {
      opts.turn_name = argv[++i];
    } else if (a == "--turn-no-verify") {
      opts.turn_verify = false;
    } else if (a == "--relay-only") {
      opts.relay_only = true;
    } else {
      std::cerr << "usage: ice_peer [--role controlling|controlled] [--bind IP:PORT] [--agents N]\n";
      return 2;
    }
  }
  asio::io_context io;
  if (opts.relay_only && !opts.turn) {
    std::cerr << "ice_peer: --relay-only needs --turn\n";
    return 2;
  }
  Peer peer(io, role, agents, opts);
  if (!peer.start(bind)) return 1;
  io.run();
  return 0;
}
