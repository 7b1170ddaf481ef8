// SRTP protect/unprotect throughput through floe::srtp::SrtpSession against a
// raw libsrtp loop in the same binary (the floor), per profile, for 172-byte
// (G.711, 20 ms) and 1200-byte RTP packets; then DTLS handshakes per second
// with both roles in this process (ECDSA P-256). Single-threaded: figures are
// per core (thread CPU time). Usage: srtp_bench [seconds per case and side, default 0.5]
#include <srtp2/srtp.h>

#include <algorithm>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/random.hpp"
#include "dtls/srtp/session.hpp"
#include "dtls/transport.hpp"

using namespace floe;
using dtls::SrtpProfile;

namespace {

double g_seconds = 0.5;

[[noreturn]] void die(const char* what, int status) {
  std::fprintf(stderr, "srtp_bench: %s failed (%d)\n", what, status);
  std::exit(1);
}
constexpr std::size_t kBatch = 1024;

void policy_for(srtp_policy_t& p, SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::Aes128CmSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case SrtpProfile::Aes128CmSha1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case SrtpProfile::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
      break;
  }
}

srtp_t raw_session(SrtpProfile profile, const dtls::SrtpMasterKey& key, bool outbound) {
  srtp_policy_t p{};
  policy_for(p, profile);
  p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  p.key = const_cast<unsigned char*>(key.bytes.data());
  p.window_size = 1024;
  srtp_t s = nullptr;
  if (auto st = srtp_create(&s, &p); st != srtp_err_status_ok) die("srtp_create", st);
  return s;
}

struct Packet {
  std::uint8_t bytes[1300];
  int len;
};

void make_plain(std::uint8_t* b, std::size_t size, std::uint16_t seq) {
  b[0] = 0x80;
  b[1] = 0;
  store_be16(b + 2, seq);
  store_be32(b + 4, seq * 160u);
  store_be32(b + 8, 0x12345678);
  std::memset(b + 12, 0x55, size - 12);
}

constexpr int kRounds = 6;

// Thread CPU time, not wall time: other processes on a loaded machine then
// cost the measurement nothing but noise in the caches.
struct CpuTime {
  double s;
};
CpuTime cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return {static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9};
}
double seconds_since(CpuTime t0) { return cpu_now().s - t0.s; }

// Alternates the floor and Floe in short slices and keeps each one's best
// rate, so load from other processes on the machine hits both alike. A batch
// function handles kBatch packets from `seq` and returns its timed seconds.
template <typename A, typename B>
std::pair<double, double> compare(A&& floor_batch, B&& floe_batch) {
  double best[2] = {0, 0};
  std::uint32_t seq[2] = {0, 0};
  auto slice = [&](auto& batch, int k) {
    double timed = 0;
    std::uint64_t packets = 0;
    while (timed < g_seconds / kRounds) {
      timed += batch(seq[k]);
      seq[k] += kBatch;
      packets += kBatch;
    }
    best[k] = std::max(best[k], static_cast<double>(packets) / timed);
  };
  for (int i = 0; i < 2; ++i) {  // warm-up
    floor_batch(seq[0]), seq[0] += kBatch;
    floe_batch(seq[1]), seq[1] += kBatch;
  }
  for (int r = 0; r < kRounds; ++r) {
    slice(floor_batch, 0);
    slice(floe_batch, 1);
  }
  return {best[0], best[1]};
}

