// Fuzz target: the RTP header view, the RTCP compound walker and its typed
// views, and the RFC 4733 payload reader on arbitrary bytes; a parsed RTP
// packet also goes through the bridge's per-packet path (rewrite, receive
// statistics, DTMF receiver), and every view must stay inside the input.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gateway/media/receive_stats.hpp"
#include "gateway/media/rtcp.hpp"
#include "gateway/media/rtp.hpp"
#include "gateway/media/stream_rewriter.hpp"
#include "gateway/media/telephone_event.hpp"

using namespace floe;
using namespace floe::media;

namespace {

void inside(ByteView outer, ByteView inner) {
  if (inner.empty()) return;
  if (inner.data() < outer.data() || inner.data() + inner.size() > outer.data() + outer.size())
    __builtin_trap();
}

void fuzz_rtp(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> buf(data, data + size);
  RtpParseError err = RtpParseError::None;
  auto p = RtpPacket::parse(buf, &err);
  if (!p) {
    if (err == RtpParseError::None) __builtin_trap();
    return;
  }
  if (p->header_size() + p->payload_size() + p->padding_size() != size) __builtin_trap();
  inside(ByteView(buf), p->payload());
  inside(ByteView(buf), p->extension_data());
  (void)p->extension_profile();
  for (std::size_t i = 0; i < p->csrc_count(); ++i) (void)p->csrc(i);

  const Instant t0 = Instant{} + std::chrono::seconds(1);
  ReceiveStats stats(8000);
  stats.on_rtp(t0, p->ssrc(), p->sequence(), p->timestamp());
  (void)stats.make_report_block(t0);
  DtmfReceiver dtmf;
  (void)dtmf.on_packet(p->ssrc(), p->timestamp(), p->payload());
  OutboundStream out(t0, 1, 8000, 100, 1000);
  out.map_payload_type(p->payload_type(), 96);
  const std::size_t payload = p->payload_size();
  if (!out.rewrite(t0, *p)) __builtin_trap();
  auto again = RtpPacket::parse(buf);
  if (!again || again->payload_size() != payload || again->ssrc() != 1 ||
      again->payload_type() != 96)
    __builtin_trap();
  again->strip_extension();
  auto stripped = RtpPacket::parse(again->bytes());
  if (!stripped || stripped->has_extension() || stripped->payload_size() != payload ||
      stripped->size() != size - (p->header_size() - 12 - 4u * p->csrc_count()))
    __builtin_trap();
}

void fuzz_rtcp(const std::uint8_t* data, std::size_t size) {
  const ByteView in(data, size);
  RtcpCounters counters;
  (void)summarize_rtcp(in, 0x01020304, counters);
  RtcpReader reader(in);
  RtcpPacketView p;
  while (reader.next(p)) {
    inside(in, p.raw);
    inside(p.raw, p.body);
    if (auto r = parse_report(p)) {
      inside(p.body, r->blocks);
      for (std::size_t i = 0; i < r->block_count; ++i) (void)r->block(i);
    }
    if (auto b = parse_bye(p)) {
      for (std::size_t i = 0; i < b->source_count; ++i) (void)b->source(i);
      inside(p.body, as_bytes(b->reason));
    }
    if (auto f = parse_feedback(p)) inside(p.body, f->fci);
    if (auto a = parse_app(p)) inside(p.body, a->data);
    if (p.type == static_cast<std::uint8_t>(RtcpType::SDES)) {
      SdesReader sdes(p);
      SdesItem item;
      int items = 0;
      while (sdes.next(item) && ++items < 1000) inside(p.body, as_bytes(item.value));
    }
  }
  // Our own report with whatever the input says must parse back.
  if (size >= 24) {
    ReportBlock b;
    std::memcpy(&b.ssrc, data, 4);
    b.cumulative_lost = static_cast<std::int32_t>(load_be32(data + 4));
    RtcpReportParams params;
    params.ssrc = load_be32(data + 8);
    params.blocks = std::span<const ReportBlock>(&b, 1);
    params.cname = as_chars(in.subspan(12, std::min<std::size_t>(size - 12, 300)));
    params.bye = data[0] & 1;
    params.bye_reason = params.cname;
    std::uint8_t out[1500];
    const std::size_t n = write_rtcp_report(out, params);
    if (n == 0 || n != rtcp_report_size(params)) __builtin_trap();
    RtcpCounters c2;
    auto s = summarize_rtcp(ByteView(out, n), params.ssrc, c2);
    if (!s || s->sender_ssrc != params.ssrc) __builtin_trap();
    for (auto m : c2.malformed)
      if (m) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)looks_like_rtp(ByteView(data, size));
  (void)looks_like_rtcp(ByteView(data, size));
  (void)parse_telephone_event(ByteView(data, size));
  fuzz_rtp(data, size);
  fuzz_rtcp(data, size);
  return 0;
}
