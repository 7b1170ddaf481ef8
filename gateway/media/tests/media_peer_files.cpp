// media_peer's file and codec subcommands: hex lines in and out for the
// aiortc checks, pcap reading (sipp's captures) and writing (for tshark).
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>

#include "gateway/media/media_clock.hpp"
#include "gateway/media/receive_stats.hpp"
#include "gateway/media/rtcp.hpp"
#include "gateway/media/rtp.hpp"
#include "gateway/media/stream_rewriter.hpp"
#include "gateway/media/telephone_event.hpp"
#include "gateway/media/tests/media_peer.hpp"

namespace floe::media::peer {

std::string hex(ByteView b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

Bytes unhex(const std::string& s) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

// What we sent, written as a pcap file (LINKTYPE_IPV4 with synthetic IPv4 +
// UDP headers) so a third-party dissector (tshark) can read it without a

bool PcapLog::write(const std::string& path, const SocketAddress& from,
                    const SocketAddress& to) const {
  if (!from.ip().is_v4() || !to.ip().is_v4()) return false;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  auto le32 = [&](std::uint32_t v) { std::fwrite(&v, 4, 1, f); };  // host order = LE here
  auto le16 = [&](std::uint16_t v) { std::fwrite(&v, 2, 1, f); };
  le32(0xa1b2c3d4);
  le16(2);
  le16(4);
  le32(0);
  le32(0);
  le32(65535);
  le32(228);  // LINKTYPE_IPV4
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  for (const auto& e : entries) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(wall + e.at).count();
    std::uint8_t h[28] = {0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17};
    store_be16(h + 2, static_cast<std::uint16_t>(28 + e.bytes.size()));
    std::memcpy(h + 12, from.ip().data(), 4);
    std::memcpy(h + 16, to.ip().data(), 4);
    std::uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += load_be16(h + i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    store_be16(h + 10, static_cast<std::uint16_t>(~sum));
    store_be16(h + 20, from.port());
    store_be16(h + 22, to.port());
    store_be16(h + 24, static_cast<std::uint16_t>(8 + e.bytes.size()));
    le32(static_cast<std::uint32_t>(us / 1000000));
    le32(static_cast<std::uint32_t>(us % 1000000));
    le32(static_cast<std::uint32_t>(28 + e.bytes.size()));
    le32(static_cast<std::uint32_t>(28 + e.bytes.size()));
    std::fwrite(h, 1, 28, f);
    std::fwrite(e.bytes.data(), 1, e.bytes.size(), f);
  }
  return std::fclose(f) == 0;
}

int write_rtcp() {
  ReportBlock b;
  b.ssrc = 0x01020304;
  b.fraction_lost = 25;
  b.cumulative_lost = 300;
  b.extended_highest_sequence = 0x00011234;
  b.jitter = 77;
  b.last_sr = 0xb7052000;
  b.delay_since_last_sr = 0x00054000;
  std::array<std::uint8_t, 512> buf{};
  RtcpReportParams sr{0xaabbccdd, SenderInfo{0xe8a1b2c3'80000000ull, 123456, 50, 8000},
                      std::span<const ReportBlock>(&b, 1), "floe@gw", true, "hangup"};
  std::printf("%s\n", hex(ByteView(buf.data(), write_rtcp_report(buf, sr))).c_str());
  RtcpReportParams rr{0x11111111, std::nullopt, std::span<const ReportBlock>(&b, 1), "rr", false, {}};
  std::printf("%s\n", hex(ByteView(buf.data(), write_rtcp_report(buf, rr))).c_str());
  return 0;
}

int read_rtcp() {
  std::string line;
  int status = 0;
  while (std::getline(std::cin, line)) {
    auto bytes = unhex(line);
    RtcpReader reader(bytes);
    RtcpPacketView p;
    while (reader.next(p)) {
      std::printf("type=%u count=%u", p.type, p.count);
      if (auto r = parse_report(p)) {
        std::printf(" ssrc=%u", r->ssrc);
        if (r->sender)
          std::printf(" ntp=%llu rtp=%u packets=%u octets=%u",
                      static_cast<unsigned long long>(r->sender->ntp_timestamp),
                      r->sender->rtp_timestamp, r->sender->packet_count, r->sender->octet_count);
        for (std::size_t i = 0; i < r->block_count; ++i) {
          auto b = r->block(i);
          std::printf(" block=%u/%u/%d/%u/%u/%u/%u", b.ssrc, b.fraction_lost, b.cumulative_lost,
                      b.extended_highest_sequence, b.jitter, b.last_sr, b.delay_since_last_sr);
        }
      } else if (p.type == 202) {
        SdesReader sdes(p);
        SdesItem item;
        while (sdes.next(item))
          std::printf(" item=%u/%u/%.*s", item.ssrc, item.type, static_cast<int>(item.value.size()),
                      item.value.data());
        if (sdes.malformed()) status = 1;
      } else if (auto bye = parse_bye(p)) {
        for (std::size_t i = 0; i < bye->source_count; ++i) std::printf(" source=%u", bye->source(i));
        std::printf(" reason=%.*s", static_cast<int>(bye->reason.size()), bye->reason.data());
      } else if (auto fb = parse_feedback(p)) {
        std::printf(" sender=%u media=%u fci=%zu", fb->sender_ssrc, fb->media_ssrc, fb->fci.size());
      }
      std::printf("\n");
    }
    if (reader.error() != RtcpParseError::None) {
      std::printf("error=%s\n", to_string(reader.error()));
      status = 1;
    }
  }
  return status;
}

namespace {
struct Captured {
  Duration at;
  Bytes payload;
};
}  // namespace

// Classic pcap (either byte order, microsecond stamps), IPv4/UDP over
// Ethernet, Linux cooked or raw IP. Other frames are skipped.
static bool read_pcap(const std::string& path, std::vector<Captured>& out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::vector<std::uint8_t> data;
  std::uint8_t chunk[65536];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, f)) > 0;) data.insert(data.end(), chunk, chunk + n);
  std::fclose(f);
  if (data.size() < 24) return false;
  const std::uint32_t magic = load_be32(data.data());
  const bool le = magic == 0xd4c3b2a1;
  if (!le && magic != 0xa1b2c3d4) return false;
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = load_be32(&data[at]);
    return le ? __builtin_bswap32(v) : v;
  };
  const std::uint32_t link = u32(20);
  std::size_t pos = 24;
  std::optional<std::uint64_t> first_us;
  while (pos + 16 <= data.size()) {
    const std::uint64_t us = std::uint64_t{u32(pos)} * 1000000 + u32(pos + 4);
    const std::size_t len = u32(pos + 8);
    pos += 16;
    if (pos + len > data.size()) break;
    ByteView frame(&data[pos], len);
    pos += len;
    std::size_t ip = link == 1 ? 14 : link == 113 ? 16 : (link == 228 || link == 101) ? 0 : len;
    if (link == 1 && len >= 14 && load_be16(&frame[12]) != 0x0800) continue;
    if (ip + 20 > len || (frame[ip] >> 4) != 4 || frame[ip + 9] != 17) continue;
    const std::size_t udp = ip + 4u * (frame[ip] & 0x0f);
    if (udp + 8 > len) continue;
    const std::size_t udp_len = load_be16(&frame[udp + 4]);
    if (udp_len < 8 || udp + udp_len > len) continue;
    if (!first_us) first_us = us;
    out.push_back({std::chrono::microseconds(us - *first_us),
                   Bytes(frame.begin() + udp + 8, frame.begin() + udp + udp_len)});
  }
  return true;
}