void bench_profile(SrtpProfile profile, std::size_t size) {
  auto info = dtls::profile_info(profile);
  Bytes material(2 * (info.key_length + info.salt_length));
  random_bytes(material);
  auto tx_keys = *dtls::split_keying_material(profile, material, true);
  auto rx_keys = *dtls::split_keying_material(profile, material, false);
  std::vector<Packet> work(kBatch), prepared_raw(kBatch), prepared_floe(kBatch);
  std::string err;

  // Protect: write a fresh plain packet, protect it in place.
  srtp_t raw_tx = raw_session(profile, tx_keys.local, true);
  srtp::SrtpSession tx;
  if (!tx.set_keys(tx_keys, &err)) die(err.c_str(), 0);
  auto [floor_protect, floe_protect] = compare(
      [&](std::uint32_t seq) {
        auto t0 = cpu_now();
        for (std::size_t i = 0; i < kBatch; ++i) {
          make_plain(work[i].bytes, size, static_cast<std::uint16_t>(seq + i));
          work[i].len = static_cast<int>(size);
          if (auto st = srtp_protect(raw_tx, work[i].bytes, &work[i].len)) die("srtp_protect", st);
        }
        return seconds_since(t0);
      },
      [&](std::uint32_t seq) {
        auto t0 = cpu_now();
        for (std::size_t i = 0; i < kBatch; ++i) {
          make_plain(work[i].bytes, size, static_cast<std::uint16_t>(seq + i));
          if (!tx.protect_rtp(work[i].bytes, size))
            die("SrtpSession::protect_rtp", static_cast<int>(*tx.last_drop()));
        }
        return seconds_since(t0);
      });

  // Unprotect: a feeder session protects each batch untimed; the timed part
  // copies a packet into place and unprotects it.
  srtp_t raw_rx = raw_session(profile, tx_keys.local, false);
  srtp::SrtpSession rx;
  if (!rx.set_keys(rx_keys, &err)) die(err.c_str(), 0);
  srtp_t feed_raw = raw_session(profile, tx_keys.local, true);
  srtp_t feed_floe = raw_session(profile, tx_keys.local, true);
  auto prepare = [&](srtp_t feeder, std::vector<Packet>& out, std::uint32_t seq) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      make_plain(out[i].bytes, size, static_cast<std::uint16_t>(seq + i));
      out[i].len = static_cast<int>(size);
      srtp_protect(feeder, out[i].bytes, &out[i].len);
    }
  };
  auto [floor_unprotect, floe_unprotect] = compare(
      [&](std::uint32_t seq) {
        prepare(feed_raw, prepared_raw, seq);
        auto t0 = cpu_now();
        for (std::size_t i = 0; i < kBatch; ++i) {
          int len = prepared_raw[i].len;
          std::memcpy(work[i].bytes, prepared_raw[i].bytes, static_cast<std::size_t>(len));
          if (auto st = srtp_unprotect(raw_rx, work[i].bytes, &len)) die("srtp_unprotect", st);
        }
        return seconds_since(t0);
      },
      [&](std::uint32_t seq) {
        prepare(feed_floe, prepared_floe, seq);
        auto t0 = cpu_now();
        for (std::size_t i = 0; i < kBatch; ++i) {
          auto len = static_cast<std::size_t>(prepared_floe[i].len);
          std::memcpy(work[i].bytes, prepared_floe[i].bytes, len);
          if (!rx.unprotect_rtp({work[i].bytes, len}))
            die("SrtpSession::unprotect_rtp", static_cast<int>(*rx.last_drop()));
        }
        return seconds_since(t0);
      });
  for (srtp_t s : {raw_tx, raw_rx, feed_raw, feed_floe}) srtp_dealloc(s);

  std::printf("%-24s %5zu B  protect   floe %9.0f pkt/s  libsrtp %9.0f pkt/s  cost ratio %.3f\n",
              info.openssl_name, size, floe_protect, floor_protect, floor_protect / floe_protect);
  std::printf("%-24s %5zu B  unprotect floe %9.0f pkt/s  libsrtp %9.0f pkt/s  cost ratio %.3f\n",
              info.openssl_name, size, floe_unprotect, floor_unprotect,
              floor_unprotect / floe_unprotect);
  std::fflush(stdout);
}

void bench_handshakes() {
  using namespace floe::dtls;
  auto ca = Certificate::generate(), cb = Certificate::generate();
  auto ctx_a = DtlsContext::create(ca), ctx_b = DtlsContext::create(cb);
  Instant now = Instant{} + seconds(1);
  int done = 0;
  auto start = cpu_now();
  double elapsed = 0;
  while (elapsed < 2 * g_seconds) {
    DtlsConfig c, s;
    c.role = Role::Client;
    s.role = Role::Server;
    c.remote_fingerprint = cb->fingerprint();
    s.remote_fingerprint = ca->fingerprint();
    DtlsTransport a(ctx_a, c), b(ctx_b, s);
    a.start(now);
    b.start(now);
    bool ca_ok = false, cb_ok = false;
    for (int guard = 0; guard < 100 && !(ca_ok && cb_ok); ++guard) {
      while (auto o = a.poll_output()) {
        if (auto* t = std::get_if<DtlsTransport::Transmit>(&*o)) b.handle_input(now, t->data);
        else if (std::holds_alternative<DtlsTransport::Connected>(*o)) ca_ok = true;
      }
      while (auto o = b.poll_output()) {
        if (auto* t = std::get_if<DtlsTransport::Transmit>(&*o)) a.handle_input(now, t->data);
        else if (std::holds_alternative<DtlsTransport::Connected>(*o)) cb_ok = true;
      }
    }
    if (!(ca_ok && cb_ok)) {
      std::printf("handshake failed\n");
      std::exit(1);
    }
    ++done;
    elapsed = seconds_since(start);
  }
  std::printf("DTLS 1.2 handshakes (ECDSA P-256, both roles, one core): %.0f /s (%d in %.2f s CPU)\n",
              done / elapsed, done, elapsed);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) g_seconds = std::atof(argv[1]);
  srtp_init();
  std::printf("cost ratio = floe time per packet / raw libsrtp time per packet (goal <= 1.10)\n");
  for (auto profile : {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmSha1_80,
                       SrtpProfile::Aes128CmSha1_32})
    for (std::size_t size : {172u, 1200u}) bench_profile(profile, size);
  bench_handshakes();
  return 0;
}
