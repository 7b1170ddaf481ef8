#pragma once
// Cuts a TCP/TLS byte stream into whole SIP messages (RFC 3261 §18.3):
// the header section ends at the first empty line, the body is exactly
// Content-Length bytes (mandatory on streams; absent means 0 here). Limits
// bound memory: a peer that never ends its headers, or announces a huge
// body, puts the framer in an error state and the connection must close.
#include <cstddef>
#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "gateway/sip/parser.hpp"

namespace floe::sip {

class StreamFramer {
 public:
  explicit StreamFramer(const ParseLimits& limits = {}) : limits_(limits) {}

  // Appends received bytes. Returns false once in the error state.
  bool push(ByteView bytes);
  // The next complete message's bytes, if buffered.
  std::optional<Bytes> next();

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t buffered() const { return buffer_.size() - start_; }
  std::size_t keepalives() const { return keepalives_; }

 private:
  void compact();
  ParseLimits limits_;
  Bytes buffer_;
  std::size_t start_ = 0;
  std::size_t keepalives_ = 0;
  int line_end_run_ = 0;
  std::string error_;
};

}  // namespace floe::sip
