#include "gateway/sip/headers.hpp"

#include <array>
#include <utility>

namespace floe::sip {

namespace {

struct Known {
  std::string_view compact;  // empty when none
  std::string_view name;
  bool list;
};

// §7.3.3 compact forms, RFC 3515/3841/3903/4028/4474 ones in common use.
constexpr std::array<Known, 44> kKnown{{
    {"i", "Call-ID", false},        {"m", "Contact", true},
    {"e", "Content-Encoding", true}, {"l", "Content-Length", false},
    {"c", "Content-Type", false},   {"f", "From", false},
    {"s", "Subject", false},        {"k", "Supported", true},
    {"t", "To", false},             {"v", "Via", true},
    {"o", "Event", false},          {"u", "Allow-Events", true},
    {"r", "Refer-To", false},       {"b", "Referred-By", false},
    {"x", "Session-Expires", false}, {"a", "Accept-Contact", true},
    {"j", "Reject-Contact", true},  {"d", "Request-Disposition", true},
    {"y", "Identity", false},       {"", "CSeq", false},
    {"", "Max-Forwards", false},    {"", "Route", true},
    {"", "Record-Route", true},     {"", "Allow", true},
    {"", "Require", true},          {"", "Proxy-Require", true},
    {"", "Unsupported", true},      {"", "Accept", true},
    {"", "Accept-Encoding", true},  {"", "Accept-Language", true},
    {"", "Expires", false},         {"", "Min-Expires", false},
    {"", "WWW-Authenticate", false}, {"", "Proxy-Authenticate", false},
    {"", "Authorization", false},   {"", "Proxy-Authorization", false},
    {"", "Authentication-Info", false}, {"", "User-Agent", false},
    {"", "Server", false},          {"", "Warning", true},
    {"", "Path", true},             {"", "Service-Route", true},
    {"", "Retry-After", false},     {"", "Min-SE", false},
}};

void skip_ws(std::string_view s, std::size_t& pos) {
  while (pos < s.size() && is_ws(s[pos])) ++pos;
}

}  // namespace

std::string canonical_header_name(std::string_view name) {
  for (const auto& k : kKnown) {
    if (iequals(name, k.name)) return std::string(k.name);
    if (!k.compact.empty() && iequals(name, k.compact)) return std::string(k.name);
  }
  return std::string(name);
}

std::string_view expand_compact(std::string_view name) {
  if (name.size() != 1) return name;
  for (const auto& k : kKnown)
    if (!k.compact.empty() && iequals(name, k.compact)) return k.name;
  return name;
}

bool is_list_header(std::string_view canonical_name) {
  for (const auto& k : kKnown)
    if (k.name == canonical_name) return k.list;
  return false;
}

std::optional<NameAddr> NameAddr::parse(std::string_view text) {
  NameAddr na;
  text = trim(text);
  if (text == "*") {
    na.wildcard = true;
    return na;
  }
  std::size_t pos = 0;
  std::size_t lt = std::string_view::npos;
  if (!text.empty() && text.front() == '"') {
    auto dn = read_quoted(text, pos);
    if (!dn) return std::nullopt;
    na.display_name = *dn;
    skip_ws(text, pos);
    if (pos >= text.size() || text[pos] != '<') return std::nullopt;
    lt = pos;
  } else {
    // Either *(token LWS) "<" or a bare addr-spec: a '<' before any ';'
    // marks the name-addr form.
    auto angle = text.find('<');
    if (angle != std::string_view::npos) {
      auto dn = trim(text.substr(0, angle));
      for (char c : dn)
        if (!is_token_char(c) && !is_ws(c)) return std::nullopt;
      na.display_name = std::string(dn);
      lt = angle;
    }
  }
  if (lt != std::string_view::npos) {
    auto gt = text.find('>', lt);
    if (gt == std::string_view::npos) return std::nullopt;
    auto u = Uri::parse(text.substr(lt + 1, gt - lt - 1));
    if (!u) return std::nullopt;
    na.uri = std::move(*u);
    pos = gt + 1;
  } else {
    // addr-spec: parameters after the URI belong to the header (§20.10), so
    // the URI ends at the first ';'. A '?' or ',' cannot appear here.
    auto semi = text.find(';');
    auto spec = trim(text.substr(0, semi));
    if (spec.find_first_of("?, \t") != std::string_view::npos) return std::nullopt;
    auto u = Uri::parse(spec);
    if (!u) return std::nullopt;
    na.uri = std::move(*u);
    pos = semi == std::string_view::npos ? text.size() : semi;
  }
  if (!parse_params(text, pos, na.params)) return std::nullopt;
  skip_ws(text, pos);
  if (pos != text.size()) return std::nullopt;
  return na;
}

std::string NameAddr::tag() const {
  const Param* p = find_param(params, "tag");
  return p ? p->value : std::string();
}

std::string NameAddr::to_string() const {
  if (wildcard) return "*";
  std::string out;
  if (!display_name.empty()) out = quote(display_name) + " ";
  out += "<" + uri.to_string() + ">" + params_to_string(params);
  return out;
}

std::optional<Via> Via::parse(std::string_view text) {
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport,
  // with LWS allowed around each SLASH (§25.1).
  Via via;
  std::size_t pos = 0;
  std::string_view parts[3];
  for (int i = 0; i < 3; ++i) {
    skip_ws(text, pos);
    std::size_t start = pos;
    while (pos < text.size() && is_token_char(text[pos])) ++pos;
    if (pos == start) return std::nullopt;
    parts[i] = text.substr(start, pos - start);
    skip_ws(text, pos);
    if (i < 2) {
      if (pos >= text.size() || text[pos] != '/') return std::nullopt;
      ++pos;
    }
  }
  via.protocol = std::string(parts[0]);
  via.version = std::string(parts[1]);
  if (!iequals(via.protocol, "SIP") || via.version != "2.0") return std::nullopt;
  via.transport = std::string(parts[2]);
  for (auto& c : via.transport) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  // sent-by = host [ COLON port ]
  std::size_t start = pos;
  if (pos < text.size() && text[pos] == '[') {
    auto close = text.find(']', pos);
    if (close == std::string_view::npos) return std::nullopt;
    pos = close + 1;
  } else {
    while (pos < text.size() && (is_token_char(text[pos]))) ++pos;
  }
  auto host_text = text.substr(start, pos - start);
  skip_ws(text, pos);
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    skip_ws(text, pos);
    std::size_t pstart = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    auto port = parse_decimal(text.substr(pstart, pos - pstart), 65535);
    if (!port) return std::nullopt;
    via.port = static_cast<std::uint16_t>(*port);
  }
  std::string hp(host_text);
  if (!host_text.empty() && host_text.front() == '[') {
    if (host_text.size() < 3) return std::nullopt;
    via.host = std::string(host_text.substr(1, host_text.size() - 2));
  } else {
    via.host = hp;
  }
  auto check = Uri::parse("sip:" + (host_text.empty() ? std::string("-") : hp));
  if (!check) return std::nullopt;
  if (!parse_params(text, pos, via.params)) return std::nullopt;
  skip_ws(text, pos);
  // A trailing comment (§25.1 allows them in Via) is tolerated.
  if (pos < text.size() && text[pos] != '(') return std::nullopt;
  return via;
}

