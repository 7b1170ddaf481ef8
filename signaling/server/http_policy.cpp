#include "signaling/server/http_policy.hpp"

#include <algorithm>
#include <system_error>

namespace floe::signaling {

bool origin_allowed(const std::vector<std::string>& allowed, std::string_view origin,
                    std::string_view host, bool tls) {
  if (origin.empty()) return true;
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) return true;
  if (!allowed.empty()) return std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
  std::string self = std::string(tls ? "https://" : "http://") + std::string(host);
  return origin == self;
}

std::string_view target_path(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out += c;
  }
  return out;
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<std::filesystem::path> resolve_static(const std::filesystem::path& root,
                                                    std::string_view target) {
  if (root.empty()) return std::nullopt;
  std::string_view raw = target_path(target);
  if (raw.empty() || raw.front() != '/' || raw.size() > 1024) return std::nullopt;
  auto decoded = percent_decode(raw);
  if (!decoded) return std::nullopt;
  std::string path = *decoded;
  if (path.back() == '/') path += "index.html";
  // Reject anything but plain segments: no "..", no ".", no hidden files, no
  // backslashes. Checked on the decoded path so %2e%2e is caught too.
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view seg(path.data() + start, end - start);
    if (seg.empty() || seg.front() == '.' || seg.find('\\') != std::string_view::npos)
      return std::nullopt;
    start = end + 1;
  }
  std::error_code ec;
  auto base = std::filesystem::canonical(root, ec);
  if (ec) return std::nullopt;
  auto file = std::filesystem::weakly_canonical(base / path.substr(1), ec);
  if (ec) return std::nullopt;
  // A symlink inside the root must not lead out of it.
  auto rel = file.lexically_relative(base);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;
  return file;
}

std::string_view mime_type(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".wav") return "audio/wav";
  if (ext == ".txt" || ext == ".md") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace floe::signaling
