#include "dtls/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "dtls/engine_clock.hpp"

namespace floe::dtls {

// The retransmission timer: OpenSSL keeps it, reading the time through
// ScopedEngineClock, so its expiry follows the caller's clock (virtual in
// tests). The timer callback only sets the back-off: start at initial_rto,
// double on each expiry up to max_rto (RFC 6347 §4.2.4.1).
namespace {

DtlsTransport* transport_of(SSL* ssl) {
  return static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
}

unsigned int timer_cb(SSL* ssl, unsigned int previous_us) {
  return transport_of(ssl)->on_timer_callback(previous_us);
}

int verify_cb(X509_STORE_CTX* store, void*) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return 0;
  int ok = transport_of(ssl)->on_verify_certificate(X509_STORE_CTX_get0_cert(store));
  if (!ok) X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return ok;
}

int bio_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  auto* t = static_cast<DtlsTransport*>(BIO_get_data(b));
  int n = t->on_bio_write(reinterpret_cast<const std::uint8_t*>(data),
                          static_cast<std::size_t>(len));
  if (n < 0) BIO_set_retry_write(b);
  return n;
}

int bio_read(BIO* b, char* out, int len) {
  BIO_clear_retry_flags(b);
  auto* t = static_cast<DtlsTransport*>(BIO_get_data(b));
  int n = t->on_bio_read(reinterpret_cast<std::uint8_t*>(out), static_cast<std::size_t>(len));
  if (n < 0) BIO_set_retry_read(b);
  return n;
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    // The configured link MTU is the whole datagram: no UDP/IP overhead to subtract.
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0;
    default: return 0;
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* datagram_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "floe-datagram");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

std::string profile_list(const std::vector<SrtpProfile>& profiles) {
  std::string s;
  for (auto p : profiles) {
    if (!s.empty()) s.push_back(':');
    s += profile_info(p).openssl_name;
  }
  return s;
}

long long to_ms(Duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

}  // namespace

std::shared_ptr<DtlsContext> DtlsContext::create(std::shared_ptr<const Certificate> cert,
                                                 std::vector<SrtpProfile> profiles) {
  if (!cert) return nullptr;
  std::shared_ptr<DtlsContext> c(new DtlsContext());
  c->cert_ = std::move(cert);
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  if (ctx == nullptr) return nullptr;
  c->ctx_ = ctx;
  bool ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
            SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
            SSL_CTX_use_certificate(ctx, c->cert_->x509()) == 1 &&
            SSL_CTX_use_PrivateKey(ctx, c->cert_->key()) == 1 &&
            SSL_CTX_check_private_key(ctx) == 1;
  // Forward-secret AEAD suites first; the CBC ones stay for older peers.
  ok = ok && SSL_CTX_set_cipher_list(
                 ctx,
                 "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                 "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                 "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
                 "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA") == 1;
  ok = ok && SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") == 1;
  // SSL_CTX_set_tlsext_use_srtp returns 0 on success.
  if (ok && !profiles.empty())
    ok = SSL_CTX_set_tlsext_use_srtp(ctx, profile_list(profiles).c_str()) == 0;
  if (!ok) return nullptr;
  // Both sides must present a certificate: it is what a=fingerprint binds
  // (RFC 8842 §5.1); chain trust is replaced by the fingerprint check.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, verify_cb, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // Renegotiation is not used by WebRTC (RFC 8827 §6.5 relies on one handshake
  // per association); a rekey is a new transport.
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_read_ahead(ctx, 1);
  return c;
}

DtlsContext::~DtlsContext() { SSL_CTX_free(ctx_); }

DtlsTransport::DtlsTransport(std::shared_ptr<DtlsContext> ctx, DtlsConfig config)
    : ctx_(std::move(ctx)), config_(std::move(config)) {
  ssl_ = SSL_new(ctx_->native());
  bio_ = BIO_new(datagram_method());
  if (ssl_ == nullptr || bio_ == nullptr) {
    BIO_free(bio_);
    bio_ = nullptr;
    fail("cannot allocate OpenSSL objects");
    return;
  }
  SSL_set_app_data(ssl_, this);
  BIO_set_data(bio_, this);
  SSL_set_bio(ssl_, bio_, bio_);  // one reference, owned by ssl_
  SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(ssl_, static_cast<long>(config_.mtu));
  DTLS_set_timer_cb(ssl_, timer_cb);
  if (config_.role == Role::Client)
    SSL_set_connect_state(ssl_);
  else
    SSL_set_accept_state(ssl_);
}