std::string Via::branch() const {
  const Param* p = find_param(params, "branch");
  return p ? p->value : std::string();
}

std::string Via::sent_by() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port) out += ":" + std::to_string(*port);
  return out;
}

std::string Via::to_string() const {
  return protocol + "/" + version + "/" + transport + " " + sent_by() + params_to_string(params);
}

bool is_valid_call_id(std::string_view s) {
  auto word = [](std::string_view w) {
    if (w.empty()) return false;
    for (char c : w)
      if (!is_token_char(c) && std::string_view("()<>:\\\"/[]?{}").find(c) == std::string_view::npos)
        return false;
    return true;
  };
  auto at = s.find('@');
  if (at == std::string_view::npos) return word(s);
  return word(s.substr(0, at)) && word(s.substr(at + 1));
}

std::optional<CSeq> CSeq::parse(std::string_view text) {
  text = trim(text);
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  // §8.1.1.5: the sequence number MUST be less than 2**31.
  auto n = parse_decimal(text.substr(0, pos), 0x7fffffffUL);
  if (!n) return std::nullopt;
  std::size_t ws = pos;
  skip_ws(text, pos);
  if (pos == ws) return std::nullopt;
  auto method = text.substr(pos);
  if (!is_token(method)) return std::nullopt;
  return CSeq{static_cast<std::uint32_t>(*n), std::string(method)};
}

}  // namespace floe::sip
