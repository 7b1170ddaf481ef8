// A UDP driver around DtlsTransport for interop tests against third-party
// DTLS peers (tests/interop/dtls_openssl.sh). It prints what the peer's own
// tools print so a script can compare: the negotiated SRTP profile and the
// RFC 5764 exporter output, rebuilt from Floe's per-role split.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <map>
#include <memory>
#include <set>

#include "dtls/sctp/association.hpp"
#include "dtls/srtp/demux.hpp"
#include "dtls/srtp/session.hpp"
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
  bool sctp = false;
  int srtp_packets = 0;  // --srtp N: exchange N SRTP packets after the handshake
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

// SRTP exchange with --srtp N: N RTP packets (PCMU, 160-byte payload whose
// bytes are (seq + i) mod 256) go out protected with the DTLS-SRTP keys; the
// peer's packets are unprotected and their payload checked the same way.
struct SrtpExchange {
  srtp::SrtpSession session;
  std::vector<Bytes> early;  // arrived before our handshake finished
  int in_ok = 0;
  int in_bad = 0;

  void send_all(int n, int fd, const sockaddr_in& peer) {
    std::array<std::uint8_t, 256> buf{};
    for (int i = 0; i < n; ++i) {
      auto seq = static_cast<std::uint16_t>(1000 + i);
      buf[0] = 0x80;
      buf[1] = 0;
      store_be16(&buf[2], seq);
      store_be32(&buf[4], seq * 160u);
      store_be32(&buf[8], 0xF10E0001u);
      for (int j = 0; j < 160; ++j) buf[12 + j] = static_cast<std::uint8_t>(seq + j);
      auto len = session.protect_rtp(buf, 172);
      if (len) sendto(fd, buf.data(), *len, 0, reinterpret_cast<const sockaddr*>(&peer), sizeof peer);
    }
    std::printf("SRTP OUT %d\n", n);
  }

  void receive(Bytes packet) {
    if (!session.ready()) {
      early.push_back(std::move(packet));
      return;
    }
    auto len = session.unprotect_rtp(packet);
    bool ok = len && *len == 172;
    for (int j = 0; ok && j < 160; ++j)
      ok = packet[12 + j] == static_cast<std::uint8_t>(load_be16(&packet[2]) + j);
    ok ? ++in_ok : ++in_bad;
    if (!len) std::printf("SRTP DROP %s\n", srtp::to_string(*session.last_drop()));
  }

  void drain_early() {
    auto pending = std::move(early);
    early.clear();
    for (auto& p : pending) receive(std::move(p));
  }
};

// Data-channel scenario run over the DTLS session with --sctp: Floe opens an
// ordered and an unordered channel, sends messages of several sizes on each
// and expects the peer to echo them; it echoes whatever arrives on channels
// the peer opened; then it closes its channels and shuts the association down.
struct SctpScenario {
  std::unique_ptr<sctp::SctpAssociation> assoc;
  std::map<std::uint16_t, std::string> labels;
  std::map<std::uint16_t, std::multiset<std::pair<bool, Bytes>>> awaiting;
  std::set<std::uint16_t> own_open;
  int peer_messages = 0;
  int echoed_channels = 0;
  bool peer_channel = false;
  bool shutdown_sent = false;

  bool success() const { return echoed_channels == 2 && peer_channel && peer_messages >= 3; }

  void on_connected(Instant now) {
    std::printf("SCTP CONNECTED\n");
    for (bool ordered : {true, false}) {
      sctp::ChannelOptions o{.label = ordered ? "floe-ordered" : "floe-unordered", .ordered = ordered};
      auto id = assoc->open_channel(now, o);
      if (!id) {
        std::printf("OPEN FAILED %s\n", o.label.c_str());
        continue;
      }
      labels[*id] = o.label;
      own_open.insert(*id);
      std::uint8_t seed = 0;
      for (std::size_t n : {0u, 1u, 1000u, 65536u, 262144u}) {
        for (bool binary : {false, true}) {
          Bytes m(n);
          for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::uint8_t>('a' + (seed + i) % 26);
          ++seed;
          if (assoc->send(now, *id, m, binary)) awaiting[*id].insert({binary, m});
        }
      }
    }
  }

