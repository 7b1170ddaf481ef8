#pragma once
// Data Channel Establishment Protocol (RFC 8832) messages and the WebRTC
// payload protocol identifiers of RFC 8831 §8.
#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.hpp"

namespace floe::sctp {

// RFC 8831 §8 (PPIDs registered for WebRTC).
enum Ppid : std::uint32_t {
  kPpidDcep = 50,
  kPpidString = 51,
  kPpidBinaryPartial = 52,  // deprecated
  kPpidBinary = 53,
  kPpidStringPartial = 54,  // deprecated
  kPpidStringEmpty = 56,
  kPpidBinaryEmpty = 57,
};

// RFC 8832 §5.1 Channel Type: high bit = unordered, low bits = reliability.
enum class ChannelType : std::uint8_t {
  Reliable = 0x00,
  ReliableUnordered = 0x80,
  PartialReliableRexmit = 0x01,
  PartialReliableRexmitUnordered = 0x81,
  PartialReliableTimed = 0x02,
  PartialReliableTimedUnordered = 0x82,
};

inline bool is_unordered(ChannelType t) { return (static_cast<std::uint8_t>(t) & 0x80) != 0; }

struct DataChannelOpen {
  ChannelType channel_type = ChannelType::Reliable;
  std::uint16_t priority = 256;         // RFC 8832 §5.1; 256 = "normal" in W3C terms
  std::uint32_t reliability_parameter = 0;  // retransmissions or lifetime in ms
  std::string label;
  std::string protocol;
};

inline constexpr std::uint8_t kDcepAck = 0x02;
inline constexpr std::uint8_t kDcepOpen = 0x03;

Bytes encode_open(const DataChannelOpen& open);
inline Bytes encode_ack() { return Bytes{kDcepAck}; }
// nullopt when the bytes are not a well-formed DATA_CHANNEL_OPEN.
std::optional<DataChannelOpen> parse_open(ByteView message);
inline bool is_ack(ByteView message) { return message.size() == 1 && message[0] == kDcepAck; }

}  // namespace floe::sctp
