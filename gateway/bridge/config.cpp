#include "gateway/bridge/config.hpp"

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
  for (auto item : sdp::split_all(spec, ',', 64)) {
    if (item.empty()) continue;
    auto [k, v] = sdp::split_once(item, '=');
    std::string key(k), value(v);
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

}  // namespace floe::bridge
