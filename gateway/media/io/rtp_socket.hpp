#pragma once
// The SIP leg's media sockets: RTP on an even port from the configured
// range and RTCP on the next one (RFC 3550 §11), or one socket for both with
// rtcp-mux (RFC 5761; RTCP told apart by its second byte). Datagrams are read
// in batches (io::UdpSocket, recvmmsg) and each is copied into one scratch
// buffer with spare room after it, so the bridge can rewrite in place and
// SRTP-protect toward the browser without allocating. Single-threaded: lives
// on the call's io_context.
#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <system_error>

#include "gateway/media/port_range.hpp"
#include "ice/io/udp_socket.hpp"

namespace floe::media::io {

enum class Component : std::uint8_t { Rtp, Rtcp };

class RtpSocketReceiver {
 public:
  virtual ~RtpSocketReceiver() = default;
  // `buffer` holds the datagram in its first `length` bytes and has spare
  // room after it (RtpSocket::kScratch in all); valid only during the call.
  // With rtcp-mux, `component` is decided by looks_like_rtcp().
  virtual void on_datagram(Component component, const SocketAddress& from,
                           std::span<std::uint8_t> buffer, std::size_t length) = 0;
  // After the datagrams of one receive batch were delivered: the moment to
  // flush() sends queued while handling them (one sendmmsg per batch).
  virtual void on_batch_end() {}
};

struct RtpSocketCounters {
  std::uint64_t received = 0;
  std::uint64_t truncated = 0;      // larger than a slot, or an unknown address family
  std::uint64_t sent = 0;
  std::uint64_t send_failures = 0;  // refused by the kernel (or socket closed)
  std::uint64_t batches_sent = 0;   // sendmmsg flushes
  std::uint64_t bind_retries = 0;   // port pairs skipped because a bind failed
};

class RtpSocket {
 public:
  static constexpr std::size_t kSlot = 2048;
  static constexpr std::size_t kScratch = kSlot + 64;  // + SRTP auth tag / MKI room

  RtpSocket(boost::asio::io_context& io, RtpSocketReceiver& receiver);
  ~RtpSocket();
  RtpSocket(const RtpSocket&) = delete;
  RtpSocket& operator=(const RtpSocket&) = delete;

  // Binds on `ip` to a port pair from `range` (RTCP too unless `rtcp_mux`),
  // trying the next pair when a bind fails, up to `max_attempts` pairs, and
  // starts reading. The pair goes back to the range on close() (and in the
  // destructor), so `range` must outlive this socket.
  std::error_code open(RtpPortRange& range, const IpAddress& ip, bool rtcp_mux,
                       int max_attempts = 16);
  // Binds explicit addresses (port 0: the OS picks), without a range; with
  // `rtcp` unset the socket is muxed.
  std::error_code open(const SocketAddress& rtp, std::optional<SocketAddress> rtcp);
  void close();
  bool is_open() const { return open_; }

  const SocketAddress& rtp_address() const { return rtp_local_; }
  // The RTCP address to signal (a=rtcp), or the RTP one with rtcp-mux.
  const SocketAddress& rtcp_address() const { return rtcp_ ? rtcp_local_ : rtp_local_; }
  bool rtcp_mux() const { return !rtcp_; }

  bool send_rtp(ByteView datagram, const SocketAddress& to);
  // From the RTCP socket, or the RTP one with rtcp-mux.
  bool send_rtcp(ByteView datagram, const SocketAddress& to);
  // Copy into a send batch instead (flushed when full); flush() sends what
  // is queued with one sendmmsg per socket. Call it from on_batch_end() or
  // before returning to the io_context.
  bool queue_rtp(ByteView datagram, const SocketAddress& to);
  bool queue_rtcp(ByteView datagram, const SocketAddress& to);
  void flush();

  const RtpSocketCounters& counters() const { return counters_; }

 private:
  struct Part {
    std::unique_ptr<floe::io::UdpSocket> socket;
    std::unique_ptr<floe::io::RecvBatch> batch;
    std::unique_ptr<floe::io::SendBatch> out;
    Component component;
  };
  std::error_code bind(const SocketAddress& rtp, std::optional<SocketAddress> rtcp);
  void arm(Part& part);
  void on_readable(Part& part);
  bool queue(Part* part, ByteView datagram, const SocketAddress& to);
  void flush(Part* part);

  boost::asio::io_context& io_;
  RtpSocketReceiver& receiver_;
  std::unique_ptr<Part> rtp_;
  std::unique_ptr<Part> rtcp_;
  SocketAddress rtp_local_, rtcp_local_;
  RtpPortRange* range_ = nullptr;
  std::uint16_t range_port_ = 0;
  bool open_ = false;
  // Cancels pending handlers' access to `this` after close or destruction.
  std::shared_ptr<bool> alive_;
  std::array<std::uint8_t, kScratch> scratch_{};
  RtpSocketCounters counters_;
};

}  // namespace floe::media::io
