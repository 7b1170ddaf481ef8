#pragma once
// RTCP codec (RFC 3550 §6, feedback RFC 4585, XR RFC 3611 skipped over):
// a bounded walk over a compound packet yielding typed views into the
// caller's bytes, and a writer that builds our compound report (SR or RR,
// SDES CNAME, optional BYE; §6.1) into a caller buffer. Nothing allocates.
// The bridge terminates RTCP per leg: it reads the far end's SR (for LSR)
// and the report block about our own SSRC (for RTT and loss), and sends
// reports built from its OutboundStream and ReceiveStats of that leg.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "gateway/media/report_block.hpp"

namespace floe::media {

enum class RtcpType : std::uint8_t {
  SR = 200,
  RR = 201,
  SDES = 202,
  BYE = 203,
  APP = 204,
  RTPFB = 205,  // RFC 4585 transport-layer feedback (NACK, TWCC, ...)
  PSFB = 206,   // RFC 4585 payload-specific feedback (PLI, FIR, REMB, ...)
  XR = 207,     // RFC 3611
};

enum class RtcpParseError : std::uint8_t {
  None = 0,
  TooShort,        // < 4 bytes left for a header
  BadVersion,      // V != 2
  LengthOverrun,   // length field runs past the datagram
  BadPadding,      // padding count 0 / too large, or padding not on the last packet
  BadCount,        // count field needs more bytes than the length gives
};
inline constexpr std::size_t kRtcpParseErrorCount = 6;
const char* to_string(RtcpParseError e);

// One packet of a compound: the header fields and the bytes after the
// 4-byte header up to the padding.
struct RtcpPacketView {
  std::uint8_t count = 0;  // RC / SC / FMT, by type
  std::uint8_t type = 0;   // RtcpType value, or another PT we skip
  ByteView body;
  ByteView raw;            // whole packet incl. header and padding
};

// Walks a compound packet. A malformed packet ends the walk with error()
// set; the packets before it were valid and may be used.
class RtcpReader {
 public:
  explicit RtcpReader(ByteView compound) : data_(compound) {}
  bool next(RtcpPacketView& out);
  RtcpParseError error() const { return error_; }

 private:
  ByteView data_;
  std::size_t pos_ = 0;
  RtcpParseError error_ = RtcpParseError::None;
};

struct SenderInfo {
  std::uint64_t ntp_timestamp = 0;
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  bool operator==(const SenderInfo&) const = default;
};

// SR (with sender info) or RR: the reporter and its report blocks.
struct ReportView {
  std::uint32_t ssrc = 0;
  std::optional<SenderInfo> sender;  // SR only
  std::uint8_t block_count = 0;
  ByteView blocks;  // block_count * 24 bytes
  ReportBlock block(std::size_t i) const;
};
std::optional<ReportView> parse_report(const RtcpPacketView& p);

// BYE: the sources leaving and an optional reason.
struct ByeView {
  std::uint8_t source_count = 0;
  ByteView sources;  // source_count * 4 bytes
  std::string_view reason;
  std::uint32_t source(std::size_t i) const { return load_be32(sources.data() + 4 * i); }
};
std::optional<ByeView> parse_bye(const RtcpPacketView& p);

// SDES: walk chunks and their items. The CNAME of the first chunk is what
// the bridge needs; the walker covers the general case.
struct SdesItem {
  std::uint32_t ssrc = 0;
  std::uint8_t type = 0;  // 1 CNAME, 2 NAME, ... (§6.5)
  std::string_view value;
};
class SdesReader {
 public:
  explicit SdesReader(const RtcpPacketView& p) : body_(p.body), chunks_left_(p.count) {}
  bool next(SdesItem& out);
  bool malformed() const { return malformed_; }

 private:
  ByteView body_;
  std::size_t pos_ = 0;
  std::uint8_t chunks_left_;
  bool in_chunk_ = false;
  std::uint32_t ssrc_ = 0;
  bool malformed_ = false;
};

// RTPFB / PSFB (RFC 4585 §6.1): FMT in `count`, then sender and media SSRC.
struct FeedbackView {
  std::uint8_t format = 0;
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  ByteView fci;
};
std::optional<FeedbackView> parse_feedback(const RtcpPacketView& p);

struct AppView {
  std::uint8_t subtype = 0;
  std::uint32_t ssrc = 0;
  std::string_view name;  // 4 ASCII characters
  ByteView data;
};
std::optional<AppView> parse_app(const RtcpPacketView& p);

struct RtcpCounters {
  std::uint64_t compounds = 0;
  std::uint64_t malformed[kRtcpParseErrorCount] = {};
  std::uint64_t sender_reports = 0, receiver_reports = 0, sdes = 0, byes = 0, apps = 0,
                rtpfb = 0, psfb = 0, xr = 0, other = 0;
};

// What the bridge takes from one received compound on a leg.
struct RtcpSummary {
  std::optional<std::uint32_t> sender_ssrc;     // of the SR/RR
  std::optional<SenderInfo> sender_info;        // SR: feeds ReceiveStats::on_sender_report
  std::optional<ReportBlock> about_us;          // block whose ssrc == our SSRC on this leg
  bool bye = false;
  std::uint32_t feedback = 0;                   // RTPFB/PSFB packets (not relayed)
};
// Walks `compound`, counting each packet by type and a malformed one by
// reason; returns nullopt when the first packet is already malformed.
std::optional<RtcpSummary> summarize_rtcp(ByteView compound, std::uint32_t our_ssrc,
                                          RtcpCounters& counters);

// Our compound report (RFC 3550 §6.1): SR when `sender` is set (we sent RTP
// since the last report), else RR; up to 31 report blocks; SDES with one
// chunk holding CNAME; BYE with our SSRC when `bye`.
struct RtcpReportParams {
  std::uint32_t ssrc = 0;
  std::optional<SenderInfo> sender;
  std::span<const ReportBlock> blocks;
  std::string_view cname;  // truncated to 255 bytes
  bool bye = false;
  std::string_view bye_reason;  // truncated to 255 bytes
};
// Returns the bytes written, 0 when `out` is too small (nothing usable).
std::size_t write_rtcp_report(std::span<std::uint8_t> out, const RtcpReportParams& params);
// The size write_rtcp_report needs.
std::size_t rtcp_report_size(const RtcpReportParams& params);

// Round-trip time from a report block about our stream (RFC 3550 §6.4.1):
// A - LSR - DLSR with A the block's arrival in the same 16.16 NTP units as
// our SR's timestamps. nullopt when the peer had no SR from us (LSR = 0) or
// the result is negative (clock trouble, a stale block).
std::optional<Duration> round_trip_time(std::uint32_t arrival_ntp_short, const ReportBlock& b);

}  // namespace floe::media
