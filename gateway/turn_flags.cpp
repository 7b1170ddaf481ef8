#include "gateway/turn_flags.hpp"

#include <string>
#include <utility>
#include <vector>

namespace floe::cmd {

std::optional<io::TurnServerSpec> parse_ice_turn_server(std::string_view spec, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<io::TurnServerSpec> {
    if (error) *error = why;
    return std::nullopt;
  };
  // Items in any order (the JSON config's object form sorts its keys): the
  // URL, bare or as url=..., and KEY=VALUE settings. A URL's query has an
  // '=' too, so it is told apart by its scheme.
  std::optional<std::string_view> url;
  std::vector<std::pair<std::string_view, std::string_view>> settings;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.starts_with("url=")) item.remove_prefix(4);
    if (item.starts_with("turn:") || item.starts_with("turns:")) {
      if (url) return fail("more than one URL");
      url = item;
      continue;
    }
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return fail("'" + std::string(item) + "' is not KEY=VALUE");
    settings.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  if (!url) return fail("no turn: or turns: URL");
  auto out = io::parse_turn_url(*url, error);
  if (!out) return std::nullopt;
  for (const auto& [key, value] : settings) {
    if (key == "username") out->username = value;
    else if (key == "credential" || key == "password") out->password = value;
    else if (key == "secret") out->rest_secret = value;
    else if (key == "ca") out->ca_file = value;
    else if (key == "name") out->server_name = value;
    else if (key == "verify") out->verify = !(value == "0" || value == "false" || value == "no");
    else return fail("unknown key '" + std::string(key) + "'");
  }
  if (out->username.empty() && out->rest_secret.empty())
    return fail("needs username=... and credential=..., or secret=...");
  return out;
}

std::optional<int> parse_turn_flag(CommandLine& cl, std::string_view a, GatewayTurnSettings& s) {
  if (!a.starts_with("--turn-") && a != "--ice-turn-server") return std::nullopt;
  auto& t = s.embedded;
  auto need = [&](std::string_view what) -> std::optional<std::string_view> {
    auto v = cl.value();
    if (!v || v->empty()) {
      cl.fail(std::string(a) + " needs " + std::string(what));
      return std::nullopt;
    }
    return v;
  };
  if (a == "--turn-no-tcp") {
    t.tcp = false;
  } else if (a == "--turn-any-peer") {
    t.gateway_peers_only = false;
  } else if (a == "--turn-listen" || a == "--turn-tls-listen") {
    auto v = need("ADDR:PORT");
    if (!v) return 2;
    auto addr = SocketAddress::parse(*v, a == "--turn-listen" ? 3478 : 5349);
    if (!addr) return cl.fail(std::string(a) + " needs ADDR:PORT, e.g. 0.0.0.0:3478");
    (a == "--turn-listen" ? t.listen : t.tls_listen).push_back(*addr);
  } else if (a == "--turn-cert" || a == "--turn-key" || a == "--turn-realm" ||
             a == "--turn-secret" || a == "--turn-url") {
    auto v = need("a value");
    if (!v) return 2;
    if (a == "--turn-cert") t.tls_certificate = *v;
    else if (a == "--turn-key") t.tls_private_key = *v;
    else if (a == "--turn-realm") t.realm = *v;
    else if (a == "--turn-secret") t.rest_secret = *v;
    else t.urls.emplace_back(*v);
  } else if (a == "--turn-user") {
    auto v = need("NAME:PASSWORD");
    if (!v) return 2;
    const auto colon = v->find(':');
    if (colon == std::string_view::npos || colon == 0) return cl.fail("--turn-user needs NAME:PASSWORD");
    t.users[std::string(v->substr(0, colon))] = std::string(v->substr(colon + 1));
  } else if (a == "--turn-ttl") {
    auto v = need("SECONDS");
    auto n = v ? parse_number<std::uint32_t>(*v) : std::nullopt;
    if (!n || *n == 0) return cl.fail("--turn-ttl needs a number of seconds");
    t.rest_ttl = seconds(*n);
  } else if (a == "--turn-relay-ip") {
    auto v = need("an IP address");
    auto ip = v ? IpAddress::parse(*v) : std::nullopt;
    if (!ip || ip->is_unspecified()) return cl.fail("--turn-relay-ip needs a specific IP address");
    (ip->is_v4() ? t.relay_ipv4 : t.relay_ipv6) = *ip;
  } else if (a == "--turn-relay-ports") {
    auto v = need("LO-HI");
    if (!v) return 2;
    const auto dash = v->find('-');
    auto lo = dash != std::string_view::npos ? parse_number<std::uint16_t>(v->substr(0, dash))
                                             : std::nullopt;
    auto hi = lo ? parse_number<std::uint16_t>(v->substr(dash + 1)) : std::nullopt;
    if (!lo || !hi || *lo == 0 || *hi < *lo) return cl.fail("--turn-relay-ports needs LO-HI");
    t.relay_port_min = *lo;
    t.relay_port_max = *hi;
  } else if (a == "--turn-allow-peer") {
    auto v = need("a CIDR range");
    auto r = v ? turn::IpRange::parse(*v) : std::nullopt;
    if (!r) return cl.fail("--turn-allow-peer needs a CIDR range, e.g. 10.0.0.0/8");
    t.allowed_peers.push_back(*r);
  } else if (a == "--ice-turn-server") {
    auto v = need("URL[,username=U,credential=P]");
    if (!v) return 2;
    std::string err;
    auto spec = parse_ice_turn_server(*v, &err);
    if (!spec) return cl.fail("--ice-turn-server: " + err);
    s.ice_turn_servers.push_back(std::move(*spec));
  } else {
    return cl.fail("unknown option '" + std::string(a) + "' (see floe gateway --help)");
  }
  return 0;
}

}  // namespace floe::cmd
