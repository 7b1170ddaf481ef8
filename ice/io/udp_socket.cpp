#include "ice/io/udp_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace floe::io {
namespace {

std::error_code last_error() { return {errno, std::system_category()}; }

void fill_headers(std::vector<mmsghdr>& hdrs, std::vector<iovec>& iov,
                  std::vector<sockaddr_storage>& addrs, Bytes& storage, std::size_t cap) {
  for (std::size_t i = 0; i < hdrs.size(); ++i) {
    iov[i].iov_base = storage.data() + i * cap;
    iov[i].iov_len = cap;
    std::memset(&hdrs[i], 0, sizeof(mmsghdr));
    hdrs[i].msg_hdr.msg_name = &addrs[i];
    hdrs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    hdrs[i].msg_hdr.msg_iov = &iov[i];
    hdrs[i].msg_hdr.msg_iovlen = 1;
  }
}

}  // namespace

RecvBatch::RecvBatch(std::size_t count, std::size_t capacity)
    : count_(count), cap_(capacity), storage_(count * capacity),
      control_(count * kControlSize), addrs_(count), iov_(count), hdrs_(count) {
  fill_headers(hdrs_, iov_, addrs_, storage_, cap_);
}
RecvBatch::~RecvBatch() = default;

void RecvBatch::prepare() {
  received_ = 0;
  // The kernel overwrites the name and data lengths; restore them.
  for (std::size_t i = 0; i < count_; ++i) {
    hdrs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    hdrs_[i].msg_hdr.msg_flags = 0;
    hdrs_[i].msg_hdr.msg_control = control_.data() + i * kControlSize;
    hdrs_[i].msg_hdr.msg_controllen = kControlSize;
    iov_[i].iov_len = cap_;
  }
}

std::optional<IpAddress> RecvBatch::local_ip(std::size_t i) const {
  auto* h = const_cast<msghdr*>(&hdrs_[i].msg_hdr);
  for (cmsghdr* c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      return IpAddress::v4(reinterpret_cast<const std::uint8_t*>(&pi.ipi_addr));
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      return IpAddress::v6(reinterpret_cast<const std::uint8_t*>(&pi.ipi6_addr));
    }
  }
  return std::nullopt;
}

ByteView RecvBatch::data(std::size_t i) const {
  const std::size_t n = std::min<std::size_t>(hdrs_[i].msg_len, cap_);
  return ByteView(storage_.data() + i * cap_, n);
}

std::optional<SocketAddress> RecvBatch::peer(std::size_t i) const {
  return SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&addrs_[i]));
}

bool RecvBatch::truncated(std::size_t i) const {
  return (hdrs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

SendBatch::SendBatch(std::size_t count, std::size_t capacity)
    : count_(count), cap_(capacity), storage_(count * capacity),
      control_(count * RecvBatch::kControlSize), addrs_(count), iov_(count), hdrs_(count) {
  fill_headers(hdrs_, iov_, addrs_, storage_, cap_);
}
SendBatch::~SendBatch() = default;

bool SendBatch::push(ByteView data, const SocketAddress& to) {
  if (full() || data.size() > cap_) return false;
  const std::size_t i = queued_;
  std::memcpy(storage_.data() + i * cap_, data.data(), data.size());
  iov_[i].iov_len = data.size();
  hdrs_[i].msg_hdr.msg_namelen = to.to_sockaddr(&addrs_[i]);
  hdrs_[i].msg_hdr.msg_control = nullptr;
  hdrs_[i].msg_hdr.msg_controllen = 0;
  ++queued_;
  return true;
}

bool SendBatch::push(ByteView data, const SocketAddress& to, const IpAddress& source) {
  if (source.family() != to.family()) return push(data, to);
  const std::size_t i = queued_;
  if (!push(data, to)) return false;
  msghdr& h = hdrs_[i].msg_hdr;
  h.msg_control = control_.data() + i * RecvBatch::kControlSize;
  std::memset(h.msg_control, 0, RecvBatch::kControlSize);
  if (source.is_v4()) {
    h.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi{};
    std::memcpy(&pi.ipi_spec_dst, source.data(), 4);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  } else {
    h.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo pi{};
    std::memcpy(&pi.ipi6_addr, source.data(), 16);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  return true;
}

UdpSocket::UdpSocket(boost::asio::io_context& io) : fd_(io) {}
UdpSocket::~UdpSocket() { close(); }

std::error_code UdpSocket::open(const SocketAddress& local, int buffer_bytes, bool reuse_port) {
  close();
  const int family = local.ip().is_v4() ? AF_INET : AF_INET6;
  int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return last_error();
  int one = 1;
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (local.ip().is_unspecified()) {
    if (family == AF_INET) ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    else ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
  }
  if (buffer_bytes > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  sockaddr_storage ss{};
  const socklen_t len = local.to_sockaddr(&ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    auto ec = last_error();
    ::close(fd);
    return ec;
  }
  boost::system::error_code bec;
  fd_.assign(fd, bec);
  if (bec) {
    ::close(fd);
    return std::error_code(bec.value(), std::system_category());
  }
  return {};
}

bool UdpSocket::is_open() const { return fd_.is_open(); }

void UdpSocket::close() {
  boost::system::error_code ignored;
  if (fd_.is_open()) fd_.close(ignored);
}

int UdpSocket::native_handle() const {
  return const_cast<boost::asio::posix::stream_descriptor&>(fd_).native_handle();
}

SocketAddress UdpSocket::local_address() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(native_handle(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss)).value_or(SocketAddress{});
}

std::size_t UdpSocket::receive(RecvBatch& batch, std::error_code* ec) {
  batch.prepare();
  int n;
  do {
    n = ::recvmmsg(native_handle(), batch.hdrs_.data(), static_cast<unsigned>(batch.count_),
                   MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    // ECONNREFUSED and friends come from ICMP errors for earlier sends;
    // they say nothing about this socket's health.
    if (ec && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED) *ec = last_error();
    return 0;
  }
  batch.received_ = static_cast<std::size_t>(n);
  return batch.received_;
}

std::size_t UdpSocket::send(SendBatch& batch) {
  std::size_t sent = 0;
  while (sent < batch.queued_) {
    int n = ::sendmmsg(native_handle(), batch.hdrs_.data() + sent,
                       static_cast<unsigned>(batch.queued_ - sent), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      // A datagram the kernel refuses outright (unreachable destination,
      // wrong family) would block the rest of the batch: skip it.
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
        ++sent;
        continue;
      }
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  const std::size_t ok = std::min(sent, batch.queued_);
  batch.clear();
  return ok;
}

bool UdpSocket::send_to(ByteView data, const SocketAddress& to) {
  sockaddr_storage ss{};
  const socklen_t len = to.to_sockaddr(&ss);
  ssize_t n;
  do {
    n = ::sendto(native_handle(), data.data(), data.size(), MSG_DONTWAIT,
                 reinterpret_cast<sockaddr*>(&ss), len);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(data.size());
}

std::size_t UdpSocket::receive_from(std::span<std::uint8_t> buffer, SocketAddress* from) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ssize_t n;
  do {
    n = ::recvfrom(native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                   reinterpret_cast<sockaddr*>(&ss), &len);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;
  auto peer = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
  if (!peer) return 0;
  *from = *peer;
  return static_cast<std::size_t>(n);
}

void UdpSocket::async_wait_readable(std::function<void(std::error_code)> handler) {
  fd_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                 [h = std::move(handler)](const boost::system::error_code& ec) {
                   h(std::error_code(ec.value(), std::system_category()));
                 });
}

}  // namespace floe::io
