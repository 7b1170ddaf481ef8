#include "gateway/sip/framer.hpp"

#include <algorithm>
#include <string_view>

namespace floe::sip {

bool StreamFramer::push(ByteView bytes) {
  if (failed()) return false;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  // Bound the buffer even before a header section completes.
  if (buffered() > limits_.max_header_bytes + limits_.max_body + 4) {
    error_ = "Stream buffer limit exceeded";
    return false;
  }
  return true;
}

void StreamFramer::compact() {
  if (start_ > 0 && (start_ == buffer_.size() || start_ > 4096)) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<long>(start_));
    start_ = 0;
  }
}

std::optional<Bytes> StreamFramer::next() {
  if (failed()) return std::nullopt;
  std::string_view text(reinterpret_cast<const char*>(buffer_.data()) + start_, buffered());
  // RFC 5626 §3.5.1 keep-alive: a CRLFCRLF ping between messages.
  std::size_t skipped = 0;
  while (skipped < text.size() && (text[skipped] == '\r' || text[skipped] == '\n')) {
    if (++line_end_run_ == 4) {
      ++keepalives_;
      line_end_run_ = 0;
    }
    ++skipped;
  }
  if (skipped < text.size()) line_end_run_ = 0;
  if (skipped > 0) {
    start_ += skipped;
    text.remove_prefix(skipped);
    compact();
    text = std::string_view(reinterpret_cast<const char*>(buffer_.data()) + start_, buffered());
  }
  if (text.empty()) return std::nullopt;
  std::size_t end = text.find("\r\n\r\n");
  std::size_t sep = 4;
  if (auto lf = text.find("\n\n"); lf != std::string_view::npos && lf < end) {
    end = lf;
    sep = 2;
  }
  if (end == std::string_view::npos) {
    if (text.size() > limits_.max_header_bytes) error_ = "Header section too large";
    return std::nullopt;
  }
  if (end > limits_.max_header_bytes) {
    error_ = "Header section too large";
    return std::nullopt;
  }
  auto first_nl = text.find('\n');
  std::vector<Header> headers;
  auto section = first_nl < end ? text.substr(first_nl + 1, end - first_nl) : std::string_view();
  if (auto err = parse_header_section(section, limits_, headers); !err.empty()) {
    error_ = err;
    return std::nullopt;
  }
  std::size_t length = 0;
  for (const auto& h : headers) {
    if (h.name != "Content-Length") continue;
    auto cl = parse_decimal(trim(h.value), 0xffffffffUL);
    // A stream cannot resynchronise after a bad length: close it (§18.3).
    if (!cl) {
      error_ = "Malformed Content-Length on stream";
      return std::nullopt;
    }
    if (*cl > limits_.max_body) {
      error_ = "Body too large";
      return std::nullopt;
    }
    length = *cl;
    break;
  }
  std::size_t total = end + sep + length;
  if (text.size() < total) return std::nullopt;
  Bytes msg(buffer_.begin() + static_cast<long>(start_),
            buffer_.begin() + static_cast<long>(start_ + total));
  start_ += total;
  compact();
  return msg;
}

}  // namespace floe::sip
