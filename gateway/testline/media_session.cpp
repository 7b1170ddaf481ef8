#include "gateway/testline/media_session.hpp"

#include <algorithm>
#include <cstring>

namespace floe::testline {

namespace {

constexpr std::uint8_t kRtcpSr = 200, kRtcpRr = 201, kRtcpSdes = 202, kRtcpBye = 203,
                       kRtcpApp = 204;
constexpr std::uint8_t kSdesCname = 1;

std::uint64_t nanos(Duration d) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

}  // namespace

MediaSession::MediaSession(LineMode mode, Instant start, std::uint64_t ntp_at_start,
                           std::uint32_t ssrc, std::uint16_t first_sequence,
                           std::uint32_t first_timestamp, std::string cname)
    : mode_(mode),
      start_(start),
      ntp_start_(ntp_at_start),
      ssrc_(ssrc),
      seq_(first_sequence),
      ts0_(first_timestamp),
      cname_(std::move(cname)),
      tone_(1000.0, kTonePeak) {
  if (cname_.size() > 255) cname_.resize(255);  // SDES item length is one octet
}

bool MediaSession::sending() const {
  return configured_ && !stopped_ && sdp::sends(agreement_.local_direction) &&
         !agreement_.remote_rtp.ip().is_unspecified() && agreement_.remote_rtp.port() != 0;
}

std::uint64_t MediaSession::tick_at(Instant now) const {
  if (now <= start_) return 0;
  return static_cast<std::uint64_t>((now - start_) / kPacketTime);
}

void MediaSession::configure(Instant now, const AudioAgreement& agreement) {
  if (stopped_) return;
  const bool was_sending = sending();
  agreement_ = agreement;
  configured_ = true;
  if (!was_sending && sending()) {
    // Resume (or start): continue from the current tick so the timestamp
    // line keeps counting real time across the hold, and mark the packet
    // as the start of a talkspurt.
    next_tick_ = std::max(next_tick_, tick_at(now));
    marker_ = true;
  }
  if (next_report_ == kNever) {
    next_report_ = now + kReportInterval / 2;
    last_heard_ = now;
  }
}

Datagram* MediaSession::push(bool rtcp, const SocketAddress& to) {
  if (count_ == ring_.size()) {
    ++counters_.dropped_queue_full;
    return nullptr;
  }
  Datagram& d = ring_[(head_ + count_) % ring_.size()];
  ++count_;
  d.rtcp = rtcp;
  d.to = to;
  d.size = 0;
  return &d;
}

const Datagram* MediaSession::poll_output() {
  if (count_ == 0) return nullptr;
  const Datagram* d = &ring_[head_];
  head_ = (head_ + 1) % ring_.size();
  --count_;
  return d;
}

void MediaSession::handle_rtp(Instant now, const SocketAddress& from, ByteView packet) {
  if (stopped_) return;
  if (packet.size() < 12 || (packet[0] >> 6) != 2) {
    ++counters_.dropped_malformed;
    return;
  }
  ++counters_.rtp_in;
  last_heard_ = now;
  if (configured_ && agreement_.telephone_event &&
      (packet[1] & 0x7f) == *agreement_.telephone_event)
    on_telephone_event(packet);
  if (mode_ != LineMode::Echo || !configured_) return;
  if (!sdp::receives(agreement_.local_direction)) {
    ++counters_.dropped_direction;
    return;
  }
  if (!sdp::sends(agreement_.local_direction)) return;  // we listen only (held by us)
  if (packet.size() > Datagram::kCapacity) {
    ++counters_.dropped_too_large;
    return;
  }
  Datagram* d = push(false, from);
  if (!d) return;
  std::memcpy(d->data.data(), packet.data(), packet.size());
  d->size = packet.size();
  ++counters_.rtp_echoed;
}

// RFC 4733 §2.3: event (8 bits), E|R|volume (8), duration (16). An event's
// end packet is sent three times (§2.5.1.4) with the same timestamp, so one
// event is one (timestamp, code) pair.
void MediaSession::on_telephone_event(ByteView packet) {
  std::size_t header = 12 + 4u * (packet[0] & 0x0f);
  if ((packet[0] & 0x10) != 0) {  // header extension (RFC 3550 §5.3.1)
    if (packet.size() < header + 4) return;
    header += 4 + 4u * load_be16(&packet[header + 2]);
  }
  if (packet.size() < header + 4) {
    ++counters_.dropped_malformed;
    return;
  }
  const std::uint8_t* ev = &packet[header];
  if ((ev[1] & 0x80) == 0) return;  // not the end yet
  const std::uint32_t ts = load_be32(&packet[4]);
  if (have_last_event_ && ts == last_event_ts_ && ev[0] == last_event_code_) return;
  have_last_event_ = true;
  last_event_ts_ = ts;
  last_event_code_ = ev[0];
  ++counters_.dtmf_events;
  if (dtmf_count_ == dtmf_.size()) return;
  static constexpr char kDigits[] = "0123456789*#ABCD!";
  DtmfEvent& e = dtmf_[dtmf_count_++];
  e.digit = ev[0] <= 16 ? kDigits[ev[0]] : '?';
  e.duration = load_be16(ev + 2);
  e.timestamp = ts;
}

void MediaSession::handle_rtcp(Instant now, const SocketAddress&, ByteView packet) {
  // RFC 3550 §6.4: reports about our stream are read only as far as telling
  // them from garbage; the test line has no use for their figures.
  if (packet.size() < 8 || (packet[0] >> 6) != 2 || packet[1] < kRtcpSr || packet[1] > kRtcpApp) {
    ++counters_.dropped_malformed;
    return;
  }
  ++counters_.rtcp_in;
  last_heard_ = now;
}

void MediaSession::send_tone(std::uint64_t tick) {
  Datagram* d = push(false, agreement_.remote_rtp);
  if (!d) return;
  std::uint8_t* p = d->data.data();
  const auto ts = static_cast<std::uint32_t>(ts0_ + tick * kSamplesPerPacket);
  p[0] = 0x80;  // V=2, no padding, extension or CSRC
  p[1] = static_cast<std::uint8_t>((marker_ ? 0x80 : 0) | (agreement_.payload_type & 0x7f));
  store_be16(p + 2, seq_);
  store_be32(p + 4, ts);
  store_be32(p + 8, ssrc_);
  tone_.fill(agreement_.law, tick * kSamplesPerPacket,
             std::span<std::uint8_t>(p + 12, kSamplesPerPacket));
  d->size = 12 + kSamplesPerPacket;
  ++seq_;
  marker_ = false;
  ++packets_sent_;
  octets_sent_ += kSamplesPerPacket;
  ++counters_.tone_packets;
}

void MediaSession::send_report(Instant now, bool bye) {
  const SocketAddress& to = agreement_.remote_rtcp;
  if (to.ip().is_unspecified() || to.port() == 0) return;
  Datagram* d = push(true, to);
  if (!d) return;
  std::uint8_t* p = d->data.data();
  std::size_t n = 0;
  const std::uint64_t since = now > start_ ? nanos(now - start_) : 0;
  if (mode_ == LineMode::Tone && packets_sent_ > 0) {
    // RFC 3550 §6.4.1: SR with no report blocks (we keep no reception stats).
    const std::uint64_t ntp = ntp_start_ + ((since / 1'000'000'000ull) << 32) +
                              (((since % 1'000'000'000ull) << 32) / 1'000'000'000ull);
    const auto rtp_ts = static_cast<std::uint32_t>(ts0_ + since * 8 / 1'000'000ull);
    p[0] = 0x80;
    p[1] = kRtcpSr;
    store_be16(p + 2, 6);
    store_be32(p + 4, ssrc_);
    store_be32(p + 8, static_cast<std::uint32_t>(ntp >> 32));
    store_be32(p + 12, static_cast<std::uint32_t>(ntp));
    store_be32(p + 16, rtp_ts);
    store_be32(p + 20, packets_sent_);
    store_be32(p + 24, octets_sent_);
    n = 28;
  } else {
    // RFC 3550 §6.4.2: an empty RR when we send nothing of our own.
    p[0] = 0x80;
    p[1] = kRtcpRr;
    store_be16(p + 2, 1);
    store_be32(p + 4, ssrc_);
    n = 8;
  }
  // §6.5: every compound packet carries SDES CNAME.
  const std::size_t start = n;
  p[n] = 0x81;
  p[n + 1] = kRtcpSdes;
  store_be32(p + n + 4, ssrc_);
  n += 8;
  p[n++] = kSdesCname;
  p[n++] = static_cast<std::uint8_t>(cname_.size());
  std::memcpy(p + n, cname_.data(), cname_.size());
  n += cname_.size();
  // The item list ends with a null octet, then pads to a 32-bit boundary.
  do p[n++] = 0;
  while (n % 4 != 0);
  store_be16(p + start + 2, static_cast<std::uint16_t>((n - start) / 4 - 1));
  if (bye) {
    p[n] = 0x81;
    p[n + 1] = kRtcpBye;
    store_be16(p + n + 2, 1);
    store_be32(p + n + 4, ssrc_);
    n += 8;
  }
  d->size = n;
  ++counters_.rtcp_out;
}

void MediaSession::handle_timeout(Instant now) {
  if (stopped_ || !configured_) return;
  if (mode_ == LineMode::Tone && sending()) {
    const std::uint64_t due = tick_at(now);
    if (due >= next_tick_ + 5) {
      // The timer ran late (a busy machine): do not burst the backlog at
      // the peer; skip to now and let the timestamp show the gap.
      next_tick_ = due;
      marker_ = true;
      ++counters_.late_resyncs;
    }
    while (next_tick_ <= due && count_ < ring_.size()) send_tone(next_tick_++);
  }
  if (now >= next_report_) {
    send_report(now, false);
    next_report_ = now + kReportInterval;
  }
  if (media_timeout_ > Duration::zero() && now >= last_heard_ + media_timeout_) timed_out_ = true;
}

Instant MediaSession::next_timeout() const {
  if (stopped_ || !configured_) return kNever;
  Instant t = next_report_;
  if (media_timeout_ > Duration::zero() && !timed_out_) t = std::min(t, last_heard_ + media_timeout_);
  if (mode_ == LineMode::Tone && sending())
    t = std::min(t, start_ + static_cast<std::int64_t>(next_tick_) * kPacketTime);
  return t;
}

void MediaSession::stop(Instant now) {
  if (stopped_) return;
  if (configured_) send_report(now, true);
  stopped_ = true;
}

}  // namespace floe::testline
