// A UDP driver around DtlsTransport for interop tests against third-party
// DTLS peers (tests/interop/dtls_openssl.sh). It prints what the peer's own
// tools print so a script can compare: the negotiated SRTP profile and the
// RFC 5764 exporter output, rebuilt from Floe's per-role split.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dtls/transport.hpp"

using namespace floe;
using namespace floe::dtls;

namespace {

struct Args {
  Role role = Role::Client;
  std::string listen = "127.0.0.1:0";
  std::string connect;
  std::string peer_fingerprint;
  std::string profiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32";
  std::string send_text;
  int timeout_ms = 10000;
  int linger_ms = 300;
  bool rsa = false;
};

bool parse_addr(const std::string& s, sockaddr_in& out) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  out = {};
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1))));
  return inet_pton(AF_INET, s.substr(0, colon).c_str(), &out.sin_addr) == 1;
}

std::vector<SrtpProfile> parse_profiles(const std::string& list) {
  std::vector<SrtpProfile> out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    auto end = list.find(':', pos);
    std::string name = list.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    for (auto p : {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmSha1_80,
                   SrtpProfile::Aes128CmSha1_32})
      if (name == profile_info(p).openssl_name) out.push_back(p);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

std::string hex(ByteView b) {
  static const char* d = "0123456789ABCDEF";
  std::string s;
  for (auto x : b) {
    s.push_back(d[x >> 4]);
    s.push_back(d[x & 15]);
  }
  return s;
}

// Reassembles "client key | server key | client salt | server salt".
std::string exporter_hex(const SrtpKeys& k, Role role) {
  auto info = profile_info(k.profile);
  const SrtpMasterKey& client = role == Role::Client ? k.local : k.remote;
  const SrtpMasterKey& server = role == Role::Client ? k.remote : k.local;
  Bytes out;
  auto key = [&](const SrtpMasterKey& m) { out.insert(out.end(), m.bytes.begin(), m.bytes.begin() + info.key_length); };
  auto salt = [&](const SrtpMasterKey& m) {
    out.insert(out.end(), m.bytes.begin() + info.key_length, m.bytes.begin() + m.length);
  };
  key(client);
  key(server);
  salt(client);
  salt(server);
  return hex(out);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto v = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--role") a.role = v() == "server" ? Role::Server : Role::Client;
    else if (k == "--listen") a.listen = v();
    else if (k == "--connect") a.connect = v();
    else if (k == "--peer-fingerprint") a.peer_fingerprint = v();
    else if (k == "--profiles") a.profiles = v();
    else if (k == "--send") a.send_text = v();
    else if (k == "--timeout-ms") a.timeout_ms = std::stoi(v());
    else if (k == "--rsa") a.rsa = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  auto fp = Fingerprint::parse(a.peer_fingerprint);
  if (!fp) {
    std::fprintf(stderr, "--peer-fingerprint must look like 'sha-256 AB:CD:...'\n");
    return 2;
  }
  auto cert = Certificate::generate(a.rsa ? KeyType::Rsa2048 : KeyType::EcdsaP256);
  auto ctx = DtlsContext::create(cert, parse_profiles(a.profiles));
  if (!ctx) {
    std::fprintf(stderr, "cannot build DTLS context\n");
    return 2;
  }
  std::printf("FINGERPRINT: %s\n", cert->fingerprint().to_string().c_str());

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{}, peer{};
  if (!parse_addr(a.listen, local) || bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    std::perror("bind");
    return 2;
  }
  bool have_peer = false;
  if (!a.connect.empty()) {
    if (!parse_addr(a.connect, peer)) return 2;
    have_peer = true;
  }
  socklen_t len = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  std::printf("LISTENING: %d\n", ntohs(local.sin_port));
  std::fflush(stdout);

  DtlsConfig cfg;
  cfg.role = a.role;
  cfg.remote_fingerprint = *fp;
  DtlsTransport t(ctx, cfg);
  auto now = [] { return Clock::now(); };
  const Instant deadline = now() + milliseconds(a.timeout_ms);
  Instant close_at = kNever;
  int exit_code = 1;
  bool done = false;
  t.start(now());
  std::vector<std::uint8_t> buf(65536);
  while (!done) {
    while (auto o = t.poll_output()) {
      if (auto* tx = std::get_if<DtlsTransport::Transmit>(&*o)) {
        if (have_peer)
          sendto(fd, tx->data.data(), tx->data.size(), 0, reinterpret_cast<sockaddr*>(&peer), sizeof peer);
      } else if (auto* c = std::get_if<DtlsTransport::Connected>(&*o)) {
        std::printf("CONNECTED handshake_ms=%lld\n",
                    static_cast<long long>(std::chrono::duration_cast<milliseconds>(c->handshake_time).count()));
        if (c->srtp) {
          std::printf("PROFILE: %s\n", profile_info(c->srtp->profile).openssl_name);
          std::printf("KEYING MATERIAL: %s\n", exporter_hex(*c->srtp, a.role).c_str());
        } else {
          std::printf("PROFILE: none\n");
        }
        exit_code = 0;
        if (!a.send_text.empty()) {
          std::string line = a.send_text + "\n";
          t.send(as_bytes(line));
          close_at = now() + milliseconds(a.linger_ms);
        }
      } else if (auto* d = std::get_if<DtlsTransport::ApplicationData>(&*o)) {
        std::string s(as_chars(d->data));
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        std::printf("APPDATA: %s\n", s.c_str());
        if (a.role == Role::Server) t.send(d->data);  // echo
      } else if (auto* f = std::get_if<DtlsTransport::Failed>(&*o)) {
        std::printf("FAILED: %s\n", f->reason.c_str());
        exit_code = 1;
        done = true;
      } else if (std::get_if<DtlsTransport::Closed>(&*o)) {
        std::printf("CLOSED\n");
        done = true;
      }
      std::fflush(stdout);
    }
    if (done) break;
    Instant wake = std::min({t.next_timeout(), deadline, close_at});
    auto ms = std::chrono::duration_cast<milliseconds>(wake - now()).count();
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(std::max<long long>(0, std::min<long long>(ms, 1000))));
    if (r > 0) {
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n > 0) {
        if (!have_peer) {
          peer = from;
          have_peer = true;
        }
        t.handle_input(now(), {buf.data(), static_cast<std::size_t>(n)});
      }
    }
    Instant n2 = now();
    if (n2 >= close_at) {
      t.close(n2);
      close_at = kNever;
    }
    if (t.next_timeout() <= n2) t.handle_timeout(n2);
    if (n2 >= deadline) {
      std::printf(t.state() == DtlsTransport::State::Connected ? "TIMEOUT (connected)\n"
                                                                : "TIMEOUT\n");
      done = true;
    }
  }
  while (auto o = t.poll_output())
    if (auto* tx = std::get_if<DtlsTransport::Transmit>(&*o); tx && have_peer)
      sendto(fd, tx->data.data(), tx->data.size(), 0, reinterpret_cast<sockaddr*>(&peer), sizeof peer);
  std::fflush(stdout);
  close(fd);
  return exit_code;
}
