#include "base/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace floe {

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::V4;
  a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::v4(const std::uint8_t bytes[4]) {
  IpAddress a;
  a.family_ = Family::V4;
  std::memcpy(a.bytes_.data(), bytes, 4);
  return a;
}

IpAddress IpAddress::v6(const std::uint8_t bytes[16]) {
  IpAddress a;
  a.family_ = Family::V6;
  std::memcpy(a.bytes_.data(), bytes, 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::uint8_t raw[16];
  if (inet_pton(AF_INET, buf, raw) == 1) return v4(raw);
  if (inet_pton(AF_INET6, buf, raw) == 1) return v6(raw);
  return std::nullopt;
}

std::uint32_t IpAddress::v4_host_order() const {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | bytes_[3];
}

bool IpAddress::is_unspecified() const {
  for (std::size_t i = 0; i < size(); ++i)
    if (bytes_[i]) return false;
  return true;
}

bool IpAddress::is_v4_mapped() const {
  if (!is_v6()) return false;
  for (int i = 0; i < 10; ++i)
    if (bytes_[i]) return false;
  return bytes_[10] == 0xff && bytes_[11] == 0xff;
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (bytes_[i]) return false;
  return bytes_[15] == 1;
}

bool IpAddress::is_link_local() const {
  if (is_v4()) return bytes_[0] == 169 && bytes_[1] == 254;
  return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

bool IpAddress::is_private() const {
  if (is_v4()) {
    return bytes_[0] == 10 || (bytes_[0] == 172 && (bytes_[1] & 0xf0) == 16) ||
           (bytes_[0] == 192 && bytes_[1] == 168) ||
           (bytes_[0] == 100 && (bytes_[1] & 0xc0) == 64);  // RFC 6598 shared space
  }
  return (bytes_[0] & 0xfe) == 0xfc;
}

bool IpAddress::is_multicast() const {
  if (is_v4()) return (bytes_[0] & 0xf0) == 224;
  return bytes_[0] == 0xff;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view text,
                                                  std::optional<std::uint16_t> default_port) {
  std::string_view host = text, port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
    }
  } else if (auto colon = text.rfind(':');
             colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto ip = IpAddress::parse(host);
  if (!ip) return std::nullopt;
  if (port_text.empty()) {
    if (!default_port) return std::nullopt;
    return SocketAddress(*ip, *default_port);
  }
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || p != port_text.data() + port_text.size() || port > 65535)
    return std::nullopt;
  return SocketAddress(*ip, static_cast<std::uint16_t>(port));
}

std::optional<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return SocketAddress(IpAddress::v4(reinterpret_cast<const std::uint8_t*>(&in->sin_addr)),
                         ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return SocketAddress(IpAddress::v6(in6->sin6_addr.s6_addr), ntohs(in6->sin6_port));
  }
  return std::nullopt;
}

unsigned SocketAddress::to_sockaddr(sockaddr_storage* out) const {
  std::memset(out, 0, sizeof *out);
  if (ip_.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port_);
    std::memcpy(&in->sin_addr, ip_.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port_);
  std::memcpy(&in6->sin6_addr, ip_.data(), 16);
  return sizeof(sockaddr_in6);
}

std::string SocketAddress::to_string() const {
  if (ip_.is_v4()) return ip_.to_string() + ":" + std::to_string(port_);
  return "[" + ip_.to_string() + "]:" + std::to_string(port_);
}

std::size_t SocketAddressHash::operator()(const SocketAddress& a) const noexcept {
  // FNV-1a over the address bytes and port: cheap and good enough for a demux map.
  std::size_t h = 1469598103934665603ull;
  auto mix = [&](std::uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  const auto* d = a.ip().data();
  for (std::size_t i = 0; i < a.ip().size(); ++i) mix(d[i]);
  mix(static_cast<std::uint8_t>(a.port() >> 8));
  mix(static_cast<std::uint8_t>(a.port()));
  return h;
}

}  // namespace floe
