#include "gateway/sip/uri.hpp"

namespace floe::sip {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// unreserved / user-unreserved / password chars / escaped, §25.1.
bool valid_escaped_text(std::string_view s, std::string_view extra) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
      continue;
    }
    if (is_alnum(c)) continue;
    if (std::string_view("-_.!~*'()").find(c) != std::string_view::npos) continue;
    if (extra.find(c) != std::string_view::npos) continue;
    return false;
  }
  return true;
}

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  for (char c : h)
    if (!is_alnum(c) && c != '-' && c != '.') return false;
  return h.front() != '.' && h.front() != '-';
}

bool valid_ipv6(std::string_view h) {
  if (h.size() < 2 || h.size() > 45) return false;
  for (char c : h)
    if (!is_hex(c) && c != ':' && c != '.') return false;
  return h.find(':') != std::string_view::npos;
}

// hostport, §25.1; returns false if malformed.
bool parse_host_port(std::string_view s, Uri& uri) {
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return false;
    auto v6 = s.substr(1, close - 1);
    if (!valid_ipv6(v6)) return false;
    uri.host = std::string(v6);
    rest = s.substr(close + 1);
  } else {
    auto colon = s.find(':');
    auto h = s.substr(0, colon);
    if (!valid_hostname(h)) return false;
    uri.host = std::string(h);
    rest = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
  }
  if (rest.empty()) return true;
  if (rest.front() != ':') return false;
  auto port = parse_decimal(rest.substr(1), 65535);
  if (!port) return false;
  uri.port = static_cast<std::uint16_t>(*port);
  return true;
}

bool parse_uri_headers(std::string_view s, Uri& uri) {
  while (!s.empty()) {
    auto amp = s.find('&');
    auto item = s.substr(0, amp);
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    auto name = item.substr(0, eq), value = item.substr(eq + 1);
    if (!valid_escaped_text(name, "[]/?:+$") || !valid_escaped_text(value, "[]/?:+$"))
      return false;
    uri.headers.emplace_back(std::string(name), std::string(value));
    if (amp == std::string_view::npos) break;
    s.remove_prefix(amp + 1);
  }
  return true;
}

bool parse_sip(std::string_view rest, Uri& uri) {
  auto at = rest.find('@');
  if (at != std::string_view::npos) {
    auto userinfo = rest.substr(0, at);
    auto colon = userinfo.find(':');
    auto user = userinfo.substr(0, colon);
    if (user.empty() || !valid_escaped_text(user, "&=+$,;?/")) return false;
    uri.user = std::string(user);
    if (colon != std::string_view::npos) {
      auto pw = userinfo.substr(colon + 1);
      if (!valid_escaped_text(pw, "&=+$,")) return false;
      uri.password = std::string(pw);
    }
    rest.remove_prefix(at + 1);
  }
  auto q = rest.find('?');
  auto before_headers = rest.substr(0, q);
  auto semi = before_headers.find(';');
  if (!parse_host_port(before_headers.substr(0, semi), uri)) return false;
  if (semi != std::string_view::npos) {
    auto ptext = before_headers.substr(semi);
    std::size_t pos = 0;
    if (!parse_params(ptext, pos, uri.params) || pos != ptext.size()) return false;
  }
  if (q != std::string_view::npos && !parse_uri_headers(rest.substr(q + 1), uri)) return false;
  return true;
}

bool parse_tel(std::string_view rest, Uri& uri) {
  auto semi = rest.find(';');
  auto number = rest.substr(0, semi);
  if (number.empty()) return false;
  for (char c : number)
    if (!is_hex(c) && std::string_view("+-.()*#pPwW").find(c) == std::string_view::npos)
      return false;
  uri.user = std::string(number);
  if (semi != std::string_view::npos) {
    auto ptext = rest.substr(semi);
    std::size_t pos = 0;
    if (!parse_params(ptext, pos, uri.params) || pos != ptext.size()) return false;
  }
  return true;
}

}  // namespace

std::optional<Uri> Uri::parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto scheme = text.substr(0, colon);
  if (!is_alnum(scheme.front())) return std::nullopt;
  for (char c : scheme)
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
  Uri uri;
  uri.scheme = to_lower(scheme);
  auto rest = text.substr(colon + 1);
  if (rest.empty()) return std::nullopt;
  for (char c : rest)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"')
      return std::nullopt;
  bool ok;
  if (uri.scheme == "sip" || uri.scheme == "sips") ok = parse_sip(rest, uri);
  else if (uri.scheme == "tel") ok = parse_tel(rest, uri);
  else {
    uri.opaque = std::string(rest);
    ok = true;
  }
  if (!ok) return std::nullopt;
  return uri;
}

Uri Uri::sip(std::string_view user, std::string_view host, std::optional<std::uint16_t> port) {
  Uri u;
  u.scheme = "sip";
  u.user = std::string(user);
  u.host = std::string(host);
  u.port = port;
  return u;
}

std::string Uri::host_port() const {
  std::string out;
  if (host.find(':') != std::string::npos) out = "[" + host + "]";
  else out = host;
  if (port) out += ":" + std::to_string(*port);
  return out;
}

std::string Uri::to_string() const {
  std::string out = scheme + ":";
  if (!is_sip() && !is_tel()) return out + opaque;
  if (is_tel()) return out + user + params_to_string(params);
  if (!user.empty()) {
    out += user;
    if (!password.empty()) out += ":" + password;
    out += "@";
  }
  out += host_port();
  out += params_to_string(params);
  for (std::size_t i = 0; i < headers.size(); ++i) {
    out += i == 0 ? "?" : "&";
    out += headers[i].first + "=" + headers[i].second;
  }
  return out;
}

bool Uri::equivalent(const Uri& o) const {
  if (scheme != o.scheme || user != o.user || password != o.password) return false;
  if (!is_sip()) return is_tel() ? user == o.user : opaque == o.opaque;
  if (!iequals(host, o.host) || port != o.port) return false;
  for (const char* name : {"transport", "user", "method", "ttl", "maddr"}) {
    const Param* a = find_param(params, name);
    const Param* b = find_param(o.params, name);
    if ((a == nullptr) != (b == nullptr)) return false;
    if (a && !iequals(a->value, b->value)) return false;
  }
  return true;
}

}  // namespace floe::sip