DtlsTransport::~DtlsTransport() { SSL_free(ssl_); }

void DtlsTransport::start(Instant now) {
  if (state_ != State::New) return;
  state_ = State::Handshaking;
  started_ = now;
  handshake_deadline_ = now + config_.handshake_timeout;
  drive(now);
}

void DtlsTransport::handle_input(Instant now, ByteView datagram) {
  ++counters_.datagrams_in;
  if (state_ == State::New) start(now);
  if (state_ != State::Handshaking && state_ != State::Connected) return;
  input_ = datagram;
  input_consumed_ = false;
  drive(now);
  input_consumed_ = true;
  input_ = {};
}

void DtlsTransport::drive(Instant now) {
  now_ = now;
  ScopedEngineClock clock(now);
  if (state_ == State::Handshaking) {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      on_handshake_done(now);
    } else {
      int err = SSL_get_error(ssl_, r);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        fail(verify_failed_ ? failure_ : collect_ssl_error("handshake"));
      }
    }
  }
  if (state_ == State::Connected) read_application_data();
  after_ssl_call(now);
}

void DtlsTransport::after_ssl_call(Instant now) {
  if (state_ != State::Handshaking) {
    retransmit_at_ = kNever;
    return;
  }
  ScopedEngineClock clock(now);
  timeval tv{};
  if (DTLSv1_get_timeout(ssl_, &tv) == 0) {
    retransmit_at_ = kNever;  // no flight in the air
    return;
  }
  retransmit_at_ = now + seconds(tv.tv_sec) + microseconds(tv.tv_usec);
}

void DtlsTransport::handle_timeout(Instant now) {
  now_ = now;
  if (state_ != State::Handshaking) return;
  if (now >= handshake_deadline_) {
    ++counters_.handshake_timeouts;
    fail("DTLS handshake timed out after " + std::to_string(to_ms(now - started_)) + " ms");
    return;
  }
  if (now < retransmit_at_) return;
  int r;
  {
    ScopedEngineClock clock(now);
    ERR_clear_error();
    r = static_cast<int>(DTLSv1_handle_timeout(ssl_));
  }
  if (r < 0) {
    fail(collect_ssl_error("retransmission"));
    return;
  }
  if (r == 0 && retransmit_at_ <= now) retransmit_at_ = now + rto_;  // never spin
  after_ssl_call(now);
}

Instant DtlsTransport::next_timeout() const {
  if (state_ != State::Handshaking) return kNever;
  return std::min(retransmit_at_, handshake_deadline_);
}

std::optional<DtlsTransport::Output> DtlsTransport::poll_output() {
  if (out_.empty()) return std::nullopt;
  Output o = std::move(out_.front());
  out_.pop_front();
  return o;
}

unsigned int DtlsTransport::on_timer_callback(unsigned int previous_us) {
  if (previous_us == 0) {
    rto_ = config_.initial_rto;  // a new flight (RFC 6347 §4.2.4: timer starts at send)
  } else {
    ++counters_.retransmit_timeouts;
    rto_ = std::min(rto_ * 2, config_.max_rto);
  }
  return static_cast<unsigned int>(std::chrono::duration_cast<microseconds>(rto_).count());
}

int DtlsTransport::on_verify_certificate(X509* peer) {
  const Fingerprint& want = config_.remote_fingerprint;
  if (want.empty()) {
    verify_failed_ = true;
    failure_ = "no remote a=fingerprint was signalled; peer certificate refused";
    return 0;
  }
  auto got = Fingerprint::of(peer, want.algorithm);
  if (!got || !(*got == want)) {
    ++counters_.fingerprint_mismatches;
    verify_failed_ = true;
    failure_ = "peer certificate fingerprint " + (got ? got->to_string() : want.algorithm) +
               " does not match the signalled " + want.to_string();
    return 0;
  }
  return 1;
}

int DtlsTransport::on_bio_write(const std::uint8_t* data, std::size_t len) {
  ++counters_.datagrams_out;
  out_.emplace_back(Transmit{Bytes(data, data + len)});
  return static_cast<int>(len);
}

