#include "gateway/sip/message.hpp"

namespace floe::sip {

Message Message::request(std::string m, Uri uri) {
  Message msg;
  msg.is_request_ = true;
  msg.method = std::move(m);
  msg.request_uri = std::move(uri);
  return msg;
}

Message Message::response(int code, std::string r) {
  Message msg;
  msg.is_request_ = false;
  msg.status = code;
  msg.reason = r.empty() ? std::string(default_reason(code)) : std::move(r);
  return msg;
}

std::string_view Message::header(std::string_view name) const {
  auto cname = expand_compact(name);
  for (const auto& h : headers)
    if (iequals(h.name, cname)) return h.value;
  return {};
}

bool Message::has(std::string_view name) const { return count(name) > 0; }

std::vector<std::string_view> Message::all(std::string_view name) const {
  auto cname = expand_compact(name);
  std::vector<std::string_view> out;
  for (const auto& h : headers)
    if (iequals(h.name, cname)) out.push_back(h.value);
  return out;
}

std::size_t Message::count(std::string_view name) const {
  auto cname = expand_compact(name);
  std::size_t n = 0;
  for (const auto& h : headers)
    if (iequals(h.name, cname)) ++n;
  return n;
}

void Message::add(std::string_view name, std::string value) {
  headers.push_back({canonical_header_name(name), std::move(value)});
}

void Message::prepend(std::string_view name, std::string value) {
  auto cname = canonical_header_name(name);
  for (auto it = headers.begin(); it != headers.end(); ++it) {
    if (iequals(it->name, cname)) {
      headers.insert(it, {cname, std::move(value)});
      return;
    }
  }
  headers.insert(headers.begin(), {cname, std::move(value)});
}

void Message::set(std::string_view name, std::string value) {
  auto cname = expand_compact(name);
  for (auto it = headers.begin(); it != headers.end(); ++it) {
    if (iequals(it->name, cname)) {
      it->value = std::move(value);
      std::erase_if(headers, [&, first = &*it](const Header& h) {
        return &h != first && iequals(h.name, cname);
      });
      return;
    }
  }
  headers.push_back({canonical_header_name(name), std::move(value)});
}

void Message::remove(std::string_view name) {
  auto cname = expand_compact(name);
  std::erase_if(headers, [&](const Header& h) { return iequals(h.name, cname); });
}

std::optional<Via> Message::top_via() const {
  auto v = header("Via");
  if (v.empty()) return std::nullopt;
  return Via::parse(v);
}

void Message::set_top_via(const Via& via) {
  for (auto& h : headers) {
    if (h.name == "Via") {
      h.value = via.to_string();
      return;
    }
  }
  prepend("Via", via.to_string());
}

std::optional<CSeq> Message::cseq() const {
  auto v = header("CSeq");
  if (v.empty()) return std::nullopt;
  return CSeq::parse(v);
}

std::optional<NameAddr> Message::from() const {
  auto v = header("From");
  if (v.empty()) return std::nullopt;
  return NameAddr::parse(v);
}

std::optional<NameAddr> Message::to() const {
  auto v = header("To");
  if (v.empty()) return std::nullopt;
  return NameAddr::parse(v);
}

std::vector<NameAddr> Message::name_addrs(std::string_view name) const {
  std::vector<NameAddr> out;
  for (auto v : all(name)) {
    std::vector<std::string_view> items;
    if (!split_list(v, items)) continue;
    for (auto item : items)
      if (auto na = NameAddr::parse(item)) out.push_back(std::move(*na));
  }
  return out;
}

std::string Message::cseq_method() const {
  if (is_request_) return method;
  auto c = cseq();
  return c ? c->method : std::string();
}

std::string Message::to_string() const {
  std::string out;
  if (is_request_) out = method + " " + request_uri.to_string() + " SIP/2.0\r\n";
  else out = "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\n";
  for (const auto& h : headers) {
    if (h.name == "Content-Length") continue;
    out += h.name + ": " + h.value + "\r\n";
  }
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.append(reinterpret_cast<const char*>(body.data()), body.size());
  return out;
}

std::size_t Message::serialized_size() const {
  std::size_t n = is_request_ ? method.size() + 1 + request_uri.to_string().size() + 10
                              : 8 + 3 + 1 + reason.size() + 2;
  for (const auto& h : headers)
    if (h.name != "Content-Length") n += h.name.size() + 2 + h.value.size() + 2;
  n += 16 + std::to_string(body.size()).size() + 4 + body.size();
  return n;
}

Bytes Message::serialize() const {
  auto s = to_string();
  return Bytes(s.begin(), s.end());
}

void strip_to_essentials(Message& m) {
  std::erase_if(m.headers, [](const Header& h) {
    return !(h.name == "Via" || h.name == "From" || h.name == "To" || h.name == "Call-ID" ||
             h.name == "CSeq" || h.name == "Contact" || h.name == "Route" ||
             h.name == "Record-Route");
  });
  m.headers.shrink_to_fit();
  m.body = Bytes();
  m.request_uri_text = std::string();
}

std::string_view default_reason(int status) {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 422: return "Session Interval Too Small";
    case 423: return "Interval Too Brief";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 491: return "Request Pending";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 603: return "Decline";
    default: break;
  }
  if (status < 200) return "Progress";
  if (status < 300) return "OK";
  if (status < 400) return "Redirect";
  if (status < 500) return "Client Error";
  if (status < 600) return "Server Error";
  return "Global Failure";
}

Message make_response(const Message& request, int status, std::string_view reason,
                      std::string_view to_tag) {
  Message resp = Message::response(status, std::string(reason));
  for (const auto& h : request.headers) {
    if (h.name == "Via" || h.name == "From" || h.name == "Call-ID" || h.name == "CSeq")
      resp.headers.push_back(h);
    else if (h.name == "To") {
      Header to = h;
      // §8.2.6.2: a UAS adds a tag to To unless the request had one; 100 Trying
      // need not carry one.
      if (!to_tag.empty() && status > 100) {
        auto na = NameAddr::parse(h.value);
        if (na && na->tag().empty()) to.value += ";tag=" + std::string(to_tag);
      }
      resp.headers.push_back(std::move(to));
    } else if (h.name == "Record-Route" && status > 100 && status < 300) {
      resp.headers.push_back(h);
    }
  }
  return resp;
}

}  // namespace floe::sip
