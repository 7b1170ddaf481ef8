#pragma once
// SRTP and SRTCP (RFC 3711) for one DTLS-SRTP association: a libsrtp session
// per direction, keyed from the DTLS exporter (RFC 5764 §4.2). Packets are
// protected and unprotected in place; failures are counted drops, never
// exceptions, and nothing is allocated per packet.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "dtls/keying.hpp"

typedef struct srtp_ctx_t_ srtp_ctx_t;

namespace floe::srtp {

enum class DropReason : std::uint8_t {
  Auth,        // authentication tag did not verify
  Replay,      // index already seen (RFC 3711 §3.3.2)
  ReplayOld,   // index left of the replay window
  BadLength,   // too short, or no room for the trailer
  NoSession,   // keys not installed yet
  Malformed,   // header libsrtp could not parse
  Other,
  kCount
};
const char* to_string(DropReason r);

struct SrtpCounters {
  std::uint64_t rtp_protected = 0;
  std::uint64_t rtcp_protected = 0;
  std::uint64_t rtp_unprotected = 0;
  std::uint64_t rtcp_unprotected = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> drops{};
  std::uint64_t drops_for(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
};

struct SrtpConfig {
  // RFC 3711 §3.3.2 requires at least 64; a wider window tolerates the
  // reordering seen on mobile links.
  unsigned long replay_window = 1024;
};

class SrtpSession {
 public:
  // Most bytes protect adds: a 16-byte tag plus the 4-byte SRTCP index (no MKI).
  static constexpr std::size_t kMaxOverhead = 20;

  explicit SrtpSession(SrtpConfig config = {});
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // Installs (or replaces, after a new DTLS handshake) both directions' keys.
  // Replay state starts afresh with the new keys.
  bool set_keys(const dtls::SrtpKeys& keys, std::string* error = nullptr);
  bool ready() const { return tx_ != nullptr && rx_ != nullptr; }
  dtls::SrtpProfile profile() const { return profile_; }

  // `buffer` holds `length` bytes of plain RTP/RTCP and has room for
  // kMaxOverhead more; returns the protected length.
  std::optional<std::size_t> protect_rtp(std::span<std::uint8_t> buffer, std::size_t length);
  std::optional<std::size_t> protect_rtcp(std::span<std::uint8_t> buffer, std::size_t length);
  // Verifies and decrypts `packet` in place; returns the plain length. On a
  // drop the bytes are unspecified (AEAD decrypts before the tag check).
  std::optional<std::size_t> unprotect_rtp(std::span<std::uint8_t> packet);
  std::optional<std::size_t> unprotect_rtcp(std::span<std::uint8_t> packet);

  const SrtpCounters& counters() const { return counters_; }
  std::optional<DropReason> last_drop() const { return last_drop_; }

 private:
  void release();
  void drop(DropReason r);
  std::optional<std::size_t> run(bool outbound, bool rtcp, std::span<std::uint8_t> buf,
                                 std::size_t length);

  SrtpConfig config_;
  srtp_ctx_t* tx_ = nullptr;
  srtp_ctx_t* rx_ = nullptr;
  dtls::SrtpProfile profile_ = dtls::SrtpProfile::Aes128CmSha1_80;
  SrtpCounters counters_;
  std::optional<DropReason> last_drop_;
};

}  // namespace floe::srtp
