#pragma once
// The Asio driver of one call's media: an RTP socket on an even port and an
// RTCP socket on the next one (RFC 3550 §11), both on the test line's
// address, and a timer armed at the MediaSession's next_timeout(). Runs on
// the TestLine's io_context thread; reuses the repo's batched UdpSocket.
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>

#include "gateway/testline/media_session.hpp"
#include "ice/io/udp_socket.hpp"

namespace floe::testline {

struct PortRange {
  std::uint16_t min = 0;  // 0/0: kernel-chosen ports
  std::uint16_t max = 0;
};

class RtpEndpoint {
 public:
  explicit RtpEndpoint(boost::asio::io_context& io);
  ~RtpEndpoint();
  RtpEndpoint(const RtpEndpoint&) = delete;
  RtpEndpoint& operator=(const RtpEndpoint&) = delete;

  // Binds the RTP/RTCP pair on `ip`: the first free even port at or after
  // `*cursor` in `range` (the cursor moves past it so consecutive calls
  // spread over the range), or a kernel-chosen even port with its odd
  // neighbour free when the range is 0/0.
  std::error_code open(const IpAddress& ip, const PortRange& range, std::uint16_t* cursor);
  SocketAddress rtp_address() const { return rtp_local_; }
  SocketAddress rtcp_address() const { return rtcp_local_; }

  // Starts the session (after the SDP is agreed) or changes it.
  void start(std::unique_ptr<MediaSession> session);
  void configure(const AudioAgreement& agreement);
  MediaSession* session() { return session_.get(); }
  // Posted (never called from inside this object) once the session times out.
  std::function<void()> on_media_timeout;
  // Sends the RTCP BYE and closes the sockets.
  void close();

 private:
  bool bind_pair(const IpAddress& ip, std::uint16_t port);
  void arm(bool rtcp);
  void on_readable(bool rtcp);
  void flush();
  void arm_timer();

  boost::asio::io_context& io_;
  io::UdpSocket rtp_, rtcp_;
  SocketAddress rtp_local_, rtcp_local_;
  io::RecvBatch batch_{16, 2048};
  boost::asio::steady_timer timer_;
  Instant armed_ = kNever;
  std::unique_ptr<MediaSession> session_;
  bool open_ = false;
  bool timeout_reported_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace floe::testline
