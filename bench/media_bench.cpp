// The SIP media bridge's per-packet work on one RTP packet (gateway/media):
// copy from the receive batch into scratch, parse the header, check the
// source, rewrite SSRC/PT/sequence/timestamp, update the receive statistics
// -- against a memcpy-only loop (the copy every relay does anyway) in the
// same process. SRTP is not included (see srtp_bench). Single-threaded,
// thread CPU time; also counts operator new calls inside the timed loop
// (must be 0). Usage: media_bench [seconds per case, default 1] [payload bytes, default 160]
#include <time.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "gateway/media/receive_stats.hpp"
#include "gateway/media/rtp.hpp"
#include "gateway/media/source_filter.hpp"
#include "gateway/media/stream_rewriter.hpp"

using namespace floe;
using namespace floe::media;

namespace {

std::atomic<std::uint64_t> g_news{0};

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

constexpr std::size_t kRing = 256;  // distinct packets, like a batch of several calls
constexpr std::size_t kChunk = 4096;

struct Result {
  double ns_per_packet;
  std::uint64_t packets;
  std::uint64_t allocations;
};

template <class Body>
Result measure(double seconds, Body body) {
  // Warm up, then time whole chunks until the budget is spent.
  for (std::size_t i = 0; i < kChunk; ++i) body(i);
  std::uint64_t packets = 0;
  const std::uint64_t news0 = g_news.load();
  const double t0 = cpu_seconds();
  double t = t0;
  while (t - t0 < seconds) {
    for (std::size_t i = 0; i < kChunk; ++i) body(packets + i);
    packets += kChunk;
    t = cpu_seconds();
  }
  return {(t - t0) * 1e9 / static_cast<double>(packets), packets, g_news.load() - news0};
}

}  // namespace

void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const std::size_t payload = argc > 2 ? static_cast<std::size_t>(std::atoi(argv[2])) : 160;
  if (seconds <= 0 || payload == 0 || payload > 1400) {
    std::fprintf(stderr, "usage: media_bench [seconds > 0] [payload bytes 1..1400]\n");
    return 2;
  }
  const std::size_t size = kRtpFixedHeader + payload;

  // Received packets: one browser stream (Opus PT 111, 20 ms at 48 kHz)
  // as it leaves SRTP unprotect, consecutive sequence numbers.
  std::vector<std::vector<std::uint8_t>> ring(kRing, std::vector<std::uint8_t>(size));
  for (std::size_t i = 0; i < kRing; ++i) {
    write_rtp_header(ring[i], {false, 111, static_cast<std::uint16_t>(i), 960u * static_cast<std::uint32_t>(i),
                               0x5eed0001});
    for (std::size_t j = kRtpFixedHeader; j < size; ++j) ring[i][j] = static_cast<std::uint8_t>(i + j);
  }
  std::array<std::uint8_t, 2048 + 64> scratch{};
  volatile std::uint8_t sink = 0;

  const SocketAddress peer = *SocketAddress::parse("192.0.2.10:40000");
  const Instant t0 = Instant{} + std::chrono::seconds(1);
  SourceFilter filter(SourceMode::Learn);
  filter.set_signalled(t0, peer);
  OutboundStream out(t0, 0xf10e0001, 48000, 1000, 123456);
  out.map_payload_type(111, 96);
  ReceiveStats stats(48000);
  std::uint64_t dropped = 0;

  const Result base = measure(seconds, [&](std::uint64_t i) {
    const auto& src = ring[i % kRing];
    std::memcpy(scratch.data(), src.data(), src.size());
    sink = sink + scratch[i % src.size()];
  });

  std::uint64_t n = 0;  // runs on across warm-up and timing: no sequence jump
  const Result bridge = measure(seconds, [&](std::uint64_t) {
    const std::uint64_t i = n++;
    const auto& src = ring[i % kRing];
    std::memcpy(scratch.data(), src.data(), src.size());
    // The sequence keeps running past the ring so the stream never jumps.
    store_be16(&scratch[2], static_cast<std::uint16_t>(i));
    store_be32(&scratch[4], 960u * static_cast<std::uint32_t>(i));
    const Instant now = t0 + std::chrono::milliseconds(20) * static_cast<std::int64_t>(i);
    auto p = RtpPacket::parse(std::span<std::uint8_t>(scratch.data(), src.size()));
    if (!p || !filter.accept(now, peer)) {
      ++dropped;
      return;
    }
    stats.on_rtp(now, p->ssrc(), p->sequence(), p->timestamp());
    if (!out.rewrite(now, *p)) ++dropped;
    sink = sink + scratch[1];
  });

  std::printf("media_bench: %zu-byte RTP packets (%zu payload), %.1f s per case, thread CPU time\n",
              size, payload, seconds);
  std::printf("  memcpy only (floor)                     %7.2f ns/packet  (%llu packets)\n",
              base.ns_per_packet, static_cast<unsigned long long>(base.packets));
  std::printf("  copy+parse+source+rewrite+recv stats    %7.2f ns/packet  (%llu packets)\n",
              bridge.ns_per_packet, static_cast<unsigned long long>(bridge.packets));
  std::printf("  ratio bridge/floor                      %7.2f\n",
              bridge.ns_per_packet / base.ns_per_packet);
  std::printf("  added per packet                        %7.2f ns  -> %.1f M packets/s per core\n",
              bridge.ns_per_packet - base.ns_per_packet, 1e3 / bridge.ns_per_packet);
  std::printf("  operator new calls in timed loops       %llu\n",
              static_cast<unsigned long long>(base.allocations + bridge.allocations));
  std::printf("  drops %llu, stream packets %llu, jumps %llu, lost %lld\n",
              static_cast<unsigned long long>(dropped),
              static_cast<unsigned long long>(out.counters().packets),
              static_cast<unsigned long long>(out.counters().source_jumps),
              static_cast<long long>(stats.lost()));
  return (dropped || base.allocations + bridge.allocations) ? 1 : 0;
}
