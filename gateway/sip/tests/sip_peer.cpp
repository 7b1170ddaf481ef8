// A small SIP endpoint on real sockets (the Asio driver in gateway/sip/io),
// built on the sans-IO UserAgent, for the sipp interop scripts
// (tests/interop/sip_*.sh). --transport udp|tcp|tls picks what it sends on;
// it listens on UDP and TCP, and on TLS at --tls-port (default: UDP port + 1)
// when --cert FILE --key FILE are given (--ca FILE verifies the peer's
// certificate, --no-verify 1 accepts any; requests then use sips: URIs).
// Modes:
//   uac      --local IP:PORT --remote IP:PORT [--calls N] [--hold-ms MS]
//            [--user U --password P] [--expect CODE] [--cancel-after-ms MS]
//            INVITE -> 1xx/2xx -> ACK -> BYE -> 200, N times in a row; with
//            --expect 4xx-6xx the call must end with that final (ACKed by
//            the transaction); --cancel-after-ms CANCELs after the first 1xx;
//            --session-expires S asks for an RFC 4028 session timer and
//            prints the interval and refresher the 2xx settled on.
//   uas      --local IP:PORT [--calls N] [--answer-after-ms MS]
//            answers INVITE with 180, then 200 (SDP) after MS; waits for ACK
//            and BYE, or a CANCEL; answers OPTIONS 200 on its own.
//   register --local IP:PORT --remote IP:PORT --user U --password P
//            [--expires S] [--refreshes N]
//            registers (digest), waits for N refreshes, unregisters.
// Every mode takes --timeout S (default 30) and exits 0 only on success.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/sip/io/transport.hpp"
#include "gateway/sip/session_timer.hpp"
#include "gateway/sip/user_agent.hpp"

using namespace floe;
using namespace floe::sip;

namespace {

std::map<std::string, std::string> g_args;

std::string arg(const std::string& name, const std::string& fallback = {}) {
  auto it = g_args.find(name);
  return it == g_args.end() ? fallback : it->second;
}

const char* kSdp =
    "v=0\r\no=floe 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

Bytes sdp() { return Bytes(kSdp, kSdp + std::char_traits<char>::length(kSdp)); }

// Runs the UserAgent on the Asio driver (UDP + TCP on one port).
class Driver {
 public:
  Driver(UserAgent& ua, const SocketAddress& local) : transport_(io_, ua, local, true) {}
  Driver(UserAgent& ua, const SocketAddress& local, const io::TlsOptions& tls)
      : transport_(io_, ua, local, true, tls) {}

  // Runs until `done()` or the deadline; `on_event` sees every UA event.
  bool run(Duration limit, const std::function<void(Instant, UaEvent&)>& on_event,
           const std::function<bool()>& done) {
    transport_.on_event = [&](UaEvent& e) { on_event(Clock::now(), e); };
    Instant deadline = Clock::now() + limit;
    transport_.kick();
    while (true) {
      bool finished = done();
      transport_.kick();  // done() may have used the UserAgent
      if (finished) {
        io_.run_for(milliseconds(50));  // let the last writes leave
        return true;
      }
      if (Clock::now() >= deadline) return false;
      io_.run_for(milliseconds(20));
    }
  }
  const io::TransportStats& stats() const { return transport_.stats(); }

