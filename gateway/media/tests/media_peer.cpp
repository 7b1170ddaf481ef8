// A test peer for tests/interop/media_*.sh, built on gateway/media.
//
//   media_peer echo HOST:PORT [packets] [pcap-file]
//     Sends a 20 ms PCMU stream to an RTP echo (sipp -rtp_echo) through an
//     OutboundStream while the upstream source switches SSRC and jumps its
//     sequence/timestamp half way, with RFC 4733 digits "1#" stamped in, and
//     an RTCP SR (rtcp-mux) at the end. The echoed packets go through a
//     strict SourceFilter, ReceiveStats and DtmfReceiver: the far side must
//     have seen one continuous stream (no loss, no restart) and both digits.
//     With a pcap file, what was sent is written there for tshark.
//   media_peer write-rtcp
//     Prints hex lines of compound packets Floe writes (SR+SDES+BYE, RR+SDES)
//     with fixed field values, for a third-party parser to check.
//   media_peer read-rtcp
//     Reads hex lines of RTCP compounds (from a third-party writer) on stdin
//     and prints what Floe's parser sees, one line per packet.
//   media_peer listen HOST:PORT SIGNALLED SECONDS
//     Binds RTP on PORT and RTCP on PORT+1, accepts media with a symmetric-RTP
//     SourceFilter (Learn, SIGNALLED as the SDP address), and reports what
//     arrived: the learned source, ReceiveStats per SSRC and RFC 4733 digits.
//     Ends SECONDS after start, or 1.5 s after the last packet.
//   media_peer read-pcap FILE...
//     Replays the RTP in pcap files (e.g. the G.711 and RFC 2833/4733 captures
//     shipped with sipp) on a virtual clock: per file, ReceiveStats and
//     DtmfReceiver on the packets as captured; across all files, one
//     OutboundStream (the files' sources follow each other like upstream
//     switches) whose output must read as one continuous stream.
//   media_peer read-rtp
//     Reads hex lines of RTP packets on stdin; prints the parsed header, then
//     the packet as OutboundStream rewrote it (SSRC 0xf10e0001, PT -> 96,
//     first sequence 1000, first timestamp 160000) as hex.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "base/random.hpp"
#include "gateway/media/io/rtp_socket.hpp"
#include "gateway/media/media_clock.hpp"
#include "gateway/media/receive_stats.hpp"
#include "gateway/media/rtcp.hpp"
#include "gateway/media/rtp.hpp"
#include "gateway/media/source_filter.hpp"
#include "gateway/media/stream_rewriter.hpp"
#include "gateway/media/telephone_event.hpp"
#include "gateway/media/tests/media_peer.hpp"

using namespace floe;
using namespace floe::media;

namespace {

using namespace floe::media::peer;

struct EchoCheck : media::io::RtpSocketReceiver {
  SourceFilter filter{SourceMode::Strict};
  ReceiveStats stats{8000};
  DtmfReceiver dtmf;
  RtcpCounters rtcp_counters;
  std::string digits;
  std::uint64_t audio = 0, events = 0, markers = 0, rtcp = 0, bad = 0;
  std::optional<RtcpSummary> last_rtcp;

