// ice_peer: Floe's ICE agent on a real UDP socket, driven by line commands,
// so that interop scripts can pit it against third-party agents.
//
//   ice_peer --role controlling|controlled [--bind 127.0.0.1:0]
//
// Prints:  ufrag U / pwd P / candidate <sdp> / end-of-candidates /
//          state <s> / selected <local> <remote> / data <text> / counters ...
// Reads:   remote-credentials U P / candidate <sdp> / end-of-candidates /
//          send <text> / counters / quit
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "ice/io/agent_driver.hpp"
#include "ice/io/udp_mux.hpp"

using namespace floe;
namespace asio = boost::asio;

namespace {

void say(const std::string& line) {
  std::cout << line << '\n';
  std::cout.flush();
}

class Peer {
 public:
  Peer(asio::io_context& io, ice::IceRole role) : io_(io), mux_(io), driver_(io), in_(io, ::dup(0)) {
    driver_.agent().set_role(role);
    driver_.on_event([this](const ice::IceOutput& o) { on_event(o); });
    driver_.on_data([](ByteView d, const SocketAddress&) { say("data " + std::string(as_chars(d))); });
  }

  bool start(const SocketAddress& bind) {
    if (auto ec = mux_.open(bind)) {
      std::cerr << "ice_peer: cannot bind " << bind.to_string() << ": " << ec.message() << '\n';
      return false;
    }
    const auto& creds = driver_.agent().local_credentials();
    say("ufrag " + creds.ufrag);
    say("pwd " + creds.pwd);
    driver_.add_socket(mux_);
    driver_.end_of_local_addresses();
    read_line();
    return true;
  }

 private:
  void on_event(const ice::IceOutput& o) {
    if (auto* c = std::get_if<ice::LocalCandidate>(&o)) {
      say(ice::format_candidate(c->candidate));
    } else if (std::get_if<ice::GatheringComplete>(&o)) {
      say("end-of-candidates");
    } else if (auto* s = std::get_if<ice::StateChanged>(&o)) {
      say(std::string("state ") + ice::to_string(s->state));
    } else if (auto* p = std::get_if<ice::SelectedPairChanged>(&o)) {
      say("selected " + p->local.base.to_string() + " " + p->remote.address.to_string() + " " +
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

  bool command(const std::string& line) {
    auto& agent = driver_.agent();
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
      if (!driver_.send(as_bytes(rest))) say("send-failed");
    } else if (verb == "counters") {
      const auto& c = agent.counters();
      say("counters checks_sent=" + std::to_string(c.checks_sent) +
          " role_conflicts=" + std::to_string(c.role_conflicts) +
          " bad_integrity=" + std::to_string(c.bad_integrity) +
          " remote_prflx=" + std::to_string(c.remote_prflx_learned) +
          " consent_responses=" + std::to_string(c.consent_responses));
    } else if (!verb.empty()) {
      std::cerr << "ice_peer: unknown command " << verb << '\n';
    }
    driver_.pump();
    return true;
  }

  asio::io_context& io_;
  io::UdpMux mux_;
  io::IceAgentDriver driver_;
  asio::posix::stream_descriptor in_;
  asio::streambuf buf_;
};

}  // namespace

int main(int argc, char** argv) {
  ice::IceRole role = ice::IceRole::Controlling;
  SocketAddress bind = *SocketAddress::parse("127.0.0.1:0");
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
    } else {
      std::cerr << "usage: ice_peer [--role controlling|controlled] [--bind IP:PORT]\n";
      return 2;
    }
  }
  asio::io_context io;
  Peer peer(io, role);
  if (!peer.start(bind)) return 1;
  io.run();
  return 0;
}
