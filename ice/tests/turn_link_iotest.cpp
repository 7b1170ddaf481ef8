// io::TurnLink (the client side of a TURN connection, RFC 8656 §3.1) against
// io::TurnServerDriver on loopback: an allocation over UDP, TCP and TLS
// (turns:, a self-signed certificate made here), data relayed to a UDP peer
// and back through a bound channel; a wrong CA fails the TLS handshake.
// Built into ice_io_tests (real sockets).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>

#include "ice/io/turn_link.hpp"
#include "ice/io/turn_server.hpp"
#include "ice/turn/auth.hpp"

using namespace floe;
namespace asio = boost::asio;

namespace {

// A self-signed P-256 certificate for 127.0.0.1 in `dir` (cert.pem, key.pem).
void make_certificate(const std::filesystem::path& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("turn.floe.test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:turn.floe.test,IP:127.0.0.1");
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, key, EVP_sha256());
  FILE* f = std::fopen((dir / "cert.pem").c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen((dir / "key.pem").c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
}

// A port free on both UDP and TCP on 127.0.0.1 (the driver reports the
// port it was given, so the test picks real ones).
std::uint16_t free_port(asio::io_context& io) {
  for (int i = 0; i < 50; ++i) {
    asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = a.local_endpoint().port();
    boost::system::error_code ec;
    asio::ip::udp::socket u(io);
    u.open(asio::ip::udp::v4(), ec);
    if (!ec) u.bind(asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) return port;
  }
  return 0;
}

struct TurnLinkTest : testing::Test {
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("floe-turn-link-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    make_certificate(dir);
    io::TurnServerOptions o;
    udp_addr = tcp_addr = SocketAddress(*IpAddress::parse("127.0.0.1"), free_port(io));
    tls_addr = SocketAddress(*IpAddress::parse("127.0.0.1"), free_port(io));
    o.listen.push_back(udp_addr);
    o.tcp = true;
    o.tls_listen.push_back(tls_addr);
    o.tls_certificate = (dir / "cert.pem").string();
    o.tls_private_key = (dir / "key.pem").string();
    o.engine.auth.users["alice"] = "secret";
    o.engine.limits.allow_loopback_peers = true;
    o.relays.ipv4 = IpAddress::parse("127.0.0.1");
    ASSERT_FALSE(server.start(o));
    peer.open(asio::ip::udp::v4());
    peer.bind(asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  }
  void TearDown() override {
    server.stop();
    std::filesystem::remove_all(dir);
  }

  // Allocates through a TurnLink, sends "ping" to the UDP peer, which
  // answers "pong"; a channel is bound first so the answer is ChannelData.
  // Returns what the client received ("" on failure).
  std::string round_trip(io::TurnServerSpec spec) {
    spec.username = "alice";
    spec.password = "secret";
    turn::Allocation alloc(Clock::now(), spec.client_config(0));
    std::string got, closed;
    std::unique_ptr<io::TurnLink> link;
    const SocketAddress peer_addr = *SocketAddress::from_sockaddr(peer.local_endpoint().data());
    auto flush = [&] {
      for (ByteView b; !(b = alloc.poll_transmit()).empty();) link->send(b);
    };
    link = std::make_unique<io::TurnLink>(
        io, spec,
        [&](std::span<std::uint8_t> bytes, std::size_t) {
          if (auto r = alloc.handle_input(Clock::now(), bytes)) {
            got.assign(reinterpret_cast<const char*>(r->data.data()), r->data.size());
            io.stop();
          }
          while (auto e = alloc.poll_event()) {
            if (e->kind == turn::ClientEvent::Kind::Allocated) alloc.bind_channel(Clock::now(), peer_addr);
            if (e->kind == turn::ClientEvent::Kind::ChannelBound)
              alloc.send_to(Clock::now(), peer_addr, as_bytes(std::string_view("ping")));
            if (e->kind == turn::ClientEvent::Kind::AllocateFailed) io.stop();
          }
          flush();
        },
        [&](const std::string& why) {
          closed = why;
          io.stop();
        });
    EXPECT_FALSE(link->open(IpAddress::parse("127.0.0.1")));
    flush();
    // The peer echoes "pong" to whoever wrote to it (the relay).
    std::array<char, 64> buf{};
    asio::ip::udp::endpoint from;
    peer.async_receive_from(asio::buffer(buf), from, [&](boost::system::error_code ec, std::size_t) {
      if (!ec) peer.send_to(asio::buffer(std::string("pong")), from);
    });
    asio::steady_timer deadline(io, std::chrono::seconds(5));
    deadline.async_wait([&](boost::system::error_code ec) {
      if (!ec) io.stop();
    });
    io.restart();
    io.run();
    peer.cancel();
    last_closed = closed;
    last_stats = link->stats();
    return got;
  }

  std::filesystem::path dir;
  asio::io_context io;
  io::TurnServerDriver server{io};
  SocketAddress udp_addr, tcp_addr, tls_addr;
  asio::ip::udp::socket peer{io};
  std::string last_closed;
  io::TurnLinkStats last_stats;
};

TEST_F(TurnLinkTest, RelaysOverUdpTcpAndTls) {
  io::TurnServerSpec s;
  s.server = udp_addr;
  EXPECT_EQ(round_trip(s), "pong");
  s.server = tcp_addr;
  s.transport = turn::Transport::Tcp;
  EXPECT_EQ(round_trip(s), "pong");
  s.server = tls_addr;
  s.transport = turn::Transport::Tls;
  s.ca_file = (dir / "cert.pem").string();
  s.server_name = "turn.floe.test";  // SNI and the certificate name check
  EXPECT_EQ(round_trip(s), "pong");
  EXPECT_GT(last_stats.frames_in, 3u);
  EXPECT_EQ(server.stats().tls_handshake_failed, 0u);
}

TEST_F(TurnLinkTest, TlsRefusesAnUntrustedOrMisnamedCertificate) {
  io::TurnServerSpec s;
  s.server = tls_addr;
  s.transport = turn::Transport::Tls;
  // The system trust store does not know our self-signed certificate.
  EXPECT_EQ(round_trip(s), "");
  EXPECT_NE(last_closed.find("TLS handshake"), std::string::npos) << last_closed;
  s.ca_file = (dir / "cert.pem").string();
  s.server_name = "other.floe.test";
  EXPECT_EQ(round_trip(s), "");
  EXPECT_NE(last_closed.find("TLS handshake"), std::string::npos) << last_closed;
  // verify=0: any certificate (MESSAGE-INTEGRITY still guards TURN).
  s.verify = false;
  s.server_name.clear();
  EXPECT_EQ(round_trip(s), "pong");
}

TEST(TurnUrl, Parses) {
  std::string err;
  auto a = io::parse_turn_url("turn:127.0.0.1:3478?transport=tcp", &err);
  ASSERT_TRUE(a) << err;
  EXPECT_EQ(a->server.to_string(), "127.0.0.1:3478");
  EXPECT_EQ(a->transport, turn::Transport::Tcp);
  auto b = io::parse_turn_url("turns:[::1]", &err);
  ASSERT_TRUE(b) << err;
  EXPECT_EQ(b->server.port(), 5349);
  EXPECT_EQ(b->transport, turn::Transport::Tls);
  auto c = io::parse_turn_url("turn:localhost", &err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->server_name, "localhost");
  EXPECT_EQ(c->transport, turn::Transport::Udp);
  EXPECT_EQ(io::to_url(*a), "turn:127.0.0.1:3478?transport=tcp");
  EXPECT_FALSE(io::parse_turn_url("stun:127.0.0.1", &err));
  EXPECT_FALSE(io::parse_turn_url("turn:127.0.0.1:99999", &err));
  EXPECT_FALSE(io::parse_turn_url("turns:127.0.0.1?transport=udp", &err));
  EXPECT_FALSE(io::parse_turn_url("turn:[::1", &err));
}

TEST(TurnUrl, RestCredentialsPerAllocation) {
  io::TurnServerSpec s;
  s.username = "gw";
  s.rest_secret = "k";
  s.rest_ttl = seconds(60);
  auto c = s.client_config(1000);
  EXPECT_EQ(c.username, "1060:gw");
  EXPECT_EQ(c.password, turn::rest_password("k", "1060:gw"));
}

}  // namespace
