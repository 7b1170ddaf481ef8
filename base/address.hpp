#pragma once
// An IP address and port, independent of any socket library, so sans-IO
// engines can name transport addresses. Drivers convert to sockaddr.
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;
struct sockaddr_storage;

namespace floe {

enum class Family : std::uint8_t { V4 = 4, V6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v4(const std::uint8_t bytes[4]);
  static IpAddress v6(const std::uint8_t bytes[16]);
  // Accepts dotted quad or RFC 4291 text (no zone id, no brackets).
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::V4; }
  bool is_v6() const { return family_ == Family::V6; }
  // 4 bytes for V4, 16 for V6, network order.
  const std::uint8_t* data() const { return bytes_.data(); }
  std::size_t size() const { return is_v4() ? 4 : 16; }
  std::uint32_t v4_host_order() const;

  bool is_unspecified() const;
  bool is_loopback() const;
  bool is_link_local() const;
  bool is_private() const;        // RFC 1918 and IPv6 ULA fc00::/7
  bool is_multicast() const;
  bool is_v4_mapped() const;

  std::string to_string() const;
  auto operator<=>(const IpAddress&) const = default;

 private:
  Family family_ = Family::V4;
  std::array<std::uint8_t, 16> bytes_{};
};

class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(IpAddress ip, std::uint16_t port) : ip_(ip), port_(port) {}
  // "1.2.3.4:5", "[::1]:5"; a bare IP is accepted when default_port is given.
  static std::optional<SocketAddress> parse(std::string_view text,
                                            std::optional<std::uint16_t> default_port = {});
  static std::optional<SocketAddress> from_sockaddr(const sockaddr* sa);

  const IpAddress& ip() const { return ip_; }
  std::uint16_t port() const { return port_; }
  Family family() const { return ip_.family(); }
  void set_port(std::uint16_t p) { port_ = p; }

  // Returns the sockaddr length written.
  unsigned to_sockaddr(sockaddr_storage* out) const;
  std::string to_string() const;
  auto operator<=>(const SocketAddress&) const = default;

 private:
  IpAddress ip_;
  std::uint16_t port_ = 0;
};

struct SocketAddressHash {
  std::size_t operator()(const SocketAddress& a) const noexcept;
};

}  // namespace floe

template <>
struct std::hash<floe::SocketAddress> : floe::SocketAddressHash {};
