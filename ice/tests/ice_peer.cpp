// ice_peer: Floe's ICE agent on a real UDP socket, driven by line commands,
// so that interop scripts can pit it against third-party agents.
//
//   ice_peer --role controlling|controlled [--bind 127.0.0.1:0] [--agents N]
//
// Prints:  ufrag U / pwd P / candidate <sdp> / end-of-candidates /
//          state <s> / selected <local> <remote> / data <text> / counters ...
// Reads:   remote-credentials U P / candidate <sdp> / end-of-candidates /
//          send <text> / counters / quit
// With --agents N > 1, N agents share ONE UDP socket (UdpMux, the gateway's
// single-port mode); every line then starts with "@<index> " both ways.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "ice/io/agent_driver.hpp"
#include "ice/io/udp_mux.hpp"

using namespace floe;
namespace asio = boost::asio;

namespace {

void say(const std::string& line) {
  std::cout << line << '\n';
  std::cout.flush();
}

struct Agent {
  Agent(asio::io_context& io, int idx, bool prefixed) : driver(io), index(idx), prefix(prefixed) {}
  void say(const std::string& line) const {
    ::say(prefix ? "@" + std::to_string(index) + " " + line : line);
  }
  io::IceAgentDriver driver;
  int index;
  bool prefix;
};

class Peer {
 public:
  Peer(asio::io_context& io, ice::IceRole role, int agents)
      : io_(io), mux_(io, static_cast<std::size_t>(agents)), in_(io, ::dup(0)) {
    for (int i = 0; i < agents; ++i) {
      agents_.push_back(std::make_unique<Agent>(io, i, agents > 1));
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
      a->driver.add_socket(mux_);
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
          " demux_by_tuple=" + std::to_string(mux_.demux().counters().routed_by_tuple));
    } else if (!verb.empty()) {
      std::cerr << "ice_peer: unknown command " << verb << '\n';
    }
    driver.pump();
    return true;
  }

  asio::io_context& io_;
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
    } else {
      std::cerr << "usage: ice_peer [--role controlling|controlled] [--bind IP:PORT] [--agents N]\n";
      return 2;
    }
  }
  asio::io_context io;
  Peer peer(io, role, agents);
  if (!peer.start(bind)) return 1;
  io.run();
  return 0;
}
