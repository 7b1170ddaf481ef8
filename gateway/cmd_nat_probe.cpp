// `floe nat-probe`: RFC 5780 NAT behaviour discovery against a STUN server
// that has an alternate address (OTHER-ADDRESS).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <charconv>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "gateway/command_line.hpp"
#include "ice/io/nat_probe.hpp"

namespace floe::cmd {
namespace {

constexpr const char* kUsage =
    "usage: floe nat-probe --server HOST[:PORT] [--json] [--timeout-ms N] [--local ADDR]\n"
    "\n"
    "Runs the RFC 5780 mapping (§4.3), filtering (§4.4) and hairpinning (§4.5) tests.\n"
    "  --server HOST[:PORT]  STUN server with RFC 5780 support (default port 3478)\n"
    "  --json                print one JSON object\n"
    "  --timeout-ms N        how long each test waits for an answer (default 2000)\n"
    "  --local ADDR[:PORT]   local IP (and port of the mapping socket) to probe from\n"
    "  --no-hairpin          skip the hairpinning test\n"
    "Exit status: 0 on success, 1 when the server does not answer or lacks RFC 5780.\n";

// HOST may be an IP literal ("1.2.3.4", "[::1]:3478") or a DNS name.
std::optional<SocketAddress> resolve(std::string_view text) {
  if (auto a = SocketAddress::parse(text, 3478)) return a;
  std::string host(text), port = "3478";
  if (auto colon = host.rfind(':'); colon != std::string::npos) {
    port = host.substr(colon + 1);
    host.resize(colon);
  }
  boost::asio::io_context io;
  boost::asio::ip::udp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, port, ec);
  if (ec) return std::nullopt;
  for (const auto& r : results)
    if (auto a = SocketAddress::from_sockaddr(r.endpoint().data())) return a;
  return std::nullopt;
}

std::string json_string(const std::optional<SocketAddress>& a) {
  return a ? "\"" + a->to_string() + "\"" : "null";
}

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void print_json(const SocketAddress& server, const io::NatProbeOutcome& o,
                const std::string& error) {
  const auto& r = o.result;
  std::string j = "{\"server\":\"" + server.to_string() + "\"";
  if (!error.empty()) j += ",\"error\":\"" + escape(error) + "\"";
  if (r.error_code) j += ",\"error_code\":" + std::to_string(r.error_code);
  j += ",\"local_address\":\"" + o.local[0].to_string() + "\"";
  j += ",\"mapped_address\":" + json_string(r.mapped);
  j += ",\"other_address\":" + json_string(r.other_address);
  j += ",\"response_origin\":" + json_string(r.response_origin);
  j += ",\"behind_nat\":";
  j += r.behind_nat ? (*r.behind_nat ? "true" : "false") : "null";
  j += std::string(",\"mapping\":\"") + stun::to_string(r.mapping) + "\"";
  j += std::string(",\"filtering\":\"") + stun::to_string(r.filtering) + "\"";
  j += std::string(",\"hairpinning\":\"") + stun::to_string(r.hairpinning) + "\"";
  j += ",\"mapping_tests\":[";
  for (std::size_t i = 0; i < r.mapping_tests.size(); ++i)
    j += (i ? "," : "") + json_string(r.mapping_tests[i]);
  j += "],\"filtering_tests\":[";
  for (std::size_t i = 0; i < r.filtering_tests.size(); ++i) {
    const auto& t = r.filtering_tests[i];
    j += std::string(i ? "," : "") + (t ? (*t ? "true" : "false") : "null");
  }
  j += "]}";
  std::printf("%s\n", j.c_str());
}

void print_text(const SocketAddress& server, const io::NatProbeOutcome& o) {
  const auto& r = o.result;
  std::printf("server:                   %s", server.to_string().c_str());
  if (r.other_address) std::printf(" (other address %s)", r.other_address->to_string().c_str());
  std::printf("\nlocal address:            %s\n", o.local[0].to_string().c_str());
  if (r.mapped)
    std::printf("server-reflexive address: %s\n", r.mapped->to_string().c_str());
  if (!r.other_address) return;
  const char* nat = !r.behind_nat  ? "unknown"
                    : *r.behind_nat ? "yes (mapped address differs from local address)"
                                    : "none detected (mapped address equals local address)";
  std::printf("NAT:                      %s\n", nat);
  std::printf("mapping behaviour:        %s\n", stun::to_string(r.mapping));
  std::printf("filtering behaviour:      %s\n", stun::to_string(r.filtering));
  std::printf("hairpinning:              %s\n", stun::to_string(r.hairpinning));
}

}  // namespace

int nat_probe(std::span<const std::string_view> args) {
  io::NatProbeOptions o;
  std::optional<std::string_view> server_text;
  bool json = false;
  CommandLine cl("nat-probe", args);
  while (cl.next()) {
    const std::string_view a = cl.flag();
    if (cl.help()) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--server") {
      server_text = cl.value();
      if (!server_text) return cl.fail("--server needs HOST[:PORT]", kUsage);
    } else if (a == "--json") {
      json = true;
    } else if (a == "--no-hairpin") {
      o.hairpinning = false;
    } else if (a == "--timeout-ms") {
      auto v = cl.value();
      auto ms = v ? parse_number<unsigned>(*v) : std::nullopt;
      if (!ms || *ms == 0 || *ms > 600000)
        return cl.fail("--timeout-ms needs a number of milliseconds (1-600000)", kUsage);
      o.test_timeout = milliseconds(*ms);
    } else if (a == "--local") {
      auto v = cl.value();
      auto addr = v ? SocketAddress::parse(*v, 0) : std::nullopt;
      if (!addr) return cl.fail("--local needs an IP address, optionally with :PORT", kUsage);
      o.local = *addr;
    } else {
      return cl.fail("unknown option '" + std::string(a) + "'", kUsage);
    }
  }
  if (!server_text) return cl.fail("--server is required", kUsage);
  auto server = resolve(*server_text);
  if (!server) {
    std::fprintf(stderr, "floe nat-probe: cannot resolve '%.*s'\n",
                 static_cast<int>(server_text->size()), server_text->data());
    return 1;
  }
  o.server = *server;

  io::NatProbeOutcome out = io::run_nat_probe(o);
  std::string error;
  if (out.failure) {
    error = *out.failure;
  } else if (out.result.error != stun::ProbeError::None) {
    error = stun::to_string(out.result.error);
    if (out.result.error == stun::ProbeError::NoResponse)
      error += " " + o.server.to_string() + " within " +
               std::to_string(std::chrono::duration_cast<milliseconds>(o.test_timeout).count()) +
               " ms";
    if (out.result.error_code) error += " " + std::to_string(out.result.error_code);
  }
  if (json) {
    print_json(o.server, out, error);
  } else {
    if (!out.failure) print_text(o.server, out);
    if (!error.empty()) std::fprintf(stderr, "floe nat-probe: %s\n", error.c_str());
  }
  return error.empty() ? 0 : 1;
}

}  // namespace floe::cmd