int DtlsTransport::on_bio_read(std::uint8_t* out, std::size_t len) {
  if (input_consumed_ || input_.empty()) return -1;
  // One datagram per read: DTLS records never span datagrams (RFC 6347 §4.1.1).
  std::size_t n = std::min(len, input_.size());
  std::memcpy(out, input_.data(), n);
  input_consumed_ = true;
  return static_cast<int>(n);
}

void DtlsTransport::on_handshake_done(Instant now) {
  Connected ev;
  ev.handshake_time = now - started_;
  if (X509* peer = SSL_get0_peer_certificate(ssl_)) {
    ev.peer_fingerprint = Fingerprint::of(peer, config_.remote_fingerprint.algorithm.empty()
                                                    ? "sha-256"
                                                    : config_.remote_fingerprint.algorithm)
                              .value_or(Fingerprint{});
  }
  if (SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl_)) {
    auto profile = profile_from_id(static_cast<std::uint16_t>(p->id));
    if (!profile) {
      fail("peer selected an SRTP profile Floe did not offer");
      return;
    }
    std::array<std::uint8_t, 64> material{};
    std::size_t len = exporter_length(*profile);
    if (SSL_export_keying_material(ssl_, material.data(), len, kDtlsSrtpExporterLabel.data(),
                                   kDtlsSrtpExporterLabel.size(), nullptr, 0, 0) != 1) {
      fail(collect_ssl_error("keying material export"));
      return;
    }
    ev.srtp = split_keying_material(*profile, {material.data(), len},
                                    config_.role == Role::Client);
    OPENSSL_cleanse(material.data(), material.size());
  }
  if (config_.require_srtp && !ev.srtp) {
    fail("peer did not negotiate use_srtp (RFC 5764 §4.1)");
    return;
  }
  state_ = State::Connected;
  retransmit_at_ = kNever;
  handshake_deadline_ = kNever;
  out_.emplace_back(std::move(ev));
}

void DtlsTransport::read_application_data() {
  // 16 KiB is the largest DTLS plaintext record (RFC 6347 §4.1 via RFC 5246 §6.2.1).
  std::array<std::uint8_t, 16384> buf;
  for (;;) {
    ERR_clear_error();
    int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    if (n > 0) {
      counters_.app_bytes_in += static_cast<std::uint64_t>(n);
      out_.emplace_back(ApplicationData{Bytes(buf.begin(), buf.begin() + n)});
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
    if (err == SSL_ERROR_ZERO_RETURN) {
      // Peer's close_notify: answer with ours (RFC 5246 §7.2.1).
      SSL_shutdown(ssl_);
      enter_closed();
      return;
    }
    ++counters_.bad_datagrams;
    fail(collect_ssl_error("read"));
    return;
  }
}

bool DtlsTransport::send(ByteView data) {
  if (state_ != State::Connected) return false;
  ScopedEngineClock clock(now_);
  ERR_clear_error();
  int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  if (n <= 0) {
    ERR_clear_error();
    return false;
  }
  counters_.app_bytes_out += static_cast<std::uint64_t>(n);
  return static_cast<std::size_t>(n) == data.size();
}

void DtlsTransport::close(Instant now) {
  now_ = now;
  if (state_ == State::Closed || state_ == State::Failed) return;
  if (state_ == State::Connected) {
    ScopedEngineClock clock(now);
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
  enter_closed();
}

std::size_t DtlsTransport::max_application_payload() const {
  if (state_ == State::Connected) return DTLS_get_data_mtu(ssl_);
  return config_.mtu > 100 ? config_.mtu - 100 : 0;
}

void DtlsTransport::enter_closed() {
  state_ = State::Closed;
  retransmit_at_ = kNever;
  handshake_deadline_ = kNever;
  if (!closed_event_sent_) {
    closed_event_sent_ = true;
    out_.emplace_back(Closed{});
  }
}

void DtlsTransport::fail(std::string reason) {
  if (state_ == State::Failed || state_ == State::Closed) return;
  state_ = State::Failed;
  failure_ = std::move(reason);
  retransmit_at_ = kNever;
  handshake_deadline_ = kNever;
  out_.emplace_back(Failed{failure_});
}

std::string DtlsTransport::collect_ssl_error(const char* where) {
  std::string reason = std::string("DTLS ") + where + " failed";
  unsigned long e;
  char buf[256];
  bool first = true;
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    reason += first ? ": " : "; ";
    reason += buf;
    first = false;
  }
  return reason;
}

}  // namespace floe::dtls

