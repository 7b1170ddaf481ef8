#include "gateway/webrtc/media_port.hpp"

#include <cstring>

#include "ice/stun/message.hpp"

namespace floe::webrtc {

MediaPort::MediaPort(boost::asio::io_context& io, std::size_t expected_calls)
    : io_(io), demux_(expected_calls) {
  endpoints_.reserve(expected_calls);
}

MediaPort::~MediaPort() { close(); }

std::error_code MediaPort::open(const std::vector<SocketAddress>& addresses,
                                bool skip_unbindable,
                                std::vector<std::pair<SocketAddress, std::error_code>>* skipped) {
  std::uint16_t port = 0;
  std::error_code last;
  for (auto addr : addresses) {
    if (port != 0 && addr.port() == 0) addr = SocketAddress(addr.ip(), port);
    Socket s;
    s.socket = std::make_unique<io::UdpSocket>(io_);
    if (auto ec = s.socket->open(addr, 1 << 20)) {
      if (skip_unbindable) {
        if (skipped) skipped->emplace_back(addr, ec);
        last = ec;
        continue;
      }
      close();
      return ec;
    }
    s.local = s.socket->local_address();
    if (port == 0) port = s.local.port();
    s.batch = std::make_unique<io::RecvBatch>(64, 2048);
    s.stun_id = stun_.add_socket({s.local, stun::Transport::Udp, 0, false, false});
    locals_.push_back(s.local);
    sockets_.push_back(std::move(s));
  }
  if (sockets_.empty()) return last ? last : std::make_error_code(std::errc::address_not_available);
  open_ = true;
  for (std::size_t i = 0; i < sockets_.size(); ++i) arm(i);
  return {};
}

void MediaPort::close() {
  open_ = false;
  for (auto& s : sockets_) s.socket->close();
}

ice::AgentId MediaPort::attach(MediaEndpoint& endpoint) {
  const auto id = next_id_++;
  endpoints_[id] = &endpoint;
  return id;
}

void MediaPort::detach(ice::AgentId id) {
  endpoints_.erase(id);
  demux_.remove_agent(id);
}

bool MediaPort::send_to(const SocketAddress& local, ByteView bytes, const SocketAddress& to) {
  for (auto& s : sockets_)
    if (s.local == local) {
      if (s.socket->send_to(bytes, to)) return true;
      break;
    }
  ++counters_.send_failures;
  return false;
}

void MediaPort::arm(std::size_t index) {
  if (!open_) return;
  sockets_[index].socket->async_wait_readable([this, index](std::error_code ec) {
    if (ec || !open_) return;
    on_readable(index);
  });
}

bool MediaPort::answer_plain_stun(Socket& s, const SocketAddress& from, ByteView bytes) {
  // Only plain Binding requests: an ICE check for a ufrag we do not know
  // (a call that ended) must stay unanswered (RFC 8445 §7.3).
  auto m = stun::Message::parse(bytes);
  if (!m || m->cls() != stun::Class::Request || m->method() != stun::method::Binding ||
      m->has(stun::attr::Username))
    return false;
  stun_.handle_input(Clock::now(), s.stun_id, from, bytes);
  while (auto tx = stun_.poll_output()) {
    s.socket->send_to(tx->data, tx->to);
    ++counters_.stun_answered;
  }
  return true;
}

void MediaPort::on_readable(std::size_t index) {
  auto& s = sockets_[index];
  // Drain what is queued, a batch per system call, then wait again.
  for (int rounds = 0; rounds < 16; ++rounds) {
    const auto n = s.socket->receive(*s.batch);
    for (std::size_t i = 0; i < n; ++i) {
      ++counters_.received;
      auto from = s.batch->peer(i);
      if (!from || s.batch->truncated(i)) {
        ++counters_.truncated;
        continue;
      }
      const auto bytes = s.batch->data(i);
      ice::PacketClass cls{};
      auto id = demux_.route(s.local, *from, bytes, &cls);
      auto it = id ? endpoints_.find(*id) : endpoints_.end();
      if (it == endpoints_.end()) {
        if (cls != ice::PacketClass::Stun || !answer_plain_stun(s, *from, bytes))
          ++counters_.unroutable;
        continue;
      }
      // The endpoint works in place (SRTP unprotect, RTP rewrite, protect):
      // copy into scratch, which has room for the SRTP trailer.
      std::memcpy(scratch_.data(), bytes.data(), bytes.size());
      it->second->on_datagram(s.local, *from, scratch_, bytes.size());
      if (!open_) return;
    }
    if (n < s.batch->capacity()) break;
  }
  arm(index);
}

}  // namespace floe::webrtc
