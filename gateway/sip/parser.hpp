#pragma once
// Parses one SIP message from untrusted bytes (RFC 3261 §7, §18.3, §25) with
// explicit limits. A failure keeps whatever was parsed so the UA can still
// answer a broken request with 400 and a reason naming the problem.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "gateway/sip/message.hpp"

namespace floe::sip {

struct ParseLimits {
  std::size_t max_header_bytes = 16 * 1024;  // start line + headers
  std::size_t max_headers = 128;             // header entries after splitting
  std::size_t max_body = 64 * 1024;
};

struct ParseResult {
  bool ok = false;
  // False when the bytes cannot be told apart as a request or response at
  // all (garbage): such input is dropped silently.
  bool start_line_ok = false;
  Message message;        // complete when ok, partial otherwise
  int error_status = 0;   // 400, 413, 416 or 505 for a bad request
  std::string error_reason;
};

// `datagram`: without Content-Length the body is the rest of the input and
// a Content-Length larger than the input is an error; surplus bytes are
// dropped (§18.3). For a framed stream message pass datagram = true too:
// the framer already cut it at Content-Length.
ParseResult parse_message(ByteView data, const ParseLimits& limits = {});

// Splits the header section (between the start line and the empty line)
// into headers: undoes folding (§7.3.1), canonicalises names, splits list
// headers. Returns an error reason, empty on success.
std::string parse_header_section(std::string_view section, const ParseLimits& limits,
                                 std::vector<Header>& out);

}  // namespace floe::sip
