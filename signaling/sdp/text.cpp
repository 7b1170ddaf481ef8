#include "signaling/sdp/text.hpp"

namespace floe::sdp {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool ok = c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D ||
              c == 0x2E || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) ||
              (c >= 0x5E && c <= 0x7E);
    if (!ok) return false;
  }
  return true;
}

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  return true;
}

bool valid_ice_string(std::string_view s, std::size_t min) {
  if (s.size() < min || s.size() > 256) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

bool valid_connection(std::string_view s) {
  auto f = split_fields(s, 4);
  return f.size() == 3 && is_token(f[0]) && is_token(f[1]) && !f[2].empty();
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::vector<std::string_view> split_fields(std::string_view s, std::size_t max) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < max) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    if (out.size() + 1 == max) {
      out.push_back(s.substr(i));
      break;
    }
    std::size_t end = s.find(' ', i);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(i, end - i));
    i = end;
  }
  return out;
}

std::vector<std::string_view> split_all(std::string_view s, char sep, std::size_t max) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max) {
    auto p = s.find(sep);
    if (p == std::string_view::npos) break;
    out.push_back(s.substr(0, p));
    s = s.substr(p + 1);
  }
  out.push_back(s);
  return out;
}

std::pair<std::string_view, std::string_view> split_once(std::string_view s, char sep) {
  auto p = s.find(sep);
  if (p == std::string_view::npos) return {s, {}};
  return {s.substr(0, p), s.substr(p + 1)};
}

std::pair<std::string_view, std::optional<std::string_view>> split_attribute(std::string_view s) {
  auto p = s.find(':');
  if (p == std::string_view::npos) return {s, std::nullopt};
  return {s.substr(0, p), s.substr(p + 1)};
}

std::optional<Direction> parse_direction(std::string_view s) {
  if (s == "sendrecv") return Direction::SendRecv;
  if (s == "sendonly") return Direction::SendOnly;
  if (s == "recvonly") return Direction::RecvOnly;
  if (s == "inactive") return Direction::Inactive;
  return std::nullopt;
}

std::optional<Setup> parse_setup(std::string_view s) {
  if (s == "actpass") return Setup::ActPass;
  if (s == "active") return Setup::Active;
  if (s == "passive") return Setup::Passive;
  if (s == "holdconn") return Setup::HoldConn;
  return std::nullopt;
}

std::optional<Fingerprint> parse_fingerprint(std::string_view s) {
  auto f = split_fields(s, 3);
  if (f.size() != 2 || !is_token(f[0])) return std::nullopt;
  Fingerprint fp;
  for (char c : f[0]) fp.algorithm += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  std::size_t expected = 0;
  if (fp.algorithm == "sha-1") expected = 20;
  else if (fp.algorithm == "sha-224") expected = 28;
  else if (fp.algorithm == "sha-256") expected = 32;
  else if (fp.algorithm == "sha-384") expected = 48;
  else if (fp.algorithm == "sha-512") expected = 64;
  std::string_view hex = f[1];
  // Each byte is two hex digits; bytes are joined by ':' (RFC 8122 §5).
  if (hex.size() % 3 != 2 || hex.size() > 64 * 3) return std::nullopt;
  std::size_t bytes = (hex.size() + 1) / 3;
  if (expected && bytes != expected) return std::nullopt;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    char c = hex[i];
    if (i % 3 == 2) {
      if (c != ':') return std::nullopt;
      fp.value += ':';
      continue;
    }
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return std::nullopt;
    fp.value += c;
  }
  return fp;
}

}  // namespace floe::sdp
