#pragma once
// STUN message codec, RFC 8489 §5-§14, with the RFC 5780 and RFC 8445
// attributes. Parsing reads untrusted bytes with explicit bounds and never
// allocates: a Message views into the caller's buffer, which must outlive it.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/address.hpp"
#include "base/bytes.hpp"

namespace floe::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kHeaderSize = 20;
// Attributes beyond this many make a message malformed; no legitimate
// STUN/TURN/ICE message comes near it.
inline constexpr std::size_t kMaxAttributes = 40;

enum class Class : std::uint8_t { Request = 0, Indication = 1, Success = 2, Error = 3 };

namespace method {
inline constexpr std::uint16_t Binding = 0x001;
inline constexpr std::uint16_t Allocate = 0x003;           // RFC 8656
inline constexpr std::uint16_t Refresh = 0x004;
inline constexpr std::uint16_t Send = 0x006;
inline constexpr std::uint16_t Data = 0x007;
inline constexpr std::uint16_t CreatePermission = 0x008;
inline constexpr std::uint16_t ChannelBind = 0x009;
}  // namespace method

namespace attr {
// RFC 8489 §18.3 comprehension-required range 0x0000-0x7FFF.
inline constexpr std::uint16_t MappedAddress = 0x0001;
inline constexpr std::uint16_t ResponseAddress = 0x0002;  // RFC 5780 reserved
inline constexpr std::uint16_t ChangeRequest = 0x0003;    // RFC 5780
inline constexpr std::uint16_t Username = 0x0006;
inline constexpr std::uint16_t MessageIntegrity = 0x0008;
inline constexpr std::uint16_t ErrorCode = 0x0009;
inline constexpr std::uint16_t UnknownAttributes = 0x000A;
inline constexpr std::uint16_t ChannelNumber = 0x000C;     // RFC 8656
inline constexpr std::uint16_t Lifetime = 0x000D;
inline constexpr std::uint16_t XorPeerAddress = 0x0012;
inline constexpr std::uint16_t Data = 0x0013;
inline constexpr std::uint16_t Realm = 0x0014;
inline constexpr std::uint16_t Nonce = 0x0015;
inline constexpr std::uint16_t XorRelayedAddress = 0x0016;
inline constexpr std::uint16_t RequestedAddressFamily = 0x0017;
inline constexpr std::uint16_t EvenPort = 0x0018;
inline constexpr std::uint16_t RequestedTransport = 0x0019;
inline constexpr std::uint16_t DontFragment = 0x001A;
inline constexpr std::uint16_t MessageIntegritySha256 = 0x001C;
inline constexpr std::uint16_t PasswordAlgorithm = 0x001D;
inline constexpr std::uint16_t Userhash = 0x001E;
inline constexpr std::uint16_t XorMappedAddress = 0x0020;
inline constexpr std::uint16_t ReservationToken = 0x0022;
inline constexpr std::uint16_t Priority = 0x0024;          // RFC 8445
inline constexpr std::uint16_t UseCandidate = 0x0025;
inline constexpr std::uint16_t Padding = 0x0026;           // RFC 5780
inline constexpr std::uint16_t ResponsePort = 0x0027;      // RFC 5780
// Comprehension-optional range 0x8000-0xFFFF.
inline constexpr std::uint16_t AdditionalAddressFamily = 0x8000;
inline constexpr std::uint16_t AddressErrorCode = 0x8001;
inline constexpr std::uint16_t PasswordAlgorithms = 0x8002;
inline constexpr std::uint16_t AlternateDomain = 0x8003;
inline constexpr std::uint16_t Icmp = 0x8004;
inline constexpr std::uint16_t Software = 0x8022;
inline constexpr std::uint16_t AlternateServer = 0x8023;
inline constexpr std::uint16_t Fingerprint = 0x8028;
inline constexpr std::uint16_t IceControlled = 0x8029;     // RFC 8445
inline constexpr std::uint16_t IceControlling = 0x802A;
inline constexpr std::uint16_t ResponseOrigin = 0x802B;    // RFC 5780
inline constexpr std::uint16_t OtherAddress = 0x802C;

inline constexpr bool comprehension_required(std::uint16_t type) { return type < 0x8000; }
// Attributes this codec understands; others in the required range are "unknown" (§14).
bool is_known(std::uint16_t type);
}  // namespace attr

// RFC 5780 §7.2 CHANGE-REQUEST flags.
inline constexpr std::uint32_t kChangeIp = 0x4;
inline constexpr std::uint32_t kChangePort = 0x2;

using TransactionId = std::array<std::uint8_t, 12>;
TransactionId random_transaction_id();

