#pragma once
// A DTLS 1.2 endpoint (RFC 6347) as a sans-IO engine: OpenSSL runs on a
// datagram BIO of our own, never on a socket; the owner feeds datagrams and
// time in and sends what poll_output() yields. The handshake verifies the
// peer certificate against the signalled a=fingerprint (RFC 8122 §5) and
// exports DTLS-SRTP keys (RFC 5764 §4.2) when a profile was negotiated.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "dtls/certificate.hpp"
#include "dtls/keying.hpp"
#include "dtls/setup.hpp"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace floe::dtls {

// Shared by every transport that uses the same certificate and profiles:
// building an SSL_CTX is costly, so a process makes one.
class DtlsContext {
 public:
  static std::shared_ptr<DtlsContext> create(
      std::shared_ptr<const Certificate> cert,
      std::vector<SrtpProfile> profiles = {SrtpProfile::AeadAes128Gcm,
                                           SrtpProfile::Aes128CmSha1_80,
                                           SrtpProfile::Aes128CmSha1_32});
  ~DtlsContext();
  DtlsContext(const DtlsContext&) = delete;
  DtlsContext& operator=(const DtlsContext&) = delete;
  SSL_CTX* native() const { return ctx_; }
  const Certificate& certificate() const { return *cert_; }

 private:
  DtlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
  std::shared_ptr<const Certificate> cert_;
};

struct DtlsConfig {
  Role role = Role::Client;
  Fingerprint remote_fingerprint;        // from the peer's a=fingerprint
  std::size_t mtu = 1200;                // whole DTLS datagram, fragments above it
  Duration initial_rto = seconds(1);     // RFC 6347 §4.2.4.1
  Duration max_rto = seconds(60);        // RFC 6347 §4.2.4.1
  Duration handshake_timeout = seconds(30);
  bool require_srtp = false;             // fail when no SRTP profile was agreed
};

struct DtlsCounters {
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t retransmit_timeouts = 0;  // flights resent after our timer fired
  std::uint64_t fingerprint_mismatches = 0;
  std::uint64_t handshake_timeouts = 0;
  std::uint64_t bad_datagrams = 0;        // rejected by OpenSSL after the handshake
  std::uint64_t app_bytes_in = 0;
  std::uint64_t app_bytes_out = 0;
};

class DtlsTransport {
 public:
  enum class State { New, Handshaking, Connected, Closed, Failed };

  struct Transmit { Bytes data; };
  struct Connected {
    std::optional<SrtpKeys> srtp;  // none when the peer did not negotiate use_srtp
    Fingerprint peer_fingerprint;  // with the hash of the signalled one
    Duration handshake_time{};
  };
  struct Failed { std::string reason; };
  struct Closed {};
  struct ApplicationData { Bytes data; };
  using Output = std::variant<Transmit, Connected, Failed, Closed, ApplicationData>;

  DtlsTransport(std::shared_ptr<DtlsContext> ctx, DtlsConfig config);
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // Starts the handshake: a client sends its ClientHello, a server waits.
  void start(Instant now);
  // The remote fingerprint may arrive after start() (answer after offer).
  void set_remote_fingerprint(const Fingerprint& fp) { config_.remote_fingerprint = fp; }
  void handle_input(Instant now, ByteView datagram);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  std::optional<Output> poll_output();

  // Application data (SCTP packets); false unless connected.
  bool send(ByteView data);
  // Sends close_notify (RFC 5246 §7.2.1) and enters Closed.
  void close(Instant now);

  State state() const { return state_; }
  Role role() const { return config_.role; }
  const DtlsCounters& counters() const { return counters_; }
  const std::string& failure_reason() const { return failure_; }
  // Largest application payload one record can carry at the configured MTU.
  std::size_t max_application_payload() const;

  // Hooks for OpenSSL's C callbacks; not for users.
  unsigned int on_timer_callback(unsigned int previous_us);
  int on_verify_certificate(X509* peer);
  int on_bio_write(const std::uint8_t* data, std::size_t len);
  int on_bio_read(std::uint8_t* out, std::size_t len);

 private:
  void drive(Instant now);
  void after_ssl_call(Instant now);
  void on_handshake_done(Instant now);
  void read_application_data();
  void fail(std::string reason);
  void enter_closed();
  std::string collect_ssl_error(const char* where);

  std::shared_ptr<DtlsContext> ctx_;
  DtlsConfig config_;
  SSL* ssl_ = nullptr;
  BIO* bio_ = nullptr;
  State state_ = State::New;
  std::deque<Output> out_;
  DtlsCounters counters_;
  std::string failure_;

  // The datagram OpenSSL may read during the current call.
  ByteView input_;
  bool input_consumed_ = true;

  // Retransmission deadline as OpenSSL's timer reports it on our clock.
  Instant now_{};
  Instant started_{};
  Instant retransmit_at_ = kNever;
  Instant handshake_deadline_ = kNever;
  Duration rto_{};
  bool verify_failed_ = false;
  bool closed_event_sent_ = false;
};

}  // namespace floe::dtls
