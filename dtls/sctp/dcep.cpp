#include "dtls/sctp/dcep.hpp"

#include <algorithm>

namespace floe::sctp {

Bytes encode_open(const DataChannelOpen& open) {
  // RFC 8832 §5.1 layout: type, channel type, priority, reliability,
  // label length, protocol length, label, protocol.
  Bytes out(12 + open.label.size() + open.protocol.size());
  out[0] = kDcepOpen;
  out[1] = static_cast<std::uint8_t>(open.channel_type);
  store_be16(&out[2], open.priority);
  store_be32(&out[4], open.reliability_parameter);
  store_be16(&out[8], static_cast<std::uint16_t>(open.label.size()));
  store_be16(&out[10], static_cast<std::uint16_t>(open.protocol.size()));
  std::copy(open.label.begin(), open.label.end(), out.begin() + 12);
  std::copy(open.protocol.begin(), open.protocol.end(),
            out.begin() + 12 + static_cast<std::ptrdiff_t>(open.label.size()));
  return out;
}

std::optional<DataChannelOpen> parse_open(ByteView message) {
  ByteReader r(message);
  if (r.u8() != kDcepOpen) return std::nullopt;
  DataChannelOpen o;
  std::uint8_t type = r.u8();
  switch (type) {
    case 0x00: case 0x80: case 0x01: case 0x81: case 0x02: case 0x82:
      o.channel_type = static_cast<ChannelType>(type);
      break;
    default:
      return std::nullopt;
  }
  o.priority = r.u16();
  o.reliability_parameter = r.u32();
  std::uint16_t label_len = r.u16();
  std::uint16_t protocol_len = r.u16();
  ByteView label = r.take(label_len);
  ByteView protocol = r.take(protocol_len);
  if (!r.ok()) return std::nullopt;
  o.label.assign(as_chars(label));
  o.protocol.assign(as_chars(protocol));
  return o;
}

}  // namespace floe::sctp