  void on_datagram(media::io::Component c, const SocketAddress& from, std::span<std::uint8_t> buffer,
                   std::size_t length) override {
    const Instant now = Clock::now();
    if (!filter.accept(now, from)) return;
    if (c == media::io::Component::Rtcp) {
      ++rtcp;
      last_rtcp = summarize_rtcp(buffer.first(length), 0, rtcp_counters);
      return;
    }
    auto p = RtpPacket::parse(buffer.first(length));
    if (!p) {
      ++bad;
      return;
    }
    stats.on_rtp(now, p->ssrc(), p->sequence(), p->timestamp(), p->payload_type() != kEvent);
    if (p->marker()) ++markers;
    if (p->payload_type() == kEvent) {
      ++events;
      if (auto d = dtmf.on_packet(p->ssrc(), p->timestamp(), p->payload())) digits += d->digit;
    } else {
      ++audio;
    }
  }
};

int echo(const std::string& target, int packets, const std::string& pcap) {
  const auto remote = SocketAddress::parse(target);
  if (!remote) {
    std::fprintf(stderr, "media_peer: bad address %s\n", target.c_str());
    return 2;
  }
  boost::asio::io_context io;
  EchoCheck check;
  media::io::RtpSocket sock(io, check);
  if (auto ec = sock.open(SocketAddress(remote->ip(), 0), std::nullopt)) {
    std::fprintf(stderr, "media_peer: bind: %s\n", ec.message().c_str());
    return 1;
  }
  const Instant start = Clock::now();
  check.filter.set_signalled(start, *remote);
  OutboundStream out(start, 0xf10e5eed, 8000, static_cast<std::uint16_t>(random_u64()),
                     static_cast<std::uint32_t>(random_u64()));
  out.map_payload_type(kPcmu, kPcmu);
  DtmfSender sender;
  const NtpClock ntp = NtpClock::from_system(start);

  // Upstream A then upstream B (another SSRC, sequence far away, random
  // timestamp): what a bridge sees on a transfer or a restarted sender.
  std::uint32_t up_ssrc = 0xa;
  std::uint16_t up_seq = 100;
  std::uint32_t up_ts = 5000;
  int sent_audio = 0, sent_events = 0, switched_at = -1;
  std::array<std::uint8_t, 256> pkt{};
  PcapLog log;

  boost::asio::steady_timer timer(io);
  Instant next = start;
  int tick = 0;
  std::function<void()> step = [&] {
    const Instant now = Clock::now();
    if (tick == packets / 2) {
      up_ssrc = 0xb;
      up_seq = static_cast<std::uint16_t>(up_seq + 30000);
      up_ts = static_cast<std::uint32_t>(random_u64());
      switched_at = sent_audio + sent_events;
    }
    if (tick == packets / 4) sender.queue("1#");
    bool sent_event = false;
    while (auto ev = sender.poll(now)) {
      std::copy(ev->payload.begin(), ev->payload.end(), pkt.begin() + kRtpFixedHeader);
      const std::span<std::uint8_t> bytes(pkt.data(), kRtpFixedHeader + kTelephoneEventSize);
      out.stamp_local(bytes, kEvent, ev->marker, out.timestamp_at(ev->event_start));
      sock.send_rtp(bytes, *remote);
      log.add(now - start, bytes);
      ++sent_events;
      sent_event = true;
    }
    // The upstream keeps producing audio; it is suppressed while an event
    // is on (RFC 4733 §2.5.1.3 replaces it).
    write_rtp_header(pkt, {false, kPcmu, up_seq, up_ts, up_ssrc});
    std::fill(pkt.begin() + kRtpFixedHeader, pkt.begin() + kRtpFixedHeader + 160, 0xd5);
    up_seq = static_cast<std::uint16_t>(up_seq + 1);
    up_ts += 160;
    if (!sent_event && !sender.active()) {
      auto p = RtpPacket::parse(std::span<std::uint8_t>(pkt.data(), kRtpFixedHeader + 160));
      if (p && out.rewrite(now, *p)) {
        sock.send_rtp(p->bytes(), *remote);
        log.add(now - start, p->bytes());
        ++sent_audio;
      }
    }
    if (++tick < packets || !sender.idle()) {
      next += milliseconds(20);
      timer.expires_at(next);
      timer.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) step();
      });
      return;
    }
    // Our SR on the muxed port; the echo brings it back to our parser.
    SenderInfo si{ntp.ntp(now), out.timestamp_at(now), out.packet_count(), out.octet_count()};
    const ReportBlock block = check.stats.make_report_block(now);
    RtcpReportParams r{out.ssrc(), si, std::span<const ReportBlock>(&block, 1), "media_peer@floe",
                       true, "done"};
    std::array<std::uint8_t, 256> rb{};
    const std::size_t n = write_rtcp_report(rb, r);
    sock.send_rtcp(ByteView(rb.data(), n), *remote);
    log.add(now - start, ByteView(rb.data(), n));
    timer.expires_after(milliseconds(300));
    timer.async_wait([&](const boost::system::error_code&) { io.stop(); });
  };
  step();
  io.run();

  const auto& st = check.stats;
  const std::uint64_t sent = static_cast<std::uint64_t>(sent_audio + sent_events);
  std::printf("media_peer echo via %s: sent %d audio + %d event packets (upstream switched SSRC and "
              "jumped 30000 at packet %d)\n", target.c_str(), sent_audio, sent_events, switched_at);
  std::printf("  echoed: %llu audio, %llu events, %llu with marker, %llu RTCP; receive stats: "
              "received %u expected %u lost %lld restarts %llu jitter %u ticks\n",
              static_cast<unsigned long long>(check.audio), static_cast<unsigned long long>(check.events),
              static_cast<unsigned long long>(check.markers), static_cast<unsigned long long>(check.rtcp),
              st.received(), st.expected(), static_cast<long long>(st.lost()),
              static_cast<unsigned long long>(st.counters().restarts), st.jitter());
  std::printf("  digits decoded from the echo: \"%s\"; source filter accepted %llu, dropped %llu\n",
              check.digits.c_str(), static_cast<unsigned long long>(check.filter.counters().accepted),
              static_cast<unsigned long long>(check.filter.counters().dropped[1]));
  bool ok = true;
  auto expect = [&](bool c, const char* what) {
    if (!c) {
      std::printf("  FAIL: %s\n", what);
      ok = false;
    }
  };
  expect(check.audio + check.events == sent, "every packet came back");
  expect(st.received() + 1 == sent, "A.1 counted all but the probation packet");
  expect(st.lost() == 0, "no loss and no sequence gap across the upstream switch");
  expect(st.counters().restarts == 0 && st.counters().bad_sequence == 0,
         "the echo saw one continuous source (no restart, no jump)");
  expect(check.digits == "1#", "digits 1# decoded once each");
  expect(check.markers >= 4, "markers: stream start, each event start, the switch");
  expect(check.rtcp == 1 && check.last_rtcp && check.last_rtcp->sender_info &&
             check.last_rtcp->sender_info->packet_count == sent && check.last_rtcp->bye,
         "our SR+SDES+BYE came back and parsed with the sent packet count");
  expect(check.bad == 0, "no malformed packet");
  if (!pcap.empty()) expect(log.write(pcap, sock.rtp_address(), *remote), "pcap written");
  std::printf("%s\n", ok ? "media_peer echo: OK" : "media_peer echo: FAILED");
  return ok ? 0 : 1;
}

