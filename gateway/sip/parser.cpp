#include "gateway/sip/parser.hpp"

#include <algorithm>

namespace floe::sip {

namespace {

// Finds the empty line that ends the header section. Returns the offset of
// the first body byte, or npos. Bare LF line ends are tolerated.
std::size_t find_body_start(std::string_view s, std::size_t& header_end) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') continue;
    if (i + 1 < s.size() && s[i + 1] == '\n') {
      header_end = i;
      return i + 2;
    }
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') {
      header_end = i;
      return i + 3;
    }
  }
  return std::string_view::npos;
}

bool has_bad_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void fail(ParseResult& r, int status, std::string reason) {
  if (r.error_status != 0) return;  // the first problem names the response
  r.error_status = status;
  r.error_reason = std::move(reason);
}

bool parse_start_line(std::string_view line, ParseResult& r) {
  if (line.starts_with("SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return false;
    auto version = line.substr(0, sp1);
    auto rest = line.substr(sp1 + 1);
    auto code = parse_decimal(rest.substr(0, 3), 699);
    if (!code || *code < 100 || (rest.size() > 3 && rest[3] != ' ')) return false;
    r.message = Message::response(static_cast<int>(*code), "");
    r.message.reason = rest.size() > 4 ? std::string(rest.substr(4)) : std::string();
    r.start_line_ok = true;
    if (!iequals(version, "SIP/2.0")) fail(r, 505, "Unsupported SIP version");
    if (has_bad_control(r.message.reason)) fail(r, 400, "Control character in reason phrase");
    return true;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version, single spaces.
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  auto method = line.substr(0, sp1);
  auto uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto version = line.substr(sp2 + 1);
  if (!is_token(method)) return false;
  r.message = Message::request(std::string(method), Uri{});
  r.message.request_uri_text = std::string(uri);
  r.start_line_ok = true;
  if (uri.empty() || version.find(' ') != std::string_view::npos ||
      (!version.empty() && version.front() == ' ')) {
    fail(r, 400, "Malformed Request-Line (extra whitespace)");
    return true;
  }
  if (version.size() < 4 || !iequals(version.substr(0, 4), "SIP/")) {
    fail(r, 400, "Malformed SIP version");
    return true;
  }
  if (!iequals(version, "SIP/2.0")) {
    fail(r, 505, "Unsupported SIP version");
    return true;
  }
  auto parsed = Uri::parse(uri);
  if (!parsed) {
    fail(r, 400, "Malformed Request-URI");
    return true;
  }
  r.message.request_uri = std::move(*parsed);
  if (!r.message.request_uri.is_sip() && !r.message.request_uri.is_tel())
    fail(r, 416, "Unsupported URI scheme in Request-URI");
  return true;
}

// §8.1.1 mandatory headers and the typed values this stack relies on.
void validate(ParseResult& r) {
  Message& m = r.message;
  const char* single[] = {"Call-ID", "CSeq", "From", "To"};
  for (const char* name : single) {
    auto n = m.count(name);
    if (n == 0) fail(r, 400, std::string("Missing ") + name + " header");
    else if (n > 1) fail(r, 400, std::string("Multiple ") + name + " headers");
  }
  if (!m.has("Via")) fail(r, 400, "Missing Via header");
  for (auto v : m.all("Via"))
    if (!Via::parse(v)) {
      fail(r, 400, "Malformed Via header");
      break;
    }
  if (m.count("CSeq") == 1) {
    auto c = m.cseq();
    if (!c) fail(r, 400, "Malformed CSeq header");
    else if (m.is_request() && c->method != m.method)
      fail(r, 400, "CSeq method does not match Request-Line");
  }
  if (m.count("From") == 1 && !m.from()) fail(r, 400, "Malformed From header");
  if (m.count("To") == 1 && !m.to()) fail(r, 400, "Malformed To header");
  auto call_id = m.call_id();
  if (m.count("Call-ID") == 1 && !is_valid_call_id(call_id))
    fail(r, 400, "Malformed Call-ID header");
  for (auto v : m.all("Contact")) {
    auto na = NameAddr::parse(v);
    if (!na || (na->wildcard && m.count("Contact") > 1)) {
      fail(r, 400, "Malformed Contact header");
      break;
    }
  }
  for (const char* name : {"Route", "Record-Route"})
    for (auto v : m.all(name))
      if (!NameAddr::parse(v)) {
        fail(r, 400, std::string("Malformed ") + name + " header");
        break;
      }
  if (m.has("Max-Forwards") && !parse_decimal(trim(m.header("Max-Forwards")), 255))
    fail(r, 400, "Malformed Max-Forwards header");
  for (const char* name : {"Expires", "Min-Expires"})
    if (m.has(name) && !parse_decimal(trim(m.header(name)), 0xffffffffUL))
      fail(r, 400, std::string("Malformed ") + name + " header");
}

}  // namespace

std::string parse_header_section(std::string_view section, const ParseLimits& limits,
                                 std::vector<Header>& out) {
  std::size_t pos = 0;
  std::string name;
  std::string value;
  bool have = false;
  auto flush = [&]() -> std::string {
    if (!have) return {};
    have = false;
    auto cname = canonical_header_name(name);
    auto v = trim(value);
    if (is_list_header(cname) && !(cname == "Contact" && v == "*")) {
      std::vector<std::string_view> items;
      if (!split_list(v, items)) return "Unterminated quote or <> in " + cname + " header";
      // An empty list is legal for some (e.g. "Supported:", §20.37).
      if (items.empty()) out.push_back({cname, std::string()});
      for (auto item : items) out.push_back({cname, std::string(item)});
    } else {
      out.push_back({cname, std::string(v)});
    }
    if (out.size() > limits.max_headers) return "Too many headers";
    return {};
  };
  while (pos < section.size()) {
    auto nl = section.find('\n', pos);
    auto line = strip_cr(section.substr(pos, nl == std::string_view::npos ? nl : nl - pos));
    pos = nl == std::string_view::npos ? section.size() : nl + 1;
    if (line.empty()) continue;
    if (has_bad_control(line)) return "Control character in header";
    if (is_ws(line.front())) {
      // LWS continuation (§7.3.1): fold into the previous value with one SP.
      if (!have) return "Continuation line before any header";
      value += ' ';
      value += trim(line);
      continue;
    }
    if (auto err = flush(); !err.empty()) return err;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return "Header line without colon";
    auto n = line.substr(0, colon);
    while (!n.empty() && is_ws(n.back())) n.remove_suffix(1);
    if (!is_token(n)) return "Malformed header name";
    name = std::string(n);
    value = std::string(line.substr(colon + 1));
    have = true;
  }
  return flush();
}

ParseResult parse_message(ByteView data, const ParseLimits& limits) {
  ParseResult r;
  auto text = as_chars(data);
  // Keep-alive CRLFs (RFC 5626 §3.5.1) and stray line ends before a message.
  while (!text.empty() && (text.front() == '\r' || text.front() == '\n')) text.remove_prefix(1);
  auto first_nl = text.find('\n');
  if (first_nl == std::string_view::npos || first_nl > limits.max_header_bytes) return r;
  auto start_line = strip_cr(text.substr(0, first_nl));
  if (has_bad_control(start_line) || !parse_start_line(start_line, r)) {
    r.start_line_ok = false;
    return r;
  }
  std::size_t header_end = first_nl;
  std::size_t body_start = find_body_start(text, header_end);
  // A message with no body may end right after the last header line.
  std::string_view section;
  if (body_start == std::string_view::npos) {
    header_end = text.size();
    body_start = text.size();
    fail(r, 400, "Missing empty line after headers");
  }
  if (header_end > limits.max_header_bytes) {
    fail(r, 400, "Header section too large");
    return r;
  }
  section = header_end > first_nl ? text.substr(first_nl + 1, header_end - first_nl) : "";
  if (auto err = parse_header_section(section, limits, r.message.headers); !err.empty())
    fail(r, 400, err);
  validate(r);

  std::size_t available = text.size() - body_start;
  std::size_t length = available;
  auto lengths = r.message.all("Content-Length");
  if (!lengths.empty()) {
    auto cl = parse_decimal(trim(lengths.front()), 0xffffffffUL);
    bool consistent = std::all_of(lengths.begin(), lengths.end(),
                                  [&](std::string_view v) { return trim(v) == trim(lengths[0]); });
    if (!cl || !consistent) {
      fail(r, 400, "Malformed Content-Length header");
    } else if (*cl > limits.max_body) {
      fail(r, 413, "Body too large");
    } else if (*cl > available) {
      fail(r, 400, "Content-Length larger than message");
    } else {
      length = *cl;
    }
  }
  if (length > limits.max_body) {
    fail(r, 413, "Body too large");
    length = 0;
  }
  r.message.body.assign(data.data() + (text.data() - as_chars(data).data()) + body_start,
                        data.data() + (text.data() - as_chars(data).data()) + body_start +
                            std::min(length, available));
  r.ok = r.error_status == 0;
  return r;
}

}  // namespace floe::sip
