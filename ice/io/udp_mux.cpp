#include "ice/io/udp_mux.hpp"

#include "ice/io/agent_driver.hpp"

namespace floe::io {

UdpMux::UdpMux(boost::asio::io_context& io, std::size_t expected_agents)
    : socket_(io), batch_(64, 2048), demux_(expected_agents) {
  drivers_.reserve(expected_agents);
}

UdpMux::~UdpMux() { close(); }

std::error_code UdpMux::open(const SocketAddress& local) {
  if (auto ec = socket_.open(local, 1 << 20)) return ec;
  local_ = socket_.local_address();
  open_ = true;
  arm();
  return {};
}

void UdpMux::close() {
  open_ = false;
  socket_.close();
}

ice::AgentId UdpMux::attach(IceAgentDriver& driver) {
  const auto id = next_id_++;
  drivers_[id] = &driver;
  return id;
}

void UdpMux::detach(ice::AgentId id) {
  drivers_.erase(id);
  demux_.remove_agent(id);
}

void UdpMux::arm() {
  if (!open_) return;
  socket_.async_wait_readable([this](std::error_code ec) {
    if (ec || !open_) return;
    on_readable();
  });
}

void UdpMux::on_readable() {
  // Drain what is queued, a batch per system call, then wait again.
  for (int rounds = 0; rounds < 16; ++rounds) {
    const auto n = socket_.receive(batch_);
    for (std::size_t i = 0; i < n; ++i) {
      ++received_;
      auto from = batch_.peer(i);
      if (!from || batch_.truncated(i)) {
        ++unroutable_;
        continue;
      }
      const auto bytes = batch_.data(i);
      auto id = demux_.route(local_, *from, bytes);
      auto it = id ? drivers_.find(*id) : drivers_.end();
      if (it == drivers_.end()) {
        ++unroutable_;
        continue;
      }
      it->second->on_datagram(local_, *from, bytes);
    }
    if (n < batch_.capacity()) break;
  }
  arm();
}

}  // namespace floe::io
