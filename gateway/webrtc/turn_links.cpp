#include "gateway/webrtc/turn_links.hpp"

#include <cstdio>
#include <ctime>

namespace floe::webrtc {

TurnLinks::TurnLinks(boost::asio::io_context& io, MediaEndpoint& leg, WebRtcTransport& transport,
                     const std::vector<io::TurnServerSpec>& servers)
    : leg_(leg), transport_(transport) {
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const SocketAddress server = servers[i].server;
    auto receive = [this, i, server](std::span<std::uint8_t> bytes, std::size_t spare) {
      auto local = links_[i]->local_address();
      if (!local) return;
      transport_.set_relay_link(i, *local);
      leg_.on_datagram(*local, server, std::span(bytes.data(), bytes.size() + spare),
                       bytes.size());
    };
    auto closed = [server](const std::string& why) {
      std::fprintf(stderr, "floe gateway: TURN server %s: %s\n", server.to_string().c_str(),
                   why.c_str());
    };
    links_.push_back(std::make_unique<io::TurnLink>(io, servers[i], receive, closed));
    if (auto err = links_.back()->open())
      std::fprintf(stderr, "floe gateway: TURN server %s: %s\n", server.to_string().c_str(),
                   err->c_str());
  }
  transport_.set_relay_sender([this](std::size_t i, ByteView bytes) {
    if (i < links_.size()) links_[i]->send(bytes);
  });
}

TurnLinks::~TurnLinks() {
  // Free the relays and the user's allocation quota now (UDP; a TCP/TLS
  // allocation dies with its connection anyway).
  transport_.release_relays(Clock::now());
  transport_.set_relay_sender(nullptr);
  for (auto& l : links_) l->close();
}

std::vector<turn::ClientConfig> turn_client_configs(const std::vector<io::TurnServerSpec>& servers) {
  std::vector<turn::ClientConfig> out;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  for (const auto& s : servers) out.push_back(s.client_config(now));
  return out;
}

}  // namespace floe::webrtc
