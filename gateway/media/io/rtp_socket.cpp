#include "gateway/media/io/rtp_socket.hpp"

#include <cstring>

#include "gateway/media/rtp.hpp"

namespace floe::media::io {

namespace {
constexpr std::size_t kBatch = 32;
constexpr int kSocketBuffer = 1 << 19;
// Reads per readiness before yielding to other calls on the same thread.
constexpr int kMaxRounds = 8;
}  // namespace

RtpSocket::RtpSocket(boost::asio::io_context& io, RtpSocketReceiver& receiver)
    : io_(io), receiver_(receiver) {}

RtpSocket::~RtpSocket() { close(); }

std::error_code RtpSocket::bind(const SocketAddress& rtp, std::optional<SocketAddress> rtcp) {
  auto make = [&](const SocketAddress& at, Component c, std::unique_ptr<Part>& out,
                  SocketAddress& local) -> std::error_code {
    auto part = std::make_unique<Part>();
    part->socket = std::make_unique<floe::io::UdpSocket>(io_);
    if (auto ec = part->socket->open(at, kSocketBuffer)) return ec;
    part->batch = std::make_unique<floe::io::RecvBatch>(kBatch, kSlot);
    part->out = std::make_unique<floe::io::SendBatch>(kBatch, kScratch);
    part->component = c;
    local = part->socket->local_address();
    out = std::move(part);
    return {};
  };
  if (auto ec = make(rtp, Component::Rtp, rtp_, rtp_local_)) return ec;
  if (rtcp) {
    if (auto ec = make(*rtcp, Component::Rtcp, rtcp_, rtcp_local_)) {
      rtp_.reset();
      return ec;
    }
  }
  return {};
}

std::error_code RtpSocket::open(RtpPortRange& range, const IpAddress& ip, bool rtcp_mux,
                                int max_attempts) {
  close();
  std::error_code last = std::make_error_code(std::errc::address_in_use);
  for (int i = 0; i < max_attempts; ++i) {
    const auto port = range.acquire();
    if (!port) break;
    const SocketAddress rtp(ip, *port);
    std::optional<SocketAddress> rtcp;
    if (!rtcp_mux) rtcp = SocketAddress(ip, static_cast<std::uint16_t>(*port + 1));
    last = bind(rtp, rtcp);
    if (!last) {
      range_ = &range;
      range_port_ = *port;
      open_ = true;
      alive_ = std::make_shared<bool>(true);
      arm(*rtp_);
      if (rtcp_) arm(*rtcp_);
      return {};
    }
    // Held by another process: skip the pair. Releasing after the next
    // acquire moved the range's cursor on, so it is not offered again at once.
    range.release(*port);
    ++counters_.bind_retries;
  }
  return last;
}

std::error_code RtpSocket::open(const SocketAddress& rtp, std::optional<SocketAddress> rtcp) {
  close();
  if (auto ec = bind(rtp, rtcp)) return ec;
  open_ = true;
  alive_ = std::make_shared<bool>(true);
  arm(*rtp_);
  if (rtcp_) arm(*rtcp_);
  return {};
}

void RtpSocket::close() {
  if (alive_) *alive_ = false;
  alive_.reset();
  open_ = false;
  if (rtp_) rtp_->socket->close();
  if (rtcp_) rtcp_->socket->close();
  // The sockets' pending waits complete with operation_aborted and only
  // touch the alive flag, so the parts can go now.
  rtp_.reset();
  rtcp_.reset();
  if (range_) range_->release(range_port_);
  range_ = nullptr;
}

void RtpSocket::arm(Part& part) {
  part.socket->async_wait_readable([this, &part, alive = alive_](std::error_code ec) {
    if (ec || !alive || !*alive) return;
    on_readable(part);
  });
}

void RtpSocket::on_readable(Part& part) {
  const auto alive = alive_;
  for (int round = 0; round < kMaxRounds; ++round) {
    const std::size_t n = part.socket->receive(*part.batch);
    for (std::size_t i = 0; i < n; ++i) {
      ++counters_.received;
      const auto from = part.batch->peer(i);
      if (!from || part.batch->truncated(i)) {
        ++counters_.truncated;
        continue;
      }
      const ByteView bytes = part.batch->data(i);
      Component c = part.component;
      if (!rtcp_ && looks_like_rtcp(bytes)) c = Component::Rtcp;
      std::memcpy(scratch_.data(), bytes.data(), bytes.size());
      receiver_.on_datagram(c, *from, scratch_, bytes.size());
      if (!*alive) return;  // the receiver closed us
    }
    if (n > 0) {
      receiver_.on_batch_end();
      if (!*alive) return;
    }
    if (n < part.batch->capacity()) break;
  }
  arm(part);
}

bool RtpSocket::send_rtp(ByteView datagram, const SocketAddress& to) {
  if (!rtp_ || !rtp_->socket->send_to(datagram, to)) {
    ++counters_.send_failures;
    return false;
  }
  ++counters_.sent;
  return true;
}

bool RtpSocket::queue(Part* part, ByteView datagram, const SocketAddress& to) {
  if (!part) {
    ++counters_.send_failures;
    return false;
  }
  if (part->out->full()) flush(part);
  if (!part->out->push(datagram, to)) {
    ++counters_.send_failures;  // larger than a slot
    return false;
  }
  return true;
}

void RtpSocket::flush(Part* part) {
  if (!part || part->out->empty()) return;
  const std::size_t queued = part->out->size();
  const std::size_t sent = part->socket->send(*part->out);
  counters_.sent += sent;
  counters_.send_failures += queued - sent;
  ++counters_.batches_sent;
}

bool RtpSocket::queue_rtp(ByteView datagram, const SocketAddress& to) {
  return queue(rtp_.get(), datagram, to);
}

bool RtpSocket::queue_rtcp(ByteView datagram, const SocketAddress& to) {
  return queue(rtcp_ ? rtcp_.get() : rtp_.get(), datagram, to);
}

void RtpSocket::flush() {
  flush(rtp_.get());
  flush(rtcp_.get());
}

bool RtpSocket::send_rtcp(ByteView datagram, const SocketAddress& to) {
  Part* p = rtcp_ ? rtcp_.get() : rtp_.get();
  if (!p || !p->socket->send_to(datagram, to)) {
    ++counters_.send_failures;
    return false;
  }
  ++counters_.sent;
  return true;
}

}  // namespace floe::media::io
