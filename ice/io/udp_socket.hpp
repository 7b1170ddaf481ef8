#pragma once
// A non-blocking UDP socket on an Asio io_context that moves datagrams in
// batches (recvmmsg/sendmmsg): one system call per batch instead of one per
// datagram. Batches own fixed buffers sized at construction, so the packet
// path never allocates. Engines stay unaware of it: the driver reads a batch,
// feeds each datagram to its engine, and queues what the engine emits.
#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "base/address.hpp"
#include "base/bytes.hpp"

namespace floe::io {

// Receive slots for up to `count` datagrams of `capacity` bytes each.
class RecvBatch {
 public:
  explicit RecvBatch(std::size_t count = 64, std::size_t capacity = 2048);
  ~RecvBatch();
  RecvBatch(const RecvBatch&) = delete;
  RecvBatch& operator=(const RecvBatch&) = delete;

  std::size_t size() const { return received_; }
  std::size_t capacity() const { return count_; }
  ByteView data(std::size_t i) const;
  // The sender; nullopt for an address family we do not speak.
  std::optional<SocketAddress> peer(std::size_t i) const;
  // True when the datagram did not fit its slot and was cut (MSG_TRUNC).
  bool truncated(std::size_t i) const;
  // The address the datagram was sent to, on sockets bound to a wildcard
  // address (IP_PKTINFO / IPV6_RECVPKTINFO); nullopt otherwise.
  std::optional<IpAddress> local_ip(std::size_t i) const;

  static constexpr std::size_t kControlSize = 64;

 private:
  friend class UdpSocket;
  void prepare();
  std::size_t count_, cap_, received_ = 0;
  Bytes storage_;
  Bytes control_;
  std::vector<sockaddr_storage> addrs_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> hdrs_;
};

// Datagrams queued for one sendmmsg call.
class SendBatch {
 public:
  explicit SendBatch(std::size_t count = 64, std::size_t capacity = 2048);
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // Copies the datagram in; false when the batch is full or it is too large.
  bool push(ByteView data, const SocketAddress& to);
  // Same, leaving from `source` (a local address of a wildcard-bound socket),
  // so a multi-homed host answers from the address it was asked on.
  bool push(ByteView data, const SocketAddress& to, const IpAddress& source);
  std::size_t size() const { return queued_; }
  bool full() const { return queued_ == count_; }
  bool empty() const { return queued_ == 0; }
  void clear() { queued_ = 0; }

 private:
  friend class UdpSocket;
  std::size_t count_, cap_, queued_ = 0;
  Bytes storage_;
  Bytes control_;
  std::vector<sockaddr_storage> addrs_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> hdrs_;
};

class UdpSocket {
 public:
  explicit UdpSocket(boost::asio::io_context& io);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Binds to `local` (port 0 picks one). IPv6 sockets are v6-only so that
  // 0.0.0.0 and [::] can share a port number. A wildcard socket also asks
  // for each datagram's destination address (RecvBatch::local_ip).
  // `reuse_port` (SO_REUSEPORT) lets one socket per thread share the address;
  // the kernel spreads clients over them.
  std::error_code open(const SocketAddress& local, int buffer_bytes = 0, bool reuse_port = false);
  bool is_open() const;
  void close();
  SocketAddress local_address() const;
  int native_handle() const;

  // Non-blocking. Returns how many datagrams arrived (0 when none waited);
  // a real error is returned through `ec`.
  std::size_t receive(RecvBatch& batch, std::error_code* ec = nullptr);
  // Non-blocking. Sends what the kernel accepts, returns that count and
  // clears the batch; the rest is dropped (UDP: the peer retransmits).
  std::size_t send(SendBatch& batch);
  bool send_to(ByteView data, const SocketAddress& to);
  // Blocking-free single receive for low-rate users; 0 when nothing waits.
  std::size_t receive_from(std::span<std::uint8_t> buffer, SocketAddress* from);

  // Runs `handler` once, when the socket is readable or fails.
  void async_wait_readable(std::function<void(std::error_code)> handler);

 private:
  boost::asio::posix::stream_descriptor fd_;
};

}  // namespace floe::io