  void on_output(Instant now, sctp::SctpAssociation::Output& o, DtlsTransport& t) {
    using A = sctp::SctpAssociation;
    if (auto* tx = std::get_if<A::Transmit>(&o)) {
      t.send(tx->data);
    } else if (std::holds_alternative<A::Connected>(o)) {
      on_connected(now);
    } else if (auto* c = std::get_if<A::ChannelOpen>(&o)) {
      if (c->by_peer) {
        labels[c->id] = c->label;
        peer_channel = true;
        std::printf("PEER CHANNEL %s id=%u\n", c->label.c_str(), c->id);
      } else {
        std::printf("CHANNEL OPEN %s id=%u\n", c->label.c_str(), c->id);
      }
    } else if (auto* m = std::get_if<A::Message>(&o)) {
      if (own_open.count(m->id)) {
        auto& set = awaiting[m->id];
        auto it = set.find({m->binary, m->data});
        if (it == set.end()) {
          std::printf("UNEXPECTED ECHO on %s (%zu bytes)\n", labels[m->id].c_str(), m->data.size());
          return;
        }
        set.erase(it);
        if (set.empty()) {
          ++echoed_channels;
          std::printf("ECHO OK %s\n", labels[m->id].c_str());
          assoc->close_channel(now, m->id);
        }
      } else {
        ++peer_messages;
        std::printf("PEER MESSAGE %s %s %zu bytes\n", labels[m->id].c_str(),
                    m->binary ? "binary" : "string", m->data.size());
        assoc->send(now, m->id, m->data, m->binary);
      }
    } else if (auto* cc = std::get_if<A::ChannelClosed>(&o)) {
      std::printf("CHANNEL CLOSED %s\n", labels[cc->id].c_str());
      own_open.erase(cc->id);
    } else if (auto* cl = std::get_if<A::Closed>(&o)) {
      std::printf("SCTP CLOSED %s\n", cl->reason.c_str());
    }
    if (success() && own_open.empty() && !shutdown_sent) {
      shutdown_sent = true;
      assoc->shutdown(now);
    }
  }
};

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
    else if (k == "--sctp") a.sctp = true;
    else if (k == "--srtp") a.srtp_packets = std::stoi(v());
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
  SctpScenario scenario;
  SrtpExchange srtp_x;
  std::vector<std::uint8_t> buf(65536);
  while (!done) {
    for (bool more = true; more;) {
      more = false;
      if (scenario.assoc) {
        while (auto o = scenario.assoc->poll_output()) {
          scenario.on_output(now(), *o, t);
          more = true;
        }
        if (scenario.assoc->state() == sctp::SctpAssociation::State::Closed && !done) {
          exit_code = scenario.success() ? 0 : 1;
          t.close(now());
        }
      }
    while (auto o = t.poll_output()) {
      more = true;
      if (auto* tx = std::get_if<DtlsTransport::Transmit>(&*o)) {
        if (have_peer)
          sendto(fd, tx->data.data(), tx->data.size(), 0, reinterpret_cast<sockaddr*>(&peer), sizeof peer);
      } else if (auto* c = std::get_if<DtlsTransport::Connected>(&*o)) {
        std::printf("CONNECTED handshake_ms=%lld\n",
                    static_cast<long long>(std::chrono::duration_cast<milliseconds>(c->handshake_time).count()));
        if (c->srtp) {
          std::printf("PROFILE: %s\n", profile_info(c->srtp->profile).openssl_name);
          std::printf("KEYING MATERIAL: %s\n", exporter_hex(*c->srtp, a.role).c_str());
          if (a.srtp_packets > 0 && srtp_x.session.set_keys(*c->srtp)) {
            srtp_x.send_all(a.srtp_packets, fd, peer);
            srtp_x.drain_early();
          }
        } else {
          std::printf("PROFILE: none\n");
        }
        exit_code = a.srtp_packets > 0 ? 1 : 0;  // SRTP mode: until the peer's packets check out
        if (a.sctp) {
          sctp::SctpConfig sc;
          sc.dtls_client = a.role == Role::Client;
          sc.mtu = std::min<std::size_t>(1150, t.max_application_payload());
          scenario.assoc = std::make_unique<sctp::SctpAssociation>(sc);
          scenario.assoc->start(now());
          exit_code = 1;  // until the scenario succeeds
        }
        if (!a.send_text.empty()) {
          std::string line = a.send_text + "\n";
          t.send(as_bytes(line));
          close_at = now() + milliseconds(a.linger_ms);
        }
      } else if (auto* ad = std::get_if<DtlsTransport::ApplicationData>(&*o); ad && scenario.assoc) {
        scenario.assoc->handle_input(now(), ad->data);
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
        if (scenario.assoc && !scenario.success()) exit_code = 1;
        done = true;
      }
      std::fflush(stdout);
    }
    }
    if (done) break;
    Instant wake = std::min({t.next_timeout(), deadline, close_at});
    if (scenario.assoc) wake = std::min(wake, scenario.assoc->next_timeout());
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
        ByteView dg{buf.data(), static_cast<std::size_t>(n)};
        auto cls = srtp::classify(dg);
        if (cls == srtp::PacketClass::Rtp && a.srtp_packets > 0) {
          srtp_x.receive(Bytes(dg.begin(), dg.end()));
          if (srtp_x.in_ok + srtp_x.in_bad == a.srtp_packets) {
            std::printf("SRTP IN ok=%d bad=%d\n", srtp_x.in_ok, srtp_x.in_bad);
            exit_code = srtp_x.in_ok == a.srtp_packets ? 0 : 1;
            close_at = now() + milliseconds(a.linger_ms);
          }
        } else {
          t.handle_input(now(), dg);
        }
      }
    }
    Instant n2 = now();
    if (n2 >= close_at) {
      t.close(n2);
      close_at = kNever;
    }
    if (t.next_timeout() <= n2) t.handle_timeout(n2);
    if (scenario.assoc && scenario.assoc->next_timeout() <= n2) scenario.assoc->handle_timeout(n2);
    if (n2 >= deadline) {
      std::printf(t.state() == DtlsTransport::State::Connected ? "TIMEOUT (connected)\n"
                                                                : "TIMEOUT\n");
      if (a.srtp_packets > 0)
        std::printf("SRTP IN ok=%d bad=%d (incomplete)\n", srtp_x.in_ok, srtp_x.in_bad);
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
