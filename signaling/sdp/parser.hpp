#pragma once
// Parses SDP text from an untrusted peer. Every limit is explicit so a hostile
// description costs bounded time and memory; the first problem found is
// reported with its 1-based line number.
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "signaling/sdp/session_description.hpp"

namespace floe::sdp {

struct ParseLimits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_line_length = 4096;
  std::size_t max_lines = 4000;
  std::size_t max_media = 32;
  std::size_t max_formats = 128;      // per m= line
  std::size_t max_candidates = 64;    // per media section
  std::size_t max_attributes = 1000;  // per section
};

struct ParseError {
  std::size_t line = 0;  // 1-based; 0 when the problem is not one line's
  std::string problem;
  // "line 7: rtpmap clock rate is not a number"
  std::string to_string() const;
};

class ParseResult {
 public:
  ParseResult(SessionDescription sdp) : v_(std::move(sdp)) {}
  ParseResult(ParseError e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const SessionDescription& value() const& { return std::get<0>(v_); }
  SessionDescription&& value() && { return std::get<0>(std::move(v_)); }
  const ParseError& error() const { return std::get<1>(v_); }

 private:
  std::variant<SessionDescription, ParseError> v_;
};

ParseResult parse(std::string_view text, const ParseLimits& limits = {});

}  // namespace floe::sdp
