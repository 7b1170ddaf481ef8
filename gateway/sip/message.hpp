#pragma once
// A SIP message (RFC 3261 §7): start line, ordered headers, opaque body.
// Headers keep the text they arrived with (names canonicalised, folding
// undone, list headers split one value per entry), so a proxy-like copy of
// Via/Record-Route re-serializes faithfully. Typed views parse on demand.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "gateway/sip/headers.hpp"
#include "gateway/sip/uri.hpp"

namespace floe::sip {

struct Header {
  std::string name;   // canonical (see canonical_header_name)
  std::string value;  // trimmed, unfolded
};

class Message {
 public:
  static Message request(std::string method, Uri request_uri);
  static Message response(int status, std::string reason);

  bool is_request() const { return is_request_; }
  bool is_response() const { return !is_request_; }

  // Request line
  std::string method;
  Uri request_uri;
  std::string request_uri_text;  // as received, for error reports
  // Status line
  int status = 0;
  std::string reason;

  std::vector<Header> headers;
  Bytes body;

  // First value of a header, or empty.
  std::string_view header(std::string_view name) const;
  bool has(std::string_view name) const;
  std::vector<std::string_view> all(std::string_view name) const;
  std::size_t count(std::string_view name) const;
  void add(std::string_view name, std::string value);
  void prepend(std::string_view name, std::string value);
  void set(std::string_view name, std::string value);  // replaces all
  void remove(std::string_view name);

  // Typed views; nullopt when absent or malformed.
  std::optional<Via> top_via() const;
  std::optional<CSeq> cseq() const;
  std::optional<NameAddr> from() const;
  std::optional<NameAddr> to() const;
  std::string_view call_id() const { return header("Call-ID"); }
  std::vector<NameAddr> name_addrs(std::string_view name) const;  // Contact, Route, ...
  void set_top_via(const Via& via);

  // The method a response answers (from CSeq) or the request method.
  std::string cseq_method() const;
  bool is_provisional() const { return is_response() && status >= 100 && status < 200; }
  bool is_final() const { return is_response() && status >= 200; }

  // Start line, headers, a Content-Length computed from the body, body.
  Bytes serialize() const;
  std::string to_string() const;
  // serialize().size(), computed without building the bytes.
  std::size_t serialized_size() const;

 private:
  bool is_request_ = true;
};

// What a transaction or the UA still needs of a request once it has its
// final response: the start line and Via, From, To, Call-ID, CSeq, Contact,
// Route and Record-Route (to match, ACK and build dialogs). The body and
// every other header are dropped, so lingering transactions (up to 32 s,
// timers D/J/L/M) hold a few hundred bytes instead of the whole message.
void strip_to_essentials(Message& m);

// Standard reason phrases for the codes this stack emits.
std::string_view default_reason(int status);

// Builds a response to `request` per §8.2.6: copies Via, From, To, Call-ID,
// CSeq (and Record-Route for dialog-creating responses, §12.1.1); adds a To
// tag when given and the request's To has none.
Message make_response(const Message& request, int status, std::string_view reason = {},
                      std::string_view to_tag = {});

}  // namespace floe::sip
