#include "dtls/srtp/session.hpp"

#include <srtp2/srtp.h>

#include <climits>
#include <mutex>

namespace floe::srtp {
namespace {

bool library_ready() {
  // libsrtp keeps process-wide crypto kernel state: initialise it once. A
  // second srtp_init fails, so when someone else in the process got there
  // first, a throw-away session shows whether the library works.
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = srtp_init() == srtp_err_status_ok;
    if (!ok) {
      srtp_policy_t p{};
      unsigned char key[30] = {};
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      p.ssrc.type = ssrc_any_outbound;
      p.key = key;
      p.window_size = 128;
      srtp_t probe = nullptr;
      ok = srtp_create(&probe, &p) == srtp_err_status_ok;
      if (probe) srtp_dealloc(probe);
    }
  });
  return ok;
}

void set_policy(srtp_policy_t& p, dtls::SrtpProfile profile) {
  switch (profile) {
    case dtls::SrtpProfile::Aes128CmSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case dtls::SrtpProfile::Aes128CmSha1_32:
      // RFC 5764 §4.1.2: the 32-bit tag is for SRTP only; SRTCP keeps 80 bits.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case dtls::SrtpProfile::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
      break;
  }
}

DropReason reason_of(srtp_err_status_t s) {
  switch (s) {
    case srtp_err_status_auth_fail: return DropReason::Auth;
    case srtp_err_status_replay_fail: return DropReason::Replay;
    case srtp_err_status_replay_old: return DropReason::ReplayOld;
    case srtp_err_status_bad_param: return DropReason::BadLength;
    case srtp_err_status_parse_err: return DropReason::Malformed;
    case srtp_err_status_no_ctx: return DropReason::NoSession;
    default: return DropReason::Other;
  }
}

// Smallest packets libsrtp can take apart: the RTP fixed header (RFC 3550
// §5.1) and an RTCP header plus sender SSRC (§6.4).
constexpr std::size_t kMinRtp = 12;
constexpr std::size_t kMinRtcp = 8;

}  // namespace

const char* to_string(DropReason r) {
  switch (r) {
    case DropReason::Auth: return "auth";
    case DropReason::Replay: return "replay";
    case DropReason::ReplayOld: return "replay_old";
    case DropReason::BadLength: return "bad_length";
    case DropReason::NoSession: return "no_session";
    case DropReason::Malformed: return "malformed";
    case DropReason::Other: return "other";
    case DropReason::kCount: break;
  }
  return "other";
}

SrtpSession::SrtpSession(SrtpConfig config) : config_(config) {}

SrtpSession::~SrtpSession() { release(); }

void SrtpSession::release() {
  if (tx_) srtp_dealloc(tx_);
  if (rx_) srtp_dealloc(rx_);
  tx_ = rx_ = nullptr;
}

bool SrtpSession::set_keys(const dtls::SrtpKeys& keys, std::string* error) {
  release();
  if (!library_ready()) {
    if (error) *error = "libsrtp initialisation failed";
    return false;
  }
  auto info = dtls::profile_info(keys.profile);
  if (keys.local.length != info.key_length + info.salt_length ||
      keys.remote.length != keys.local.length) {
    if (error) *error = "SRTP key length does not match the profile";
    return false;
  }
  auto make = [&](srtp_ctx_t** out, const dtls::SrtpMasterKey& key, bool outbound) {
    srtp_policy_t p{};
    set_policy(p, keys.profile);
    p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    // libsrtp copies the key while creating the stream template.
    p.key = const_cast<unsigned char*>(key.bytes.data());
    p.window_size = config_.replay_window;
    p.allow_repeat_tx = 0;
    return srtp_create(out, &p);
  };
  srtp_err_status_t s = make(&tx_, keys.local, true);
  if (s == srtp_err_status_ok) s = make(&rx_, keys.remote, false);
  if (s != srtp_err_status_ok) {
    release();
    if (error) *error = "srtp_create failed with status " + std::to_string(static_cast<int>(s));
    return false;
  }
  profile_ = keys.profile;
  return true;
}

void SrtpSession::drop(DropReason r) {
  ++counters_.drops[static_cast<std::size_t>(r)];
  last_drop_ = r;
}

std::optional<std::size_t> SrtpSession::run(bool outbound, bool rtcp,
                                            std::span<std::uint8_t> buf, std::size_t length) {
  if (!ready()) {
    drop(DropReason::NoSession);
    return std::nullopt;
  }
  if (length < (rtcp ? kMinRtcp : kMinRtp) || length > buf.size() ||
      (outbound && buf.size() - length < kMaxOverhead) || length > INT_MAX - kMaxOverhead) {
    drop(DropReason::BadLength);
    return std::nullopt;
  }
  int len = static_cast<int>(length);
  srtp_err_status_t s;
  if (outbound)
    s = rtcp ? srtp_protect_rtcp(tx_, buf.data(), &len) : srtp_protect(tx_, buf.data(), &len);
  else
    s = rtcp ? srtp_unprotect_rtcp(rx_, buf.data(), &len)
             : srtp_unprotect(rx_, buf.data(), &len);
  if (s != srtp_err_status_ok) {
    drop(reason_of(s));
    return std::nullopt;
  }
  last_drop_.reset();
  return static_cast<std::size_t>(len);
}

std::optional<std::size_t> SrtpSession::protect_rtp(std::span<std::uint8_t> b, std::size_t n) {
  auto r = run(true, false, b, n);
  if (r) ++counters_.rtp_protected;
  return r;
}

std::optional<std::size_t> SrtpSession::protect_rtcp(std::span<std::uint8_t> b, std::size_t n) {
  auto r = run(true, true, b, n);
  if (r) ++counters_.rtcp_protected;
  return r;
}

std::optional<std::size_t> SrtpSession::unprotect_rtp(std::span<std::uint8_t> p) {
  auto r = run(false, false, p, p.size());
  if (r) ++counters_.rtp_unprotected;
  return r;
}

std::optional<std::size_t> SrtpSession::unprotect_rtcp(std::span<std::uint8_t> p) {
  auto r = run(false, true, p, p.size());
  if (r) ++counters_.rtcp_unprotected;
  return r;
}

}  // namespace floe::srtp
