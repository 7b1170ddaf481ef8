// SIP over TLS (RFC 3261 §26.2, RFC 5630) through the Asio driver on
// 127.0.0.1, with certificates generated here: sips: requests, a dialog
// whose ACK/BYE stay on TLS, and the verification outcomes (trusted,
// untrusted, wrong name, verification off).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <functional>

#include "gateway/sip/io/transport.hpp"

using namespace floe;
using namespace floe::sip;
namespace asio = boost::asio;

namespace {

// A self-signed P-256 certificate for CN=`cn` with subjectAltName `san`,
// written as PEM files; it is its own CA.
struct TestCert {
  std::string cert, key;
};

TestCert make_cert(const std::string& dir, const std::string& name, const std::string& san) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* n = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, n);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san},
                            std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, pkey, EVP_sha256());
  TestCert out{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  FILE* f = std::fopen(out.cert.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(out.key.c_str(), "w");
  PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(pkey);
  return out;
}

struct Certs {
  std::string dir;
  TestCert server, other;
  Certs() {
    char tmpl[] = "/tmp/floe_sip_tls_XXXXXX";
    dir = mkdtemp(tmpl);
    server = make_cert(dir, "server", "IP:127.0.0.1,DNS:trunk.test");
    other = make_cert(dir, "other", "IP:127.0.0.1");
  }
  ~Certs() { std::filesystem::remove_all(dir); }
};

UserAgentConfig ua_config(const char* user) {
  UserAgentConfig c;
  c.host = "127.0.0.1";
  c.user = user;
  c.timers.t1 = milliseconds(20);  // timer B/F after 1.28 s
  return c;
}

struct Pair {
  Certs certs;
  asio::io_context io;
  UserAgent server_ua{ua_config("bob")};
  UserAgent client_ua{ua_config("alice")};
  std::unique_ptr<io::SipTransport> server, client;
  std::vector<UaEvent> server_events, client_events;

  explicit Pair(const std::function<void(io::TlsOptions&)>& client_tls) {
    io::TlsOptions s;
    s.certificate_file = certs.server.cert;
    s.private_key_file = certs.server.key;
    s.listen_port = 0;
    server = std::make_unique<io::SipTransport>(io, server_ua, *SocketAddress::parse("127.0.0.1:0"),
                                                true, s);
    io::TlsOptions c;
    c.ca_file = certs.server.cert;
    c.listen_port = 0;
    client_tls(c);
    client = std::make_unique<io::SipTransport>(io, client_ua, *SocketAddress::parse("127.0.0.1:0"),
                                                true, c);
    server->on_event = [this](UaEvent& e) {
      if (e.kind == UaEvent::Kind::IncomingRequest && e.message.method == "INVITE") {
        Message ok = server_ua.make_response(e.id, 200);
        ok.add("Content-Type", "application/sdp");
        ok.body = Bytes{'v', '=', '0', '\r', '\n'};
        server_ua.respond(Clock::now(), e.id, std::move(ok));
      }
      server_events.push_back(e);
    };
    client->on_event = [this](UaEvent& e) { client_events.push_back(e); };
  }

  Uri server_uri(std::string scheme = "sips") const {
    Uri u = Uri::sip("bob", "127.0.0.1", server->local_tls().port());
    u.scheme = std::move(scheme);
    return u;
  }

  bool run_until(const std::function<bool()>& done, Duration limit = seconds(5)) {
    Instant deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() > deadline) return false;
      io.run_for(milliseconds(10));
    }
    return true;
  }

  const UaEvent* client_final(std::uint64_t handle) const {
    for (const auto& e : client_events)
      if ((e.kind == UaEvent::Kind::Response && e.id == handle && e.status >= 200) ||
          (e.kind == UaEvent::Kind::RequestFailed && e.id == handle))
        return &e;
    return nullptr;
  }

  std::uint64_t send_options(const Uri& to) {
    Uri me = Uri::sip("alice", "127.0.0.1");
    auto h = client_ua.send_request(Clock::now(), client_ua.new_request("OPTIONS", to, to, me));
    client->kick();
    return h;
  }
};

}  // namespace

TEST(SipTls, OptionsOverVerifiedTls) {
  Pair p([](io::TlsOptions&) {});
  ASSERT_NE(p.server->local_tls().port(), 0);
  EXPECT_EQ(p.server_ua.local_port(Transport::Tls), p.server->local_tls().port());
  auto h = p.send_options(p.server_uri());
  ASSERT_NE(h, 0u);
  ASSERT_TRUE(p.run_until([&] { return p.client_final(h) != nullptr; }));
  const UaEvent* e = p.client_final(h);
  EXPECT_EQ(e->kind, UaEvent::Kind::Response);
  EXPECT_EQ(e->status, 200);
  // The response carries our Via: transport TLS, sent-by our TLS port.
  auto via = e->message.top_via();
  ASSERT_TRUE(via);
  EXPECT_EQ(via->transport, "TLS");
  EXPECT_EQ(via->port, p.client->local_tls().port());
  EXPECT_EQ(p.client->stats().tls_connected, 1u);
  EXPECT_EQ(p.server->stats().tls_accepted, 1u);
  EXPECT_EQ(p.server->stats().tls_in, 1u);
  EXPECT_EQ(p.server->stats().udp_in + p.server->stats().tcp_in, 0u);
}

