#pragma once
// ChannelData messages (RFC 8656 §12.4) and the framing TURN needs on stream
// transports, where STUN messages and ChannelData share one byte stream
// (§12.5: over TCP/TLS each ChannelData message is padded to 4 bytes).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"

namespace floe::turn {

// §12: channel numbers a client may bind. RFC 5766 allowed up to 0x7FFF and
// some clients still pick numbers there (coturn's uclient does, at random);
// such frames share the ChannelData first-bits pattern (01), so the framing
// accepts them and the binding rules decide (Limits::allow_rfc5766_channels).
inline constexpr std::uint16_t kChannelMin = 0x4000;
inline constexpr std::uint16_t kChannelMax = 0x4FFF;
inline constexpr std::uint16_t kChannelMaxRfc5766 = 0x7FFF;
inline constexpr std::size_t kChannelHeaderSize = 4;

inline bool valid_channel(std::uint16_t c, bool rfc5766 = false) {
  return c >= kChannelMin && c <= (rfc5766 ? kChannelMaxRfc5766 : kChannelMax);
}
// RFC 7983 / §12.4: the first two bits 0b01 mark ChannelData.
inline bool looks_like_channel_data(ByteView d) { return d.size() >= 1 && (d[0] & 0xC0) == 0x40; }

struct ChannelData {
  std::uint16_t channel;
  ByteView data;  // views into the input
};

enum class ChannelDataError : std::uint8_t {
  None,
  TooShort,        // under the 4-byte header
  NotChannelData,  // first bits not 01
  Truncated,       // length field beyond the datagram
};

// Parses one ChannelData message at the front of `d`. Over UDP the datagram
// may carry padding or not (§12.5: receivers must not require it); bytes
// after the message are ignored.
std::optional<ChannelData> parse_channel_data(ByteView d, ChannelDataError* error = nullptr);

// Writes header + data into `out` (cleared first); pads to 4 bytes when `pad`
// (stream transports). Reuses out's capacity.
void write_channel_data(Bytes& out, std::uint16_t channel, ByteView data, bool pad);

enum class FrameKind : std::uint8_t { Incomplete, Stun, ChannelData, Invalid };
struct Frame {
  FrameKind kind;
  std::size_t size;  // bytes the frame occupies in the stream, padding included
};

// Classifies the frame at the front of a stream buffer. Invalid means the
// stream cannot be resynchronised and the connection should be closed.
Frame next_stream_frame(ByteView buffer);

// Accumulates stream bytes and yields whole frames. The buffer is bounded:
// a frame can never exceed 4 + 65535 + 3 bytes, so neither can the buffer.
class StreamFramer {
 public:
  // Appends received bytes; false when the buffer would overflow.
  bool append(ByteView bytes);
  // The next complete frame (valid until the next append/pop), or empty.
  // Sets *invalid when the stream is garbage.
  ByteView front(FrameKind* kind, bool* invalid);
  void pop();
  std::size_t buffered() const { return buf_.size() - start_; }

 private:
  Bytes buf_;
  std::size_t start_ = 0;
  std::size_t front_size_ = 0;
};

}  // namespace floe::turn
