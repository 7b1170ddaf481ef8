#pragma once
// SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), parsed from untrusted
// text. Other schemes are kept opaque so a Request-URI can be rejected with
// 416 rather than 400.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/sip/syntax.hpp"

namespace floe::sip {

struct Uri {
  std::string scheme;    // lower case: "sip", "sips", "tel", or another scheme
  std::string user;      // escaped form as received; for tel: the number
  std::string password;
  std::string host;      // IPv6 without brackets
  std::optional<std::uint16_t> port;
  Params params;
  std::vector<std::pair<std::string, std::string>> headers;  // ?h=v&h=v, escaped
  std::string opaque;    // everything after "scheme:" for other schemes

  static std::optional<Uri> parse(std::string_view text);
  static Uri sip(std::string_view user, std::string_view host,
                 std::optional<std::uint16_t> port = {});

  bool is_sip() const { return scheme == "sip" || scheme == "sips"; }
  bool is_tel() const { return scheme == "tel"; }
  bool has_lr() const { return find_param(params, "lr") != nullptr; }
  // "host" or "[v6]" with ":port" when present.
  std::string host_port() const;
  std::string to_string() const;
  // §19.1.4 equality, simplified: scheme, user, password, host, port and the
  // transport/user/method/ttl/maddr parameters.
  bool equivalent(const Uri& other) const;
};

}  // namespace floe::sip
