#include "gateway/media/telephone_event.hpp"

#include <algorithm>

#include "gateway/media/media_clock.hpp"

namespace floe::media {
namespace {

constexpr std::uint8_t kPause = 0xff;
constexpr Duration kPauseDuration = milliseconds(500);
constexpr Duration kMinDuration = milliseconds(40);
constexpr Duration kMaxDuration = seconds(5);
constexpr int kEndPackets = 3;  // RFC 4733 §2.5.1.4

}  // namespace

std::optional<TelephoneEvent> parse_telephone_event(ByteView payload) {
  if (payload.size() < kTelephoneEventSize) return std::nullopt;
  TelephoneEvent e;
  e.event = payload[0];
  e.end = (payload[1] & 0x80) != 0;
  e.volume = payload[1] & 0x3f;  // R bit (0x40) ignored on receipt (§2.3)
  e.duration = load_be16(&payload[2]);
  return e;
}

bool write_telephone_event(std::span<std::uint8_t> out, const TelephoneEvent& e) {
  if (out.size() < kTelephoneEventSize) return false;
  out[0] = e.event;
  out[1] = static_cast<std::uint8_t>((e.end ? 0x80 : 0) | (e.volume & 0x3f));
  store_be16(&out[2], e.duration);
  return true;
}

std::optional<std::uint8_t> dtmf_event_for(char c) {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  if (c == '*') return 10;
  if (c == '#') return 11;
  if (c >= 'A' && c <= 'D') return static_cast<std::uint8_t>(12 + (c - 'A'));
  if (c >= 'a' && c <= 'd') return static_cast<std::uint8_t>(12 + (c - 'a'));
  return std::nullopt;
}

char dtmf_digit_for(std::uint8_t event) {
  static constexpr char kDigits[] = "0123456789*#ABCD";
  return event < 16 ? kDigits[event] : '\0';
}

DtmfSender::DtmfSender(DtmfSenderConfig config) : config_(config) {
  if (config_.clock_rate == 0) config_.clock_rate = 8000;
  if (config_.packet_interval <= Duration::zero()) config_.packet_interval = milliseconds(20);
}

bool DtmfSender::queue(std::string_view digits, Duration duration) {
  if (count_ + digits.size() > kMaxQueued) return false;
  for (char c : digits)
    if (c != ',' && !dtmf_event_for(c)) return false;
  if (duration <= Duration::zero()) duration = config_.default_duration;
  // The 16-bit duration field must hold the whole event (no §2.5.1.3
  // segments): at 48 kHz that is 1.36 s.
  const Duration field_limit = from_ticks(0xffff, config_.clock_rate);
  duration = std::clamp(duration, kMinDuration, std::min(kMaxDuration, field_limit));
  for (char c : digits) {
    Queued q = c == ',' ? Queued{kPause, kPauseDuration} : Queued{*dtmf_event_for(c), duration};
    queue_[(head_ + count_) % kMaxQueued] = q;
    ++count_;
  }
  return true;
}

void DtmfSender::clear() {
  count_ = 0;
  state_ = State::Idle;
}

bool DtmfSender::start_next(Instant now) {
  const Queued q = queue_[head_];
  head_ = (head_ + 1) % kMaxQueued;
  --count_;
  if (q.event == kPause) {
    state_ = State::Gap;
    next_ = now + q.duration;
    return false;
  }
  event_ = q.event;
  start_ = now;
  next_ = now;
  const auto interval = config_.packet_interval;
  packets_ = static_cast<std::uint32_t>((q.duration + interval - Duration(1)) / interval);
  packets_ = std::max<std::uint32_t>(packets_, 1);
  total_ticks_ = static_cast<std::uint32_t>(
      std::min<std::int64_t>(0xffff, to_ticks(interval * packets_, config_.clock_rate)));
  sent_updates_ = 0;
  ends_sent_ = 0;
  state_ = packets_ > 1 ? State::Updates : State::Ends;
  return true;
}

std::optional<DtmfPacket> DtmfSender::poll(Instant now) {
  for (;;) {
    switch (state_) {
      case State::Idle:
        if (count_ == 0) return std::nullopt;
        start_next(now);
        continue;
      case State::Gap:
        if (now < next_) return std::nullopt;
        state_ = State::Idle;
        continue;
      case State::Updates:
      case State::Ends:
        break;
    }
    if (now < next_) return std::nullopt;
    DtmfPacket p;
    p.event.event = event_;
    p.event.volume = config_.volume;
    p.event_start = start_;
    const auto interval = config_.packet_interval;
    if (state_ == State::Updates) {
      // §2.5.1.3: the duration grows by one interval per update; the first
      // packet of the event carries the marker.
      ++sent_updates_;
      p.marker = sent_updates_ == 1;
      p.event.duration = static_cast<std::uint16_t>(
          std::min<std::int64_t>(0xffff, to_ticks(interval * sent_updates_, config_.clock_rate)));
      if (sent_updates_ + 1 >= packets_) state_ = State::Ends;
      next_ += interval;
    } else {
      // §2.5.1.4: the final packet, three times, same duration.
      p.marker = sent_updates_ == 0 && ends_sent_ == 0;
      p.event.end = true;
      p.event.duration = static_cast<std::uint16_t>(total_ticks_);
      ++ends_sent_;
      next_ += interval;
      if (ends_sent_ == kEndPackets) {
        state_ = State::Gap;
        next_ = std::max(start_ + interval * packets_ + config_.gap, next_);
      }
    }
    write_telephone_event(p.payload, p.event);
    return p;
  }
}

Instant DtmfSender::next_timeout() const {
  switch (state_) {
    case State::Idle: return count_ ? Instant::min() : kNever;
    case State::Gap:
      // After the last digit the gap needs no timer.
      return count_ ? next_ : kNever;
    default: return next_;
  }
}

std::optional<DtmfDigit> DtmfReceiver::on_packet(std::uint32_t ssrc, std::uint32_t rtp_timestamp,
                                                 ByteView payload) {
  ++counters_.packets;
  const auto e = parse_telephone_event(payload);
  if (!e) {
    ++counters_.malformed;
    return std::nullopt;
  }
  if (e->event > 15) {
    ++counters_.not_dtmf;
    return std::nullopt;
  }
  for (const auto& s : seen_) {
    if (s.valid && s.ssrc == ssrc && s.timestamp == rtp_timestamp) {
      ++counters_.retransmissions;
      if (ssrc == last_ssrc_ && rtp_timestamp == last_ts_ && !last_ended_) {
        last_duration_ = std::max(last_duration_, e->duration);
        last_ended_ = e->end;
      }
      return std::nullopt;
    }
  }
  seen_[next_slot_] = Seen{ssrc, rtp_timestamp, true};
  next_slot_ = (next_slot_ + 1) % kHistory;
  last_ssrc_ = ssrc;
  last_ts_ = rtp_timestamp;
  last_ended_ = e->end;
  last_duration_ = e->duration;
  ++counters_.digits;
  return DtmfDigit{dtmf_digit_for(e->event), e->event, rtp_timestamp};
}

std::optional<std::uint16_t> DtmfReceiver::last_duration() const {
  if (!last_ended_) return std::nullopt;
  return last_duration_;
}

}  // namespace floe::media
