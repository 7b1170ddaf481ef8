#include "ice/agent/candidate.hpp"

#include <array>
#include <charconv>

namespace floe::ice {

const char* to_string(CandidateType t) {
  switch (t) {
    case CandidateType::Host: return "host";
    case CandidateType::ServerReflexive: return "srflx";
    case CandidateType::PeerReflexive: return "prflx";
    case CandidateType::Relayed: return "relay";
  }
  return "?";
}

const char* to_string(CandidateParseError e) {
  switch (e) {
    case CandidateParseError::None: return "none";
    case CandidateParseError::Malformed: return "malformed";
    case CandidateParseError::UnsupportedTransport: return "unsupported transport";
    case CandidateParseError::LinkLocalNoZone: return "IPv6 link-local without zone";
  }
  return "?";
}

std::uint32_t type_preference(CandidateType t) {
  switch (t) {
    case CandidateType::Host: return 126;
    case CandidateType::PeerReflexive: return 110;
    case CandidateType::ServerReflexive: return 100;
    case CandidateType::Relayed: return 0;
  }
  return 0;
}

std::uint32_t compute_priority(CandidateType t, std::uint32_t local_preference,
                               std::uint16_t component) {
  return (type_preference(t) << 24) + ((local_preference & 0xffff) << 8) +
         (256u - (component & 0xff));
}

std::uint32_t local_preference_for(const IpAddress& base, std::size_t index) {
  const std::uint32_t step = index > 4000 ? 4000 : static_cast<std::uint32_t>(index);
  // Two disjoint bands keep every IPv6 base above every IPv4 base.
  return (base.is_v6() ? 65535u : 60000u) - step;
}

std::string compute_foundation(CandidateType t, const IpAddress& base,
                               const std::optional<IpAddress>& server) {
  // FNV-1a over the fields that define "same foundation"; the transport is
  // always UDP here.
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 1099511628211ull;
    }
  };
  std::uint8_t tag = static_cast<std::uint8_t>(t);
  mix(&tag, 1);
  mix(base.data(), base.size());
  if (server) mix(server->data(), server->size());
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::uint32_t>(h ^ (h >> 32)));
  return std::string(buf, r.ptr);
}

namespace {

// Splits on single spaces without allocating; empty tokens are skipped.
class Tokens {
 public:
  explicit Tokens(std::string_view s) : s_(s) {}
  std::optional<std::string_view> next() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
    if (pos_ >= s_.size()) return std::nullopt;
    std::size_t end = s_.find(' ', pos_);
    if (end == std::string_view::npos) end = s_.size();
    auto tok = s_.substr(pos_, end - pos_);
    pos_ = end;
    return tok;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
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

bool is_mdns_name(std::string_view host) {
  constexpr std::string_view kSuffix = ".local";
  return host.size() > kSuffix.size() &&
         iequals(host.substr(host.size() - kSuffix.size()), kSuffix);
}

bool is_ice_chars(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::optional<Candidate> fail(CandidateParseError* error, CandidateParseError e) {
  if (error) *error = e;
  return std::nullopt;
}

}  // namespace

std::optional<Candidate> parse_candidate(std::string_view sdp, CandidateParseError* error) {
  if (error) *error = CandidateParseError::None;
  while (!sdp.empty() && (sdp.back() == '\r' || sdp.back() == '\n' || sdp.back() == ' '))
    sdp.remove_suffix(1);
  if (sdp.starts_with("a=")) sdp.remove_prefix(2);
  if (sdp.starts_with("candidate:")) sdp.remove_prefix(10);
  using E = CandidateParseError;

  Tokens tok(sdp);
  auto foundation = tok.next();
  auto component = tok.next();
  auto transport = tok.next();
  auto priority = tok.next();
  auto host = tok.next();
  auto port = tok.next();
  auto typ = tok.next();
  auto type = tok.next();
  if (!type || *typ != "typ") return fail(error, E::Malformed);
  if (foundation->size() > 32 || !is_ice_chars(*foundation)) return fail(error, E::Malformed);

  Candidate c;
  c.foundation = std::string(*foundation);
  unsigned comp = 0;
  if (!parse_number(*component, comp) || comp < 1 || comp > 256) return fail(error, E::Malformed);
  c.component = static_cast<std::uint16_t>(comp);
  if (!iequals(*transport, "udp")) return fail(error, E::UnsupportedTransport);
  if (!parse_number(*priority, c.priority) || c.priority == 0) return fail(error, E::Malformed);
  std::uint16_t p = 0;
  if (!parse_number(*port, p)) return fail(error, E::Malformed);

  if (*type == "host") c.type = CandidateType::Host;
  else if (*type == "srflx") c.type = CandidateType::ServerReflexive;
  else if (*type == "prflx") c.type = CandidateType::PeerReflexive;
  else if (*type == "relay") c.type = CandidateType::Relayed;
  else return fail(error, E::Malformed);

  if (is_mdns_name(*host)) {
    c.hostname = std::string(*host);
    c.address = SocketAddress(IpAddress(), p);
  } else if (host->find('%') != std::string_view::npos) {
    return fail(error, E::LinkLocalNoZone);  // a zone id means link-local
  } else {
    auto ip = IpAddress::parse(*host);
    if (!ip || ip->is_unspecified() || ip->is_multicast()) return fail(error, E::Malformed);
    if (ip->is_v6() && ip->is_link_local()) return fail(error, E::LinkLocalNoZone);
    c.address = SocketAddress(*ip, p);
  }
  c.base = c.address;

  // Optional raddr/rport, then extensions (generation, ufrag, network-id,
  // network-cost, tcptype...) which are ignored.
  std::optional<IpAddress> raddr;
  std::optional<std::uint16_t> rport;
  while (auto name = tok.next()) {
    auto value = tok.next();
    if (!value) return fail(error, E::Malformed);
    if (*name == "raddr") {
      // Browsers hiding addresses send "raddr 0.0.0.0" or an mDNS name.
      raddr = IpAddress::parse(*value);
      if (!raddr && !is_mdns_name(*value)) return fail(error, E::Malformed);
    } else if (*name == "ufrag") {
      c.ufrag = std::string(*value);
    } else if (*name == "rport") {
      std::uint16_t rp = 0;
      if (!parse_number(*value, rp)) return fail(error, E::Malformed);
      rport = rp;
    }
  }
  if (raddr && rport && !raddr->is_unspecified()) c.related = SocketAddress(*raddr, *rport);
  return c;
}

std::string format_candidate(const Candidate& c) {
  std::string s = "candidate:";
  s += c.foundation;
  s += ' ';
  s += std::to_string(c.component);
  s += " udp ";
  s += std::to_string(c.priority);
  s += ' ';
  s += c.is_mdns() ? c.hostname : c.address.ip().to_string();
  s += ' ';
  s += std::to_string(c.address.port());
  s += " typ ";
  s += to_string(c.type);
  if (c.type != CandidateType::Host) {
    // RFC 8839 §5.1: raddr/rport are mandatory for non-host candidates;
    // 0.0.0.0 0 hides the base when it is unknown.
    SocketAddress rel = c.related.value_or(SocketAddress(IpAddress::v4(0u), 0));
    s += " raddr ";
    s += rel.ip().to_string();
    s += " rport ";
    s += std::to_string(rel.port());
  }
  return s;
}

}  // namespace floe::ice
