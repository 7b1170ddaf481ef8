#include "gateway/sip/io/tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace floe::sip::io {

namespace ssl = boost::asio::ssl;

namespace {

void harden(ssl::context& ctx) {
  // RFC 7525 §3.1.1: nothing older than TLS 1.2.
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::no_compression);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION);
}

void load_identity(ssl::context& ctx, const TlsOptions& o) {
  if (!o.certificate_file.empty()) ctx.use_certificate_chain_file(o.certificate_file);
  if (!o.private_key_file.empty()) ctx.use_private_key_file(o.private_key_file, ssl::context::pem);
}

void load_trust(ssl::context& ctx, const TlsOptions& o) {
  if (!o.ca_file.empty()) ctx.load_verify_file(o.ca_file);
  else ctx.set_default_verify_paths();
}

}  // namespace

TlsContexts::TlsContexts(const TlsOptions& o)
    : client(ssl::context::tls_client), server(ssl::context::tls_server), options(o) {
  harden(client);
  harden(server);
  load_identity(client, o);
  load_identity(server, o);
  if (o.verify_peer) {
    load_trust(client, o);
    client.set_verify_mode(ssl::verify_peer);
  } else {
    client.set_verify_mode(ssl::verify_none);
  }
  if (o.require_client_certificate) {
    load_trust(server, o);
    server.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  } else {
    server.set_verify_mode(ssl::verify_none);
  }
}

bool prepare_client_stream(SSL* s, const TlsOptions& o, const SocketAddress& peer) {
  if (!o.peer_name.empty() && SSL_set_tlsext_host_name(s, o.peer_name.c_str()) != 1) return false;
  if (!o.verify_peer) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(s);
  // OpenSSL checks the name during chain verification, so a mismatch fails
  // the handshake like an untrusted chain does.
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (!o.peer_name.empty()) return X509_VERIFY_PARAM_set1_host(param, o.peer_name.c_str(), 0) == 1;
  return X509_VERIFY_PARAM_set1_ip_asc(param, peer.ip().to_string().c_str()) == 1;
}

}  // namespace floe::sip::io
