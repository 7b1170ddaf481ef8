#include "gateway/media/rtcp.hpp"

#include <algorithm>

#include "gateway/media/media_clock.hpp"

namespace floe::media {
namespace {

constexpr std::size_t kHeader = 4;
constexpr std::size_t kSenderInfo = 20;
constexpr std::size_t kMaxBlocks = 31;  // 5-bit count

std::size_t pad4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

ReportBlock read_block(const std::uint8_t* p) {
  ReportBlock b;
  b.ssrc = load_be32(p);
  b.fraction_lost = p[4];
  // 24-bit two's complement (RFC 3550 §6.4.1 allows negative with duplicates).
  std::uint32_t lost = (std::uint32_t{p[5]} << 16) | (std::uint32_t{p[6]} << 8) | p[7];
  b.cumulative_lost = static_cast<std::int32_t>(lost << 8) >> 8;
  b.extended_highest_sequence = load_be32(p + 8);
  b.jitter = load_be32(p + 12);
  b.last_sr = load_be32(p + 16);
  b.delay_since_last_sr = load_be32(p + 20);
  return b;
}

void write_block(std::uint8_t* p, const ReportBlock& b) {
  store_be32(p, b.ssrc);
  p[4] = b.fraction_lost;
  const std::int32_t lost = std::clamp<std::int32_t>(b.cumulative_lost, -0x800000, 0x7fffff);
  const auto u = static_cast<std::uint32_t>(lost);
  p[5] = static_cast<std::uint8_t>(u >> 16);
  p[6] = static_cast<std::uint8_t>(u >> 8);
  p[7] = static_cast<std::uint8_t>(u);
  store_be32(p + 8, b.extended_highest_sequence);
  store_be32(p + 12, b.jitter);
  store_be32(p + 16, b.last_sr);
  store_be32(p + 20, b.delay_since_last_sr);
}

void write_header(std::uint8_t* p, std::uint8_t count, RtcpType type, std::size_t bytes) {
  p[0] = static_cast<std::uint8_t>(0x80 | (count & 0x1f));
  p[1] = static_cast<std::uint8_t>(type);
  store_be16(p + 2, static_cast<std::uint16_t>(bytes / 4 - 1));  // §6.4.1 length
}

}  // namespace

const char* to_string(RtcpParseError e) {
  switch (e) {
    case RtcpParseError::None: return "none";
    case RtcpParseError::TooShort: return "too_short";
    case RtcpParseError::BadVersion: return "bad_version";
    case RtcpParseError::LengthOverrun: return "length_overrun";
    case RtcpParseError::BadPadding: return "bad_padding";
    case RtcpParseError::BadCount: return "bad_count";
  }
  return "unknown";
}

NtpClock NtpClock::from_system(Instant now) {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
  constexpr std::uint64_t kUnixToNtp = 2208988800ull;  // 1900 -> 1970, RFC 868
  const std::uint64_t secs = static_cast<std::uint64_t>(ns / 1'000'000'000) + kUnixToNtp;
  const std::uint64_t frac = (static_cast<std::uint64_t>(ns % 1'000'000'000) << 32) / 1'000'000'000;
  return NtpClock(now, (secs << 32) | frac);
}

bool RtcpReader::next(RtcpPacketView& out) {
  if (pos_ >= data_.size() || error_ != RtcpParseError::None) return false;
  auto fail = [&](RtcpParseError e) {
    error_ = e;
    pos_ = data_.size();
    return false;
  };
  const std::size_t left = data_.size() - pos_;
  if (left < kHeader) return fail(RtcpParseError::TooShort);
  const std::uint8_t* p = data_.data() + pos_;
  if ((p[0] >> 6) != 2) return fail(RtcpParseError::BadVersion);
  const std::size_t len = (std::size_t{load_be16(p + 2)} + 1) * 4;
  if (len > left) return fail(RtcpParseError::LengthOverrun);
  std::size_t body = len - kHeader;
  if (p[0] & 0x20) {
    // RFC 3550 §6.4.1: the count in the last octet includes itself, and only
    // the last packet of a compound may be padded (A.2).
    const std::size_t padding = p[len - 1];
    if (padding == 0 || padding > body || pos_ + len != data_.size())
      return fail(RtcpParseError::BadPadding);
    body -= padding;
  }
  out.count = p[0] & 0x1f;
  out.type = p[1];
  out.raw = data_.subspan(pos_, len);
  out.body = data_.subspan(pos_ + kHeader, body);
  pos_ += len;
  return true;
}

ReportBlock ReportView::block(std::size_t i) const { return read_block(blocks.data() + 24 * i); }

std::optional<ReportView> parse_report(const RtcpPacketView& p) {
  const bool sr = p.type == static_cast<std::uint8_t>(RtcpType::SR);
  if (!sr && p.type != static_cast<std::uint8_t>(RtcpType::RR)) return std::nullopt;
  const std::size_t fixed = 4 + (sr ? kSenderInfo : 0);
  if (p.body.size() < fixed + kReportBlockSize * p.count) return std::nullopt;
  ReportView v;
  const std::uint8_t* b = p.body.data();
  v.ssrc = load_be32(b);
  if (sr) {
    SenderInfo s;
    s.ntp_timestamp = (std::uint64_t{load_be32(b + 4)} << 32) | load_be32(b + 8);
    s.rtp_timestamp = load_be32(b + 12);
    s.packet_count = load_be32(b + 16);
    s.octet_count = load_be32(b + 20);
    v.sender = s;
  }
  v.block_count = p.count;
  v.blocks = p.body.subspan(fixed, kReportBlockSize * p.count);
  return v;
}

std::optional<ByeView> parse_bye(const RtcpPacketView& p) {
  if (p.type != static_cast<std::uint8_t>(RtcpType::BYE)) return std::nullopt;
  const std::size_t n = 4u * p.count;
  if (p.body.size() < n) return std::nullopt;
  ByeView v;
  v.source_count = p.count;
  v.sources = p.body.first(n);
  if (p.body.size() > n) {
    const std::size_t len = p.body[n];
    if (n + 1 + len > p.body.size()) return std::nullopt;
    v.reason = as_chars(p.body.subspan(n + 1, len));
  }
  return v;
}

bool SdesReader::next(SdesItem& out) {
  if (malformed_) return false;
  for (;;) {
    if (!in_chunk_) {
      if (chunks_left_ == 0) return false;
      if (pos_ + 4 > body_.size()) {
        malformed_ = true;
        return false;
      }
      ssrc_ = load_be32(body_.data() + pos_);
      pos_ += 4;
      in_chunk_ = true;
      --chunks_left_;
    }
    if (pos_ >= body_.size()) {  // §6.5: a chunk ends with a null item
      malformed_ = true;
      return false;
    }
    const std::uint8_t type = body_[pos_];
    if (type == 0) {
      // The terminator, then nulls up to the next 32-bit boundary.
      pos_ = pad4(pos_ + 1);
      in_chunk_ = false;
      if (pos_ > body_.size()) {
        malformed_ = true;
        return false;
      }
      continue;
    }
    if (pos_ + 2 > body_.size() || pos_ + 2 + body_[pos_ + 1] > body_.size()) {
      malformed_ = true;
      return false;
    }
    const std::size_t len = body_[pos_ + 1];
    out.ssrc = ssrc_;
    out.type = type;
    out.value = as_chars(body_.subspan(pos_ + 2, len));
    pos_ += 2 + len;
    return true;
  }
}

std::optional<FeedbackView> parse_feedback(const RtcpPacketView& p) {
  if (p.type != static_cast<std::uint8_t>(RtcpType::RTPFB) &&
      p.type != static_cast<std::uint8_t>(RtcpType::PSFB))
    return std::nullopt;
  if (p.body.size() < 8) return std::nullopt;
  FeedbackView v;
  v.format = p.count;
  v.sender_ssrc = load_be32(p.body.data());
  v.media_ssrc = load_be32(p.body.data() + 4);
  v.fci = p.body.subspan(8);
  return v;
}

std::optional<AppView> parse_app(const RtcpPacketView& p) {
  if (p.type != static_cast<std::uint8_t>(RtcpType::APP) || p.body.size() < 8) return std::nullopt;
  AppView v;
  v.subtype = p.count;
  v.ssrc = load_be32(p.body.data());
  v.name = as_chars(p.body.subspan(4, 4));
  v.data = p.body.subspan(8);
  return v;
}

std::optional<RtcpSummary> summarize_rtcp(ByteView compound, std::uint32_t our_ssrc,
                                          RtcpCounters& c) {
  RtcpReader reader(compound);
  RtcpPacketView p;
  RtcpSummary s;
  std::size_t packets = 0;
  while (reader.next(p)) {
    ++packets;
    switch (static_cast<RtcpType>(p.type)) {
      case RtcpType::SR:
      case RtcpType::RR: {
        (p.type == static_cast<std::uint8_t>(RtcpType::SR) ? c.sender_reports : c.receiver_reports)++;
        const auto r = parse_report(p);
        if (!r) {
          ++c.malformed[static_cast<std::size_t>(RtcpParseError::BadCount)];
          break;
        }
        if (!s.sender_ssrc) {
          s.sender_ssrc = r->ssrc;
          s.sender_info = r->sender;
        }
        for (std::size_t i = 0; i < r->block_count; ++i) {
          const ReportBlock b = r->block(i);
          if (b.ssrc == our_ssrc) s.about_us = b;
        }
        break;
      }
      case RtcpType::SDES: ++c.sdes; break;
      case RtcpType::BYE:
        ++c.byes;
        s.bye = true;
        break;
      case RtcpType::APP: ++c.apps; break;
      case RtcpType::RTPFB:
        ++c.rtpfb;
        ++s.feedback;
        break;
      case RtcpType::PSFB:
        ++c.psfb;
        ++s.feedback;
        break;
      case RtcpType::XR: ++c.xr; break;  // RFC 3611 blocks are not read
      default: ++c.other; break;
    }
  }
  if (reader.error() != RtcpParseError::None) ++c.malformed[static_cast<std::size_t>(reader.error())];
  if (packets == 0) return std::nullopt;
  ++c.compounds;
  return s;
}

std::size_t rtcp_report_size(const RtcpReportParams& r) {
  const std::size_t blocks = std::min(r.blocks.size(), kMaxBlocks);
  std::size_t n = kHeader + 4 + (r.sender ? kSenderInfo : 0) + kReportBlockSize * blocks;
  const std::size_t cname = std::min<std::size_t>(r.cname.size(), 255);
  n += kHeader + pad4(4 + 2 + cname + 1);  // one chunk, CNAME item, null terminator
  if (r.bye) {
    const std::size_t reason = std::min<std::size_t>(r.bye_reason.size(), 255);
    n += kHeader + 4 + (reason ? pad4(1 + reason) : 0);
  }
  return n;
}

std::size_t write_rtcp_report(std::span<std::uint8_t> out, const RtcpReportParams& r) {
  const std::size_t total = rtcp_report_size(r);
  if (out.size() < total) return 0;
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(total), std::uint8_t{0});
  std::uint8_t* p = out.data();

  // SR or RR (RFC 3550 §6.4).
  const std::size_t blocks = std::min(r.blocks.size(), kMaxBlocks);
  const std::size_t report = kHeader + 4 + (r.sender ? kSenderInfo : 0) + kReportBlockSize * blocks;
  write_header(p, static_cast<std::uint8_t>(blocks), r.sender ? RtcpType::SR : RtcpType::RR, report);
  store_be32(p + 4, r.ssrc);
  std::size_t at = 8;
  if (r.sender) {
    store_be32(p + at, static_cast<std::uint32_t>(r.sender->ntp_timestamp >> 32));
    store_be32(p + at + 4, static_cast<std::uint32_t>(r.sender->ntp_timestamp));
    store_be32(p + at + 8, r.sender->rtp_timestamp);
    store_be32(p + at + 12, r.sender->packet_count);
    store_be32(p + at + 16, r.sender->octet_count);
    at += kSenderInfo;
  }
  for (std::size_t i = 0; i < blocks; ++i, at += kReportBlockSize) write_block(p + at, r.blocks[i]);
  p += report;

  // SDES with CNAME (§6.5.1): mandatory in every compound.
  const std::size_t cname = std::min<std::size_t>(r.cname.size(), 255);
  const std::size_t sdes = kHeader + pad4(4 + 2 + cname + 1);
  write_header(p, 1, RtcpType::SDES, sdes);
  store_be32(p + 4, r.ssrc);
  p[8] = 1;  // CNAME
  p[9] = static_cast<std::uint8_t>(cname);
  std::copy_n(r.cname.data(), cname, p + 10);
  p += sdes;  // the zero fill is the terminator and the padding

  if (r.bye) {
    const std::size_t reason = std::min<std::size_t>(r.bye_reason.size(), 255);
    const std::size_t bye = kHeader + 4 + (reason ? pad4(1 + reason) : 0);
    write_header(p, 1, RtcpType::BYE, bye);
    store_be32(p + 4, r.ssrc);
    if (reason) {
      p[8] = static_cast<std::uint8_t>(reason);
      std::copy_n(r.bye_reason.data(), reason, p + 9);
    }
  }
  return total;
}

std::optional<Duration> round_trip_time(std::uint32_t arrival_ntp_short, const ReportBlock& b) {
  if (b.last_sr == 0) return std::nullopt;
  const std::uint32_t rtt = arrival_ntp_short - b.last_sr - b.delay_since_last_sr;
  if (static_cast<std::int32_t>(rtt) < 0) return std::nullopt;
  return from_ntp_short(rtt);
}

}  // namespace floe::media