TEST(SipTls, TransportTlsParameterAndNameCheck) {
  // sip:...;transport=tls also means TLS; peer_name must match a DNS SAN.
  Pair p([](io::TlsOptions& o) { o.peer_name = "trunk.test"; });
  Uri to = p.server_uri("sip");
  to.params.push_back({"transport", "tls", true});
  auto h = p.send_options(to);
  ASSERT_TRUE(p.run_until([&] { return p.client_final(h) != nullptr; }));
  EXPECT_EQ(p.client_final(h)->status, 200);
  EXPECT_EQ(p.client->stats().tls_connected, 1u);
}

TEST(SipTls, InviteDialogStaysOnTls) {
  Pair p([](io::TlsOptions&) {});
  Uri to = p.server_uri();
  Uri me = Uri::sip("alice", "127.0.0.1");
  Message inv = p.client_ua.new_request("INVITE", to, to, me);
  // §8.1.1.8: a sips Request-URI gets a sips Contact.
  EXPECT_TRUE(inv.header("Contact").starts_with("<sips:alice@127.0.0.1:"));
  inv.add("Content-Type", "application/sdp");
  inv.body = Bytes{'v', '=', '0', '\r', '\n'};
  auto h = p.client_ua.send_request(Clock::now(), std::move(inv));
  p.client->kick();
  ASSERT_TRUE(p.run_until([&] { return p.client_final(h) != nullptr; }));
  const UaEvent* ok = p.client_final(h);
  ASSERT_EQ(ok->status, 200);
  ASSERT_TRUE(ok->dialog);
  // The UAS's Contact names its TLS listener, so in-dialog requests use TLS.
  auto contact = ok->message.name_addrs("Contact");
  ASSERT_EQ(contact.size(), 1u);
  EXPECT_EQ(contact[0].uri.scheme, "sips");
  EXPECT_EQ(contact[0].uri.port, p.server->local_tls().port());
  ASSERT_TRUE(p.run_until([&] {
    for (auto& e : p.server_events)
      if (e.kind == UaEvent::Kind::AckReceived) return true;
    return false;
  }));
  auto bye = p.client_ua.send_in_dialog(Clock::now(), *ok->dialog, "BYE");
  p.client->kick();
  ASSERT_TRUE(p.run_until([&] { return p.client_final(bye) != nullptr; }));
  EXPECT_EQ(p.client_final(bye)->status, 200);
  EXPECT_EQ(p.client->stats().udp_out + p.client->stats().tcp_out, 0u);
  EXPECT_EQ(p.server->stats().tls_in, 3u);  // INVITE, ACK, BYE on one connection
  EXPECT_EQ(p.server->stats().tls_accepted, 1u);
}

TEST(SipTls, UntrustedCertificateFailsTheRequest) {
  Pair p([&](io::TlsOptions& o) { o.ca_file = ""; });
  p.client.reset();  // rebuild the client trusting only the other certificate
  io::TlsOptions c;
  c.ca_file = p.certs.other.cert;
  c.listen = false;
  p.client = std::make_unique<io::SipTransport>(p.io, p.client_ua,
                                                *SocketAddress::parse("127.0.0.1:0"), true, c);
  p.client->on_event = [&](UaEvent& e) { p.client_events.push_back(e); };
  auto h = p.send_options(p.server_uri());
  ASSERT_TRUE(p.run_until([&] { return p.client_final(h) != nullptr; }));
  EXPECT_EQ(p.client_final(h)->kind, UaEvent::Kind::RequestFailed);
  EXPECT_EQ(p.client_final(h)->status, 503);  // reported by the driver, not timer F
  EXPECT_GE(p.client->stats().tls_handshake_failures, 1u);
  EXPECT_EQ(p.server->stats().tls_in, 0u);
}

TEST(SipTls, WrongNameFailsVerification) {
  Pair p([](io::TlsOptions& o) { o.peer_name = "someone-else.test"; });
  auto h = p.send_options(p.server_uri());
  ASSERT_TRUE(p.run_until([&] { return p.client_final(h) != nullptr; }));
  EXPECT_EQ(p.client_final(h)->kind, UaEvent::Kind::RequestFailed);
  EXPECT_GE(p.client->stats().tls_handshake_failures, 1u);
}

TEST(SipTls, VerificationOffAcceptsAnyCertificate) {
  Pair p([&](io::TlsOptions& o) {
    o.verify_peer = false;
    o.ca_file = "";
  });
  auto h = p.send_options(p.server_uri());
  ASSERT_TRUE(p.run_until([&] { return p.client_final(h) != nullptr; }));
  EXPECT_EQ(p.client_final(h)->status, 200);
}

TEST(SipTls, TlsTargetWithoutTlsConfiguredIsNeverSentInClear) {
  asio::io_context io;
  UserAgent ua(ua_config("alice"));
  io::SipTransport net(io, ua, *SocketAddress::parse("127.0.0.1:0"));
  Uri to = *Uri::parse("sips:bob@127.0.0.1:1");
  int failed = 0;
  net.on_event = [&](UaEvent& e) {
    if (e.kind == UaEvent::Kind::RequestFailed && e.status == 503) ++failed;
  };
  ua.send_request(Clock::now(), ua.new_request("OPTIONS", to, to, to));
  net.kick();
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(net.stats().send_errors, 1u);
  EXPECT_EQ(net.stats().tcp_connected + net.stats().tcp_out, 0u);
}
