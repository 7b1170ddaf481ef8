#include "dtls/sctp/dcep.hpp"

namespace floe::sctp {

Bytes encode_open(const DataChannelOpen& open) {
  // RFC 8832 §5.1 layout: type, channel type, priority, reliability,
  // label length, protocol length, label, protocol.
  Bytes out;
  ByteWriter w(out);
  w.u8(kDcepOpen);
  w.u8(static_cast<std::uint8_t>(open.channel_type));
  w.u16(open.priority);
  w.u32(open.reliability_parameter);
  w.u16(static_cast<std::uint16_t>(open.label.size()));
  w.u16(static_cast<std::uint16_t>(open.protocol.size()));
  w.bytes(as_bytes(open.label));
  w.bytes(as_bytes(open.protocol));
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
