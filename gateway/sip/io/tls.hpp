#pragma once
// TLS for SIP (RFC 3261 §26.2, RFC 5630, RFC 5922 §7.2): the OpenSSL
// contexts the Asio driver uses for its listener and its outgoing
// connections, and how an outgoing connection checks the server it reached.
// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>

#include <boost/asio/ssl.hpp>

#include <cstdint>
#include <string>

#include "base/address.hpp"

namespace floe::sip::io {

struct TlsOptions {
  // PEM files. Our certificate (with its chain) and key are presented by the
  // listener, and to servers that ask for a client certificate.
  std::string certificate_file;
  std::string private_key_file;
  // PEM bundle of the CAs that sign our peers' certificates. Empty: the
  // system's default trust store.
  std::string ca_file;
  // Check the server certificate on outgoing connections (chain to ca_file,
  // and the name below). false accepts ANY certificate: only for test trunks
  // and labs, never on a network an attacker can reach (it gives up the
  // protection TLS exists for).
  bool verify_peer = true;
  // The name the server certificate must carry (RFC 5922 §7.2: a DNS
  // subjectAltName), also sent as SNI. Empty: the certificate must list the
  // IP address we connected to as an iPAddress subjectAltName (next hops are
  // numeric here, see the README).
  std::string peer_name;
  // Ask clients of the listener for a certificate signed by ca_file and drop
  // those without one (mutual TLS, as some trunks require).
  bool require_client_certificate = false;
  // The TLS listener's port on the driver's IP; 0 picks a free one. The
  // UserAgent's tls_port is set to what was bound.
  std::uint16_t listen_port = 5061;
  bool listen = true;
};

// Client and server contexts built from the options: TLS 1.2 or later, no
// compression or renegotiation. Throws boost::system::system_error when a
// file cannot be loaded (a configuration error, found at start-up).
struct TlsContexts {
  explicit TlsContexts(const TlsOptions& options);
  boost::asio::ssl::context client;
  boost::asio::ssl::context server;
  TlsOptions options;
};

// Sets SNI and the name (or IP) check on a new outgoing stream before its
// handshake. False when OpenSSL refused the parameters.
bool prepare_client_stream(SSL* ssl, const TlsOptions& options, const SocketAddress& peer);

}  // namespace floe::sip::io