struct Listener : media::io::RtpSocketReceiver {
  SourceFilter filter{SourceMode::Learn, seconds(5)};
  ReceiveStats stats{8000};
  DtmfReceiver dtmf;
  std::string digits;
  std::uint64_t rtp = 0, events = 0, rtcp = 0, bad = 0, ssrcs = 0;
  std::uint32_t last_ssrc = 0;
  Instant last{};

  template <class Print>
  void report(Print print) const {
    print("ssrc=%08x received=%u expected=%u lost=%lld duplicates=%llu jitter=%u\n", last_ssrc,
          stats.received(), stats.expected(), static_cast<long long>(stats.lost()),
          static_cast<unsigned long long>(stats.counters().duplicates_or_reordered), stats.jitter());
  }

  void on_datagram(media::io::Component c, const SocketAddress& from, std::span<std::uint8_t> buffer,
                   std::size_t length) override {
    const Instant now = Clock::now();
    if (c == media::io::Component::Rtcp) {
      ++rtcp;
      return;
    }
    auto p = RtpPacket::parse(buffer.first(length));
    if (!p) {
      ++bad;
      return;
    }
    if (!filter.accept(now, from)) return;
    last = now;
    ++rtp;
    if (ssrcs == 0 || p->ssrc() != last_ssrc) {
      if (ssrcs) report(std::printf);
      ++ssrcs;
      last_ssrc = p->ssrc();
    }
    const bool event = p->payload_type() == kEvent;
    events += event;
    stats.on_rtp(now, p->ssrc(), p->sequence(), p->timestamp(), !event);
    if (event)
      if (auto d = dtmf.on_packet(p->ssrc(), p->timestamp(), p->payload())) digits += d->digit;
  }
};

int listen(const std::string& local, const std::string& signalled, double secs) {
  const auto at = SocketAddress::parse(local);
  const auto sdp = SocketAddress::parse(signalled);
  if (!at || !sdp) return 2;
  boost::asio::io_context io;
  Listener l;
  media::io::RtpSocket sock(io, l);
  if (auto ec = sock.open(*at, SocketAddress(at->ip(), static_cast<std::uint16_t>(at->port() + 1)))) {
    std::fprintf(stderr, "media_peer: bind %s: %s\n", local.c_str(), ec.message().c_str());
    return 1;
  }
  const Instant start = Clock::now();
  l.filter.set_signalled(start, *sdp);
  std::printf("media_peer listening on %s (RTCP %s), signalled source %s\n",
              sock.rtp_address().to_string().c_str(), sock.rtcp_address().to_string().c_str(),
              signalled.c_str());
  std::fflush(stdout);
  boost::asio::steady_timer timer(io);
  std::function<void()> tick = [&] {
    const Instant now = Clock::now();
    if (now - start > std::chrono::duration<double>(secs) ||
        (l.rtp > 0 && now - l.last > milliseconds(1500))) {
      io.stop();
      return;
    }
    timer.expires_after(milliseconds(100));
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  };
  tick();
  io.run();
  const auto& fc = l.filter.counters();
  if (l.ssrcs) l.report(std::printf);
  std::printf("learned=%s accepted=%llu dropped=%llu rtp=%llu events=%llu rtcp=%llu malformed=%llu "
              "ssrcs=%llu digits=%s\n",
              l.filter.locked() ? l.filter.locked()->to_string().c_str() : "none",
              static_cast<unsigned long long>(fc.accepted),
              static_cast<unsigned long long>(fc.dropped[0] + fc.dropped[1] + fc.dropped[2]),
              static_cast<unsigned long long>(l.rtp), static_cast<unsigned long long>(l.events),
              static_cast<unsigned long long>(l.rtcp), static_cast<unsigned long long>(l.bad),
              static_cast<unsigned long long>(l.ssrcs), l.digits.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "echo" && argc > 2)
    return echo(argv[2], argc > 3 ? std::atoi(argv[3]) : 100, argc > 4 ? argv[4] : "");
  if (cmd == "write-rtcp") return write_rtcp();
  if (cmd == "read-rtcp") return read_rtcp();
  if (cmd == "read-rtp") return read_rtp();
  if (cmd == "listen" && argc > 4) return listen(argv[2], argv[3], std::atof(argv[4]));
  if (cmd == "read-pcap" && argc > 2) return read_pcaps(argc - 2, argv + 2);
  std::fprintf(stderr, "usage: media_peer echo HOST:PORT [packets] [pcap] | write-rtcp | read-rtcp | read-rtp | read-pcap FILE... | listen HOST:PORT SIGNALLED SECONDS\n");
  return 2;
}