int read_pcaps(int argc, char** argv) {
  const Instant t0 = Instant{} + seconds(1000);
  Instant base = t0;
  OutboundStream out(t0, 0xf10e0002, 8000, 30000, 0);
  for (std::uint8_t pt : {0, 8, 101}) out.map_payload_type(pt, pt);
  ReceiveStats out_stats(8000);
  DtmfReceiver out_dtmf;
  std::string all_digits, out_digits;
  Instant last = t0;
  int status = 0;
  for (int i = 0; i < argc; ++i) {
    std::vector<Captured> pkts;
    if (!read_pcap(argv[i], pkts)) {
      std::printf("file=%s unreadable\n", argv[i]);
      status = 1;
      continue;
    }
    ReceiveStats stats(8000);
    DtmfReceiver dtmf;
    std::string digits;
    std::uint64_t rtp = 0, events = 0, bad = 0;
    for (auto& c : pkts) {
      const Instant now = base + c.at;
      last = now;
      auto p = RtpPacket::parse(c.payload);
      if (!p) {
        ++bad;
        continue;
      }
      ++rtp;
      const bool event = p->payload_type() == kEvent;
      events += event;
      stats.on_rtp(now, p->ssrc(), p->sequence(), p->timestamp(), !event);
      if (event)
        if (auto d = dtmf.on_packet(p->ssrc(), p->timestamp(), p->payload())) digits += d->digit;
      if (!out.rewrite(now, *p)) continue;
      out_stats.on_rtp(now, p->ssrc(), p->sequence(), p->timestamp(), !event);
      if (event)
        if (auto d = out_dtmf.on_packet(p->ssrc(), p->timestamp(), p->payload())) out_digits += d->digit;
    }
    all_digits += digits;
    std::string name = argv[i];
    name = name.substr(name.find_last_of('/') + 1);
    std::printf("file=%s rtp=%llu events=%llu malformed=%llu received=%u expected=%u lost=%lld "
                "duplicates=%llu jitter=%u digits=%s\n",
                name.c_str(), static_cast<unsigned long long>(rtp), static_cast<unsigned long long>(events),
                static_cast<unsigned long long>(bad), stats.received(), stats.expected(),
                static_cast<long long>(stats.lost()),
                static_cast<unsigned long long>(stats.counters().duplicates_or_reordered), stats.jitter(),
                digits.c_str());
    base = last + milliseconds(200);
  }
  std::printf("rewritten: packets=%llu switches=%llu jumps=%llu stale=%llu | as received: expected=%u "
              "lost=%lld restarts=%llu bad_sequence=%llu digits=%s\n",
              static_cast<unsigned long long>(out.counters().packets),
              static_cast<unsigned long long>(out.counters().source_switches),
              static_cast<unsigned long long>(out.counters().source_jumps),
              static_cast<unsigned long long>(out.counters().dropped_stale), out_stats.expected(),
              static_cast<long long>(out_stats.lost()),
              static_cast<unsigned long long>(out_stats.counters().restarts),
              static_cast<unsigned long long>(out_stats.counters().bad_sequence), out_digits.c_str());
  std::printf("digits=%s\n", all_digits.c_str());
  return status;
}

int read_rtp() {
  std::string line;
  int status = 0;
  const Instant t0 = Clock::now();
  while (std::getline(std::cin, line)) {
    auto bytes = unhex(line);
    RtpParseError err;
    auto p = RtpPacket::parse(bytes, &err);
    if (!p) {
      std::printf("error=%s\n", to_string(err));
      status = 1;
      continue;
    }
    std::printf("pt=%u marker=%d seq=%u ts=%u ssrc=%u csrc=%u ext=%04x/%zu header=%zu payload=%s "
                "padding=%zu\n",
                p->payload_type(), p->marker() ? 1 : 0, p->sequence(), p->timestamp(), p->ssrc(),
                p->csrc_count(), p->extension_profile(), p->extension_data().size(),
                p->header_size(), hex(p->payload()).c_str(), p->padding_size());
    OutboundStream out(t0, 0xf10e0001, 48000, 1000, 160000);
    out.map_payload_type(p->payload_type(), 96);
    if (!out.rewrite(t0, *p)) status = 1;
    std::printf("%s\n", hex(bytes).c_str());
  }
  return status;
}

}  // namespace floe::media::peer