 private:
  boost::asio::io_context io_;
  io::SipTransport transport_;
};

int run_uac(UserAgent& ua, Driver& net, const SocketAddress& remote, Duration limit) {
  const int calls = std::atoi(arg("calls", "1").c_str());
  const auto hold = milliseconds(std::atoi(arg("hold-ms", "200").c_str()));
  const int expect = std::atoi(arg("expect", "200").c_str());
  const int cancel_after = std::atoi(arg("cancel-after-ms", "-1").c_str());
  std::optional<DigestCredentials> creds;
  if (!arg("user").empty()) creds = DigestCredentials{arg("user"), arg("password")};
  Uri target = Uri::sip("service", remote.ip().to_string(), remote.port());
  if (ua.config().transport == Transport::Tls) target.scheme = "sips";  // §26.2
  Uri me = Uri::sip("floe", ua.config().host, ua.config().port);
  int answered = 0, completed = 0, provisional = 0, failed = 0, finals_as_expected = 0;
  std::uint64_t invite = 0;
  std::optional<DialogId> dialog;
  Instant bye_at = kNever, cancel_at = kNever;
  const int session_expires = std::atoi(arg("session-expires", "0").c_str());
  SessionTimer timer({.session_expires = static_cast<std::uint32_t>(std::max(session_expires, 0))});
  auto start_call = [&](Instant now) {
    Message inv = ua.new_request("INVITE", target, target, me);
    if (session_expires > 0) {
      timer = SessionTimer({.session_expires = static_cast<std::uint32_t>(session_expires)});
      timer.add_to_request(inv);  // one session timer per call (dialog)
    }
    inv.add("Content-Type", "application/sdp");
    inv.body = sdp();
    invite = ua.send_request(now, std::move(inv), creds);
  };
  auto next_call = [&](Instant now) {
    ++completed;
    if (completed < calls) start_call(now);
  };
  start_call(Clock::now());
  bool ok = net.run(
      limit,
      [&](Instant now, UaEvent& e) {
        if (e.kind == UaEvent::Kind::Response && e.id == invite) {
          if (e.status < 200) {
            ++provisional;
            if (cancel_after >= 0 && cancel_at == kNever) cancel_at = now + milliseconds(cancel_after);
          } else if (e.status < 300) {
            ++answered;
            if (session_expires > 0) {
              timer.on_2xx_as_uac(now, e.message);
              std::printf("session timer: active=%d interval=%u we_refresh=%d\n", timer.active(),
                          timer.interval(), timer.we_refresh());
            }
            dialog = e.dialog;
            bye_at = now + hold;
          } else if (e.status == expect) {
            ++finals_as_expected;  // the transaction already sent the ACK
            cancel_at = kNever;
            next_call(now);
          } else {
            std::fprintf(stderr, "INVITE failed: %d\n", e.status);
            ++failed;
          }
        } else if (e.kind == UaEvent::Kind::RequestFailed) {
          ++failed;
        } else if (e.kind == UaEvent::Kind::DialogTerminated) {
          next_call(now);
        }
      },
      [&] {
        Instant now = Clock::now();
        if (dialog && bye_at <= now) {
          ua.send_in_dialog(now, *dialog, "BYE");
          dialog.reset();
          bye_at = kNever;
        }
        if (cancel_at <= now) {
          ua.cancel(now, invite);
          cancel_at = Instant::max() - seconds(1);  // once per call; reset by the final
        }
        return completed >= calls || failed > 0;
      });
  std::printf("uac: calls=%d provisional=%d answered=%d finals_%d=%d completed=%d failed=%d "
              "transmits=%llu pracks=%llu tls_connected=%llu tls_out=%llu tls_in=%llu "
              "handshake_failures=%llu\n",
              calls, provisional, answered, expect, finals_as_expected, completed, failed,
              static_cast<unsigned long long>(ua.stats().transmits),
              static_cast<unsigned long long>(ua.stats().pracks_sent),
              static_cast<unsigned long long>(net.stats().tls_connected),
              static_cast<unsigned long long>(net.stats().tls_out),
              static_cast<unsigned long long>(net.stats().tls_in),
              static_cast<unsigned long long>(net.stats().tls_handshake_failures));
  bool good = expect == 200 ? answered == calls : finals_as_expected == calls;
  return ok && failed == 0 && good && completed == calls ? 0 : 1;
}

int run_uas(UserAgent& ua, Driver& net, Duration limit) {
  const int calls = std::atoi(arg("calls", "1").c_str());
  int invites = 0, acks = 0, byes = 0, others = 0, cancelled = 0;
  const auto answer_after = milliseconds(std::atoi(arg("answer-after-ms", "0").c_str()));
  std::vector<std::pair<Instant, std::uint64_t>> pending;  // INVITEs to answer 200
  bool ok = net.run(
      limit,
      [&](Instant now, UaEvent& e) {
        switch (e.kind) {
          case UaEvent::Kind::IncomingRequest:
            if (e.message.method == "INVITE" && !e.dialog) {
              ++invites;
              ua.respond(now, e.id, ua.make_response(e.id, 180));
              pending.emplace_back(now + answer_after, e.id);
            } else {
              ++others;
              ua.respond(now, e.id, ua.make_response(e.id, e.message.method == "MESSAGE" ? 200 : 501));
            }
            break;
          case UaEvent::Kind::AckReceived: ++acks; break;
          case UaEvent::Kind::Cancelled:
            ++cancelled;
            std::erase_if(pending, [&](const auto& p) { return p.second == e.id; });
            break;
          case UaEvent::Kind::DialogTerminated: ++byes; break;
          default: break;
        }
      },
      [&] {
        Instant now = Clock::now();
        while (!pending.empty() && pending.front().first <= now) {
          auto id = pending.front().second;
          pending.erase(pending.begin());
          Message ok200 = ua.make_response(id, 200);
          ok200.add("Content-Type", "application/sdp");
          ok200.body = sdp();
          ua.respond(now, id, std::move(ok200));
        }
        return byes + cancelled >= calls;
      });
  const auto& st = ua.stats();
  std::printf("uas: invites=%d cancelled=%d acks=%d byes=%d other_requests=%d requests_seen=%llu "
              "bad_requests=%llu stray_acks=%llu udp_in=%llu udp_out=%llu tcp_in=%llu tls_in=%llu "
              "tls_out=%llu\n",
              invites, cancelled, acks, byes, others, static_cast<unsigned long long>(st.requests),
              static_cast<unsigned long long>(st.bad_requests),
              static_cast<unsigned long long>(st.stray_acks),
              static_cast<unsigned long long>(net.stats().udp_in),
              static_cast<unsigned long long>(net.stats().udp_out),
              static_cast<unsigned long long>(net.stats().tcp_in),
              static_cast<unsigned long long>(net.stats().tls_in),
              static_cast<unsigned long long>(net.stats().tls_out));
  return ok && acks + cancelled == calls && byes + cancelled == calls ? 0 : 1;
}

int run_register(UserAgent& ua, Driver& net, const SocketAddress& remote, Duration limit) {
  RegistrationConfig cfg;
  cfg.registrar = Uri::sip("", remote.ip().to_string(), remote.port());
  cfg.aor = Uri::sip(arg("user", "alice"), remote.ip().to_string());
  cfg.credentials = {arg("user", "alice"), arg("password", "secret")};
  cfg.expires = static_cast<std::uint32_t>(std::atoi(arg("expires", "60").c_str()));
  const int refreshes = std::atoi(arg("refreshes", "1").c_str());
  auto id = ua.add_registration(Clock::now(), cfg);
  int registered = 0;
  bool stopping = false, stopped = false;
  bool ok = net.run(
      limit,
      [&](Instant now, UaEvent& e) {
        if (e.kind != UaEvent::Kind::RegistrationChanged || e.id != id) return;
        auto st = ua.registration(id)->state();
        std::printf("register: state=%d status=%d expires=%u\n", static_cast<int>(st), e.status,
                    ua.registration(id)->granted_expires());
        if (st == Registration::State::Unregistered) stopped = true;
        (void)now;
      },
      [&] {
        const Registration* r = ua.registration(id);
        // Count 200s: the state stays Registered across refreshes, so watch
        // the expiry time move.
        static Instant last_expiry = kNever;
        if (r->state() == Registration::State::Registered && r->expires_at() != last_expiry) {
          last_expiry = r->expires_at();
          ++registered;
        }
        if (!stopping && registered > refreshes) {
          stopping = true;
          ua.remove_registration(Clock::now(), id);
        }
        return stopped;
      });
  std::printf("register: successful_registers=%d (1 initial + %d refreshes) unregistered=%s "
              "failures=%d\n",
              registered, registered - 1, stopped ? "yes" : "no",
              ua.registration(id)->failures());
  return ok && stopped && registered == refreshes + 1 && ua.registration(id)->last_status() == 200
             ? 0
             : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: sip_peer uac|uas|register --local IP:PORT ...\n");
    return 2;
  }
  std::string mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) g_args[std::string(argv[i]).substr(2)] = argv[i + 1];
  auto local = SocketAddress::parse(arg("local", "127.0.0.1:5060"));
  if (!local) return 2;
  UserAgentConfig cfg;
  cfg.host = local->ip().to_string();
  cfg.port = local->port();
  cfg.user = "floe";
  if (arg("transport", "udp") == "tcp") cfg.transport = Transport::Tcp;
  if (arg("transport", "udp") == "tls") cfg.transport = Transport::Tls;
  UserAgent ua(cfg);
  std::unique_ptr<Driver> driver;
  if (!arg("cert").empty() || cfg.transport == Transport::Tls) {
    io::TlsOptions tls;
    tls.certificate_file = arg("cert");
    tls.private_key_file = arg("key");
    tls.ca_file = arg("ca");
    tls.verify_peer = arg("no-verify", "0") != "1";
    tls.peer_name = arg("peer-name");
    tls.listen = !tls.certificate_file.empty();
    tls.listen_port = static_cast<std::uint16_t>(
        std::atoi(arg("tls-port", std::to_string(local->port() + 1)).c_str()));
    driver = std::make_unique<Driver>(ua, *local, tls);
  } else {
    driver = std::make_unique<Driver>(ua, *local);
  }
  Driver& net = *driver;
  Duration limit = seconds(std::atoi(arg("timeout", "30").c_str()));
  if (mode == "uas") return run_uas(ua, net, limit);
  auto remote = SocketAddress::parse(arg("remote"));
  if (!remote) {
    std::fprintf(stderr, "--remote IP:PORT required\n");
    return 2;
  }
  if (mode == "uac") return run_uac(ua, net, *remote, limit);
  if (mode == "register") return run_register(ua, net, *remote, limit);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