enum class ParseError : std::uint8_t {
  None,
  TooShort,            // under 20 bytes
  NotStun,             // top two bits set (RFC 7983 demux would not route it here)
  BadMagicCookie,
  BadLength,           // length field not a multiple of 4 or beyond the datagram
  TruncatedAttribute,  // an attribute runs past the message end
  TooManyAttributes,
  AfterFingerprint,    // RFC 8489 §14.7: FINGERPRINT must be last
};
const char* to_string(ParseError e);

struct Attribute {
  std::uint16_t type;
  std::uint16_t offset;  // of the 4-byte attribute header, from message start
  ByteView value;
};

struct ErrorCodeValue {
  int code;                 // 300..699
  std::string_view reason;  // UTF-8, as sent
};

enum class IntegrityResult : std::uint8_t { Ok, Missing, Mismatch };

class Message {
 public:
  // Parses one STUN message occupying exactly `data` (UDP datagram) or its
  // prefix (stream transports: use message_size() first).
  static std::optional<Message> parse(ByteView data, ParseError* error = nullptr);
  // For stream framing: total size of the STUN message at the front of `data`,
  // or 0 if the header is not complete yet or is not STUN.
  static std::size_t message_size(ByteView data);
  // Cheap RFC 7983 test plus magic cookie; does not validate attributes.
  static bool looks_like_stun(ByteView data);

  Class cls() const { return cls_; }
  std::uint16_t method() const { return method_; }
  const TransactionId& transaction_id() const { return tid_; }
  ByteView raw() const { return raw_; }
  std::span<const Attribute> attributes() const { return {attrs_.data(), count_}; }

  const Attribute* find(std::uint16_t type) const;
  bool has(std::uint16_t type) const { return find(type) != nullptr; }
  // First comprehension-required attribute types this codec does not know.
  std::size_t unknown_required(std::span<std::uint16_t> out) const;

  std::optional<SocketAddress> xor_address(std::uint16_t type) const;
  std::optional<SocketAddress> address(std::uint16_t type) const;  // MAPPED-ADDRESS style
  std::optional<SocketAddress> mapped_address() const;  // XOR-MAPPED, else MAPPED
  std::optional<std::string_view> string(std::uint16_t type) const;
  std::optional<std::uint32_t> u32(std::uint16_t type) const;
  std::optional<std::uint64_t> u64(std::uint16_t type) const;
  std::optional<ErrorCodeValue> error_code() const;
  // UNKNOWN-ATTRIBUTES list; returns count written.
  std::size_t unknown_attributes(std::span<std::uint16_t> out) const;

  // MESSAGE-INTEGRITY (HMAC-SHA1, §14.5) and MESSAGE-INTEGRITY-SHA256 (§14.6).
  // The key is the short-term password or the long-term key (credentials.hpp).
  IntegrityResult check_integrity(ByteView key) const;
  IntegrityResult check_integrity_sha256(ByteView key) const;
  // FINGERPRINT (§14.7): Missing when absent.
  IntegrityResult check_fingerprint() const;

 private:
  Class cls_ = Class::Request;
  std::uint16_t method_ = 0;
  TransactionId tid_{};
  ByteView raw_;
  std::array<Attribute, kMaxAttributes> attrs_{};
  std::size_t count_ = 0;
};

// Writes a message into a caller-owned buffer; reusing the buffer avoids
// allocation on hot paths. Integrity and fingerprint must be added last, in
// the order MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256, FINGERPRINT.
class MessageBuilder {
 public:
  MessageBuilder(Bytes& out, Class cls, std::uint16_t method, const TransactionId& tid);

  void add(std::uint16_t type, ByteView value);
  void add_empty(std::uint16_t type) { add(type, {}); }
  void add_string(std::uint16_t type, std::string_view s) { add(type, as_bytes(s)); }
  void add_u32(std::uint16_t type, std::uint32_t v);
  void add_u64(std::uint16_t type, std::uint64_t v);
  void add_address(std::uint16_t type, const SocketAddress& a);
  void add_xor_address(std::uint16_t type, const SocketAddress& a);
  void add_error_code(int code, std::string_view reason);
  void add_unknown_attributes(std::span<const std::uint16_t> types);
  void add_integrity(ByteView key);
  void add_integrity_sha256(ByteView key);
  void add_fingerprint();

  const Bytes& bytes() const { return out_; }

 private:
  void set_length(std::size_t body);
  Bytes& out_;
};

// Default reason phrases for the error codes of RFC 8489 §14.8 and RFC 8656.
std::string_view reason_phrase(int code);

}  // namespace floe::stun
