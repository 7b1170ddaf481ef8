// What the bridge adds per relayed packet on top of SRTP (which the browser
// leg does): parse the RTP header, check the source, update RFC 3550
// receive statistics, rewrite SSRC/PT/sequence/timestamp for the other leg.
// Not a test: prints ns per packet for each direction's sequence of steps.
//   bridge_media_bench [packets]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "gateway/media/receive_stats.hpp"
#include "gateway/media/rtp.hpp"
#include "gateway/media/source_filter.hpp"
#include "gateway/media/stream_rewriter.hpp"

using namespace floe;

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 5'000'000;
  const SocketAddress peer = *SocketAddress::parse("192.0.2.7:30000");
  Instant now{};
  media::SourceFilter filter(media::SourceMode::Learn);
  filter.set_signalled(now, peer);
  media::ReceiveStats rx(8000);
  media::OutboundStream out(now, 0x11223344, 8000, 1000, 5000);
  out.map_payload_type(0, 0);
  out.map_payload_type(101, 126);
  // A 20 ms PCMU packet: 12-byte header + 160 bytes, SRTP room after it.
  std::vector<std::uint8_t> pkt(12 + 160 + 16, 0x55);
  pkt[0] = 0x80;
  pkt[1] = 0;
  std::uint16_t seq = 1;
  std::uint32_t ts = 0;
  std::uint64_t sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    now += milliseconds(20);
    pkt[2] = seq >> 8, pkt[3] = seq & 0xff;
    pkt[4] = ts >> 24, pkt[5] = (ts >> 16) & 0xff, pkt[6] = (ts >> 8) & 0xff, pkt[7] = ts & 0xff;
    pkt[8] = 0xaa, pkt[9] = 0xbb, pkt[10] = 0xcc, pkt[11] = 0xdd;
    ++seq;
    ts += 160;
    auto p = media::RtpPacket::parse(std::span(pkt).first(12 + 160));
    if (!p || !filter.accept(now, peer)) continue;
    rx.on_rtp(now, p->ssrc(), p->sequence(), p->timestamp());
    if (out.rewrite(now, *p)) sink += p->sequence();
  }
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  std::printf("bridge per-packet work (parse + source filter + receive stats + rewrite): %.1f ns/packet "
              "over %ld packets (%llu)\n", static_cast<double>(ns) / n, n, static_cast<unsigned long long>(sink % 7));
  return 0;
}
