#include "gateway/testline/rtp_endpoint.hpp"

#include <boost/asio/post.hpp>

namespace floe::testline {

RtpEndpoint::RtpEndpoint(boost::asio::io_context& io)
    : io_(io), rtp_(io), rtcp_(io), timer_(io) {}

RtpEndpoint::~RtpEndpoint() {
  *alive_ = false;
  close();
}

bool RtpEndpoint::bind_pair(const IpAddress& ip, std::uint16_t port) {
  if (rtp_.open(SocketAddress(ip, port))) return false;
  const std::uint16_t got = rtp_.local_address().port();
  if (got % 2 != 0 || got == 65535 || rtcp_.open(SocketAddress(ip, static_cast<std::uint16_t>(got + 1)))) {
    rtp_.close();
    return false;
  }
  rtp_local_ = rtp_.local_address();
  rtcp_local_ = rtcp_.local_address();
  return true;
}

std::error_code RtpEndpoint::open(const IpAddress& ip, const PortRange& range,
                                  std::uint16_t* cursor) {
  bool ok = false;
  if (range.min == 0 && range.max == 0) {
    // The kernel picks any port; about half are odd, and the neighbour may
    // be taken, so try a few times.
    for (int i = 0; i < 64 && !ok; ++i) ok = bind_pair(ip, 0);
  } else {
    const unsigned lo = (range.min + 1u) & ~1u;  // RTP on even ports
    const unsigned hi = range.max;
    const unsigned pairs = hi > lo ? (hi - lo + 1u) / 2u : 0u;
    const unsigned first = cursor && *cursor >= lo && *cursor <= hi ? (*cursor - lo) / 2u : 0u;
    for (unsigned i = 0; i < pairs && !ok; ++i) {
      const unsigned p = lo + 2u * ((first + i) % pairs);
      ok = bind_pair(ip, static_cast<std::uint16_t>(p));
      if (ok && cursor) *cursor = static_cast<std::uint16_t>(lo + 2u * ((first + i + 1) % pairs));
    }
  }
  if (!ok) return std::make_error_code(std::errc::address_in_use);
  open_ = true;
  arm(false);
  arm(true);
  return {};
}

void RtpEndpoint::start(std::unique_ptr<MediaSession> session) {
  session_ = std::move(session);
  flush();
}

void RtpEndpoint::configure(const AudioAgreement& agreement) {
  if (!session_) return;
  session_->configure(Clock::now(), agreement);
  session_->handle_timeout(Clock::now());
  flush();
}

void RtpEndpoint::close() {
  if (session_ && open_) {
    session_->stop(Clock::now());
    flush();
  }
  open_ = false;
  timer_.cancel();
  rtp_.close();
  rtcp_.close();
}

void RtpEndpoint::arm(bool rtcp) {
  if (!open_) return;
  (rtcp ? rtcp_ : rtp_).async_wait_readable([this, rtcp, alive = alive_](std::error_code ec) {
    if (ec || !*alive || !open_) return;
    on_readable(rtcp);
  });
}

void RtpEndpoint::on_readable(bool rtcp) {
  io::UdpSocket& s = rtcp ? rtcp_ : rtp_;
  for (int rounds = 0; rounds < 8; ++rounds) {
    const std::size_t n = s.receive(batch_);
    const Instant now = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      auto from = batch_.peer(i);
      if (!from || batch_.truncated(i) || !session_) continue;
      if (rtcp) session_->handle_rtcp(now, *from, batch_.data(i));
      else session_->handle_rtp(now, *from, batch_.data(i));
      // Echo output goes out before the next datagram is read, so the ring
      // never fills however large the batch.
      flush();
    }
    if (n < batch_.capacity()) break;
  }
  arm(rtcp);
}

void RtpEndpoint::flush() {
  if (!session_) return;
  while (const Datagram* d = session_->poll_output()) {
    if (!open_) continue;
    (d->rtcp ? rtcp_ : rtp_).send_to(d->bytes(), d->to);
  }
  arm_timer();
}

void RtpEndpoint::arm_timer() {
  if (!session_ || !open_) return;
  const Instant at = session_->next_timeout();
  if (at == armed_) return;
  armed_ = at;
  if (at == kNever) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(at);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    armed_ = kNever;
    session_->handle_timeout(Clock::now());
    flush();
    if (session_->timed_out() && !timeout_reported_ && on_media_timeout) {
      timeout_reported_ = true;
      // The owner may destroy this endpoint in its handler: not from here.
      boost::asio::post(io_, on_media_timeout);
    }
  });
}

}  // namespace floe::testline
