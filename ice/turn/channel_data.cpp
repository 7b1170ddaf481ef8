#include "ice/turn/channel_data.hpp"

#include <algorithm>
#include <cstring>

#include "ice/stun/message.hpp"

namespace floe::turn {
namespace {
constexpr std::size_t kMaxFrame = kChannelHeaderSize + 0xFFFF + 3;
std::size_t padded(std::size_t n) { return (n + 3) & ~std::size_t{3}; }
}  // namespace

std::optional<ChannelData> parse_channel_data(ByteView d, ChannelDataError* error) {
  ChannelDataError dummy;
  ChannelDataError& err = error ? *error : dummy;
  err = ChannelDataError::None;
  if (d.size() < kChannelHeaderSize) return err = ChannelDataError::TooShort, std::nullopt;
  if (!looks_like_channel_data(d)) return err = ChannelDataError::NotChannelData, std::nullopt;
  const std::uint16_t channel = load_be16(d.data());
  const std::size_t length = load_be16(d.data() + 2);
  if (kChannelHeaderSize + length > d.size()) return err = ChannelDataError::Truncated, std::nullopt;
  return ChannelData{channel, d.subspan(kChannelHeaderSize, length)};
}

void write_channel_data(Bytes& out, std::uint16_t channel, ByteView data, bool pad) {
  const std::size_t total = kChannelHeaderSize + (pad ? padded(data.size()) : data.size());
  out.resize(total);
  store_be16(out.data(), channel);
  store_be16(out.data() + 2, static_cast<std::uint16_t>(data.size()));
  if (!data.empty()) std::memcpy(out.data() + kChannelHeaderSize, data.data(), data.size());
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(kChannelHeaderSize + data.size()), out.end(),
            std::uint8_t{0});
}

Frame next_stream_frame(ByteView b) {
  if (b.empty()) return {FrameKind::Incomplete, 0};
  const std::uint8_t top = b[0] & 0xC0;
  if (top == 0x00) {
    if (b.size() < stun::kHeaderSize) return {FrameKind::Incomplete, 0};
    const std::size_t n = stun::Message::message_size(b);
    if (n == 0 || (n - stun::kHeaderSize) % 4 != 0) return {FrameKind::Invalid, 0};
    return {n <= b.size() ? FrameKind::Stun : FrameKind::Incomplete, n};
  }
  if (top == 0x40) {
    if (b.size() < kChannelHeaderSize) return {FrameKind::Incomplete, 0};
    const std::size_t n = kChannelHeaderSize + padded(load_be16(b.data() + 2));
    return {n <= b.size() ? FrameKind::ChannelData : FrameKind::Incomplete, n};
  }
  return {FrameKind::Invalid, 0};
}

bool StreamFramer::append(ByteView bytes) {
  if (start_ > 0 && start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  }
  if (buffered() + bytes.size() > 2 * kMaxFrame) return false;
  // Compact before growing so the buffer stays bounded.
  if (start_ > 0 && buf_.size() + bytes.size() > buf_.capacity()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  return true;
}

ByteView StreamFramer::front(FrameKind* kind, bool* invalid) {
  *invalid = false;
  front_size_ = 0;
  ByteView rest = ByteView(buf_).subspan(start_);
  const Frame f = next_stream_frame(rest);
  *kind = f.kind;
  if (f.kind == FrameKind::Invalid) {
    *invalid = true;
    return {};
  }
  if (f.kind == FrameKind::Incomplete) return {};
  front_size_ = f.size;
  return rest.first(f.size);
}

void StreamFramer::pop() {
  start_ += front_size_;
  front_size_ = 0;
}

}  // namespace floe::turn
