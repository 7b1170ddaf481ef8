#include "gateway/bridge/config.hpp"

#include <algorithm>

#include "gateway/config/config_source.hpp"
#include "signaling/sdp/text.hpp"

namespace floe::bridge {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

bool parse_bool(std::string_view v, bool& out) {
  if (v == "1" || v == "yes" || v == "true" || v == "on") return out = true, true;
  if (v == "0" || v == "no" || v == "false" || v == "off") return out = false, true;
  return false;
}

}  // namespace

std::optional<TrunkConfig> parse_trunk(std::string_view spec, std::string* error) {
  TrunkConfig t;
  bool have_proxy = false;
  // The same key=value,... form (with '\' escapes) that a JSON config
  // object becomes (gateway/config), so a password may hold ',' or '='.
  std::string why;
  auto items = cmd::parse_spec(spec, &why);
  if (!items) {
    fail(error, "trunk: " + why);
    return std::nullopt;
  }
  for (const auto& [key, value] : *items) {
    bool ok = true;
    if (key == "name") t.name = value;
    else if (key == "proxy") {
      auto a = SocketAddress::parse(value, 5060);
      ok = a.has_value();
      if (ok) t.proxy = *a, have_proxy = true;
    } else if (key == "registrar") {
      auto a = SocketAddress::parse(value, 5060);
      ok = a.has_value();
      if (ok) t.registrar = *a;
    } else if (key == "domain") t.domain = value;
    else if (key == "user") t.user = value;
    else if (key == "auth-user") t.auth_user = value;
    else if (key == "password") t.password = value;
    else if (key == "register") ok = parse_bool(value, t.register_account);
    else if (key == "expires") {
      auto n = sdp::parse_uint<std::uint32_t>(value);
      ok = n && *n >= 60;
      if (ok) t.expires = *n;
    } else if (key == "keepalive") {
      auto n = sdp::parse_uint<std::uint32_t>(value);
      ok = n.has_value();
      if (ok) t.keepalive = seconds(*n);
    } else if (key == "codecs") {
      t.codecs.clear();
      for (auto c : sdp::split_all(value, '+', 16)) t.codecs.emplace_back(c);
      for (const auto& c : t.codecs)
        if (!sdp::iequals(c, "PCMU") && !sdp::iequals(c, "PCMA") && !sdp::iequals(c, "G722") &&
            !sdp::iequals(c, "opus") && !sdp::iequals(c, "telephone-event"))
          ok = false;
    } else if (key == "transport") {
      ok = value == "udp" || value == "tcp" || value == "tls";
      if (ok) t.transport = value;
    } else if (key == "dtmf") {
      if (value == "rfc4733") t.dtmf = DtmfMode::Rfc4733;
      else if (value == "info") t.dtmf = DtmfMode::Info;
      else ok = false;
    } else {
      fail(error, "unknown trunk setting '" + key + "'");
      return std::nullopt;
    }
    if (!ok) {
      fail(error, "bad value for trunk setting '" + key + "': '" + value + "'");
      return std::nullopt;
    }
  }
  if (!have_proxy) {
    fail(error, "a trunk needs proxy=host:port (numeric)");
    return std::nullopt;
  }
  if (t.user.empty()) t.user = "floe";
  return t;
}

std::optional<RouteRule> parse_route(std::string_view spec, std::string* error) {
  auto [m, u] = sdp::split_once(spec, '=');
  if (m.empty() || u.empty()) {
    fail(error, "a route is MATCH=USER (MATCH: a number, a prefix ending in '*', or '*')");
    return std::nullopt;
  }
  return RouteRule{std::string(m), std::string(u)};
}

bool is_sip_option(std::string_view f) {
  for (const char* o : {"--sip-listen", "--sip-advertise", "--rtp-address", "--rtp-ports", "--trunk",
                        "--route", "--test-line-trunk", "--default-trunk", "--media-timeout",
                        "--session-expires", "--ring-timeout", "--symmetric-rtp", "--sip-tcp",
                        "--sip-tls-cert", "--sip-tls-key", "--sip-tls-ca", "--sip-tls-verify",
                        "--sip-tls-port"})
    if (f == o) return true;
  return false;
}

bool apply_sip_option(SipConfig& c, std::string_view flag, std::string_view value, std::string* error) {
  auto bad = [&](const char* what) { return fail(error, std::string(flag) + " needs " + what); };
  if (flag == "--sip-listen") {
    auto a = SocketAddress::parse(value, 5060);
    if (!a) return bad("ADDR:PORT");
    c.listen = *a;
  } else if (flag == "--sip-advertise") {
    if (value.empty()) return bad("a host");
    c.advertised_host = std::string(value);
  } else if (flag == "--rtp-address") {
    auto ip = IpAddress::parse(value);
    if (!ip) return bad("an IP address");
    c.media_address = *ip;
  } else if (flag == "--rtp-ports") {
    auto [lo, hi] = sdp::split_once(value, '-');
    auto a = sdp::parse_uint<std::uint16_t>(lo), b = sdp::parse_uint<std::uint16_t>(hi);
    if (!a || !b || *a < 1024 || *b <= *a) return bad("MIN-MAX with 1024 <= MIN < MAX");
    c.rtp_port_min = *a;
    c.rtp_port_max = *b;
  } else if (flag == "--trunk") {
    auto t = parse_trunk(value, error);
    if (!t) return false;
    for (const auto& o : c.trunks)
      if (o.name == t->name) return fail(error, "two trunks are named '" + t->name + "'");
    c.trunks.push_back(std::move(*t));
  } else if (flag == "--route") {
    auto r = parse_route(value, error);
    if (!r) return false;
    c.routes.push_back(std::move(*r));
  } else if (flag == "--test-line-trunk") {
    c.test_line_trunk = std::string(value);
  } else if (flag == "--default-trunk") {
    c.default_trunk = std::string(value);
  } else if (flag == "--media-timeout" || flag == "--session-expires" || flag == "--ring-timeout") {
    auto n = sdp::parse_uint<std::uint32_t>(value);
    if (!n) return bad("a number of seconds");
    if (flag == "--media-timeout") c.media_timeout = seconds(std::max<std::uint32_t>(*n, 1));
    else if (flag == "--ring-timeout") c.ring_timeout = seconds(std::max<std::uint32_t>(*n, 1));
    else if (*n != 0 && *n < 90) return bad("0 or at least 90 (RFC 4028 Min-SE)");
    else c.session_expires = *n;
  } else if (flag == "--symmetric-rtp" || flag == "--sip-tcp" || flag == "--sip-tls-verify") {
    bool b = false;
    if (!parse_bool(value, b)) return bad("0 or 1");
    (flag == "--symmetric-rtp" ? c.symmetric_rtp : flag == "--sip-tcp" ? c.tcp : c.tls_verify) = b;
  } else if (flag == "--sip-tls-cert") {
    c.tls_certificate = value;
  } else if (flag == "--sip-tls-key") {
    c.tls_private_key = value;
  } else if (flag == "--sip-tls-ca") {
    c.tls_ca = value;
  } else if (flag == "--sip-tls-port") {
    auto n = sdp::parse_uint<std::uint16_t>(value);
    if (!n) return bad("a port number");
    c.tls_port = *n;
  } else {
    return fail(error, "unknown SIP option '" + std::string(flag) + "'");
  }
  return true;
}

}  // namespace floe::bridge
