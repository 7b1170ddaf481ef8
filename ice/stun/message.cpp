#include "ice/stun/message.hpp"

#include <algorithm>
#include <cstring>

#include "base/random.hpp"
#include "ice/stun/crypto.hpp"

namespace floe::stun {
namespace {

constexpr std::uint32_t kFingerprintXor = 0x5354554e;  // RFC 8489 §14.7

// RFC 8489 §5: the class bits C1 (0x100) and C0 (0x010) are interleaved
// with the 12 method bits M11..M0.
std::uint16_t encode_type(Class cls, std::uint16_t m) {
  auto c = static_cast<std::uint16_t>(cls);
  return static_cast<std::uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                                    ((c & 0x1) << 4) | ((c & 0x2) << 7));
}
void decode_type(std::uint16_t t, Class* cls, std::uint16_t* m) {
  *m = static_cast<std::uint16_t>((t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2));
  *cls = static_cast<Class>(((t >> 4) & 0x1) | ((t >> 7) & 0x2));
}

// The header with its length field replaced, for integrity and fingerprint
// computation over a prefix of the message (§14.5).
std::array<std::uint8_t, kHeaderSize> patched_header(ByteView raw, std::size_t length) {
  std::array<std::uint8_t, kHeaderSize> h{};
  std::memcpy(h.data(), raw.data(), kHeaderSize);
  store_be16(h.data() + 2, static_cast<std::uint16_t>(length));
  return h;
}

}  // namespace

bool attr::is_known(std::uint16_t t) {
  switch (t) {
    case MappedAddress: case ChangeRequest: case Username: case MessageIntegrity:
    case ErrorCode: case UnknownAttributes: case ChannelNumber: case Lifetime:
    case XorPeerAddress: case Data: case Realm: case Nonce: case XorRelayedAddress:
    case RequestedAddressFamily: case EvenPort: case RequestedTransport: case DontFragment:
    case MessageIntegritySha256: case PasswordAlgorithm: case Userhash: case XorMappedAddress:
    case ReservationToken: case Priority: case UseCandidate: case Padding: case ResponsePort:
      return true;
    default:
      return !comprehension_required(t);
  }
}

TransactionId random_transaction_id() {
  TransactionId t;
  random_bytes(t);
  return t;
}

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::None: return "ok";
    case ParseError::TooShort: return "shorter than a STUN header";
    case ParseError::NotStun: return "first two bits not zero";
    case ParseError::BadMagicCookie: return "bad magic cookie";
    case ParseError::BadLength: return "bad message length";
    case ParseError::TruncatedAttribute: return "attribute runs past the message";
    case ParseError::TooManyAttributes: return "too many attributes";
    case ParseError::AfterFingerprint: return "attribute after FINGERPRINT";
  }
  return "?";
}

bool Message::looks_like_stun(ByteView d) {
  return d.size() >= kHeaderSize && (d[0] & 0xC0) == 0 && load_be32(d.data() + 4) == kMagicCookie;
}

std::size_t Message::message_size(ByteView d) {
  if (!looks_like_stun(d)) return 0;
  return kHeaderSize + load_be16(d.data() + 2);
}

std::optional<Message> Message::parse(ByteView data, ParseError* error) {
  ParseError dummy;
  ParseError& err = error ? *error : dummy;
  err = ParseError::None;
  if (data.size() < kHeaderSize) return err = ParseError::TooShort, std::nullopt;
  if ((data[0] & 0xC0) != 0) return err = ParseError::NotStun, std::nullopt;
  if (load_be32(data.data() + 4) != kMagicCookie)
    return err = ParseError::BadMagicCookie, std::nullopt;
  const std::size_t length = load_be16(data.data() + 2);
  if (length % 4 != 0 || kHeaderSize + length > data.size())
    return err = ParseError::BadLength, std::nullopt;

  Message m;
  decode_type(load_be16(data.data()), &m.cls_, &m.method_);
  std::memcpy(m.tid_.data(), data.data() + 8, 12);
  m.raw_ = data.first(kHeaderSize + length);

  ByteReader r(m.raw_.subspan(kHeaderSize));
  bool after_integrity = false, after_fingerprint = false;
  while (r.remaining() > 0) {
    const auto offset = static_cast<std::uint16_t>(kHeaderSize + r.position());
    const std::uint16_t type = r.u16();
    const std::uint16_t len = r.u16();
    ByteView value = r.take(len);
    r.skip((4 - len % 4) % 4);
    if (!r.ok()) return err = ParseError::TruncatedAttribute, std::nullopt;
    if (after_fingerprint) return err = ParseError::AfterFingerprint, std::nullopt;
    // §14.5: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and
    // FINGERPRINT count; everything else there is ignored.
    const bool counts = !after_integrity || type == attr::MessageIntegritySha256 ||
                        type == attr::Fingerprint;
    if (type == attr::MessageIntegrity || type == attr::MessageIntegritySha256)
      after_integrity = true;
    if (type == attr::Fingerprint) after_fingerprint = true;
    if (!counts) continue;
    if (m.count_ == kMaxAttributes) return err = ParseError::TooManyAttributes, std::nullopt;
    m.attrs_[m.count_++] = Attribute{type, offset, value};
  }
  return m;
}

const Attribute* Message::find(std::uint16_t type) const {
  for (std::size_t i = 0; i < count_; ++i)
    if (attrs_[i].type == type) return &attrs_[i];
  return nullptr;
}

std::size_t Message::unknown_required(std::span<std::uint16_t> out) const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < count_ && n < out.size(); ++i) {
    auto t = attrs_[i].type;
    if (attr::is_known(t)) continue;
    if (std::find(out.begin(), out.begin() + n, t) == out.begin() + n) out[n++] = t;
  }
  return n;
}

std::optional<SocketAddress> Message::address(std::uint16_t type) const {
  const Attribute* a = find(type);
  if (!a) return std::nullopt;
  ByteReader r(a->value);
  r.u8();
  const std::uint8_t family = r.u8();
  const std::uint16_t port = r.u16();
  if (family == 0x01 && a->value.size() == 8)
    return SocketAddress(IpAddress::v4(r.u32()), port);
  if (family == 0x02 && a->value.size() == 20)
    return SocketAddress(IpAddress::v6(r.take(16).data()), port);
  return std::nullopt;
}

std::optional<SocketAddress> Message::xor_address(std::uint16_t type) const {
  auto plain = address(type);
  if (!plain) return std::nullopt;
  const auto port = static_cast<std::uint16_t>(plain->port() ^ (kMagicCookie >> 16));
  std::uint8_t mask[16];
  store_be32(mask, kMagicCookie);
  std::memcpy(mask + 4, tid_.data(), 12);
  std::uint8_t ip[16];
  const std::size_t n = plain->ip().size();
  for (std::size_t i = 0; i < n; ++i) ip[i] = plain->ip().data()[i] ^ mask[i];
  return SocketAddress(n == 4 ? IpAddress::v4(ip) : IpAddress::v6(ip), port);
}

std::optional<SocketAddress> Message::mapped_address() const {
  if (auto x = xor_address(attr::XorMappedAddress)) return x;
  return address(attr::MappedAddress);
}

std::optional<std::string_view> Message::string(std::uint16_t type) const {
  const Attribute* a = find(type);
  if (!a) return std::nullopt;
  return as_chars(a->value);
}

std::optional<std::uint32_t> Message::u32(std::uint16_t type) const {
  const Attribute* a = find(type);
  if (!a || a->value.size() != 4) return std::nullopt;
  return load_be32(a->value.data());
}

std::optional<std::uint64_t> Message::u64(std::uint16_t type) const {
  const Attribute* a = find(type);
  if (!a || a->value.size() != 8) return std::nullopt;
  return (std::uint64_t{load_be32(a->value.data())} << 32) | load_be32(a->value.data() + 4);
}

std::optional<ErrorCodeValue> Message::error_code() const {
  const Attribute* a = find(attr::ErrorCode);
  if (!a || a->value.size() < 4) return std::nullopt;
  const int cls = a->value[2] & 0x7;
  const int number = a->value[3];
  if (cls < 3 || cls > 6 || number > 99) return std::nullopt;
  return ErrorCodeValue{cls * 100 + number, as_chars(a->value.subspan(4))};
}

std::size_t Message::unknown_attributes(std::span<std::uint16_t> out) const {
  const Attribute* a = find(attr::UnknownAttributes);
  if (!a) return 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < a->value.size() && n < out.size(); i += 2)
    out[n++] = load_be16(a->value.data() + i);
  return n;
}

IntegrityResult Message::check_integrity(ByteView key) const {
  const Attribute* a = find(attr::MessageIntegrity);
  if (!a) return IntegrityResult::Missing;
  if (a->value.size() != 20) return IntegrityResult::Mismatch;
  auto header = patched_header(raw_, a->offset + 4 + 20 - kHeaderSize);
  auto mac = hmac_sha1(key, {header, raw_.subspan(kHeaderSize, a->offset - kHeaderSize)});
  return equal_ct(mac, a->value) ? IntegrityResult::Ok : IntegrityResult::Mismatch;
}

IntegrityResult Message::check_integrity_sha256(ByteView key) const {
  const Attribute* a = find(attr::MessageIntegritySha256);
  if (!a) return IntegrityResult::Missing;
  // §14.6: may be truncated to no fewer than 16 bytes, in 4-byte steps.
  const std::size_t n = a->value.size();
  if (n < 16 || n > 32 || n % 4) return IntegrityResult::Mismatch;
  auto header = patched_header(raw_, a->offset + 4 + n - kHeaderSize);
  auto mac = hmac_sha256(key, {header, raw_.subspan(kHeaderSize, a->offset - kHeaderSize)});
  return equal_ct(ByteView(mac).first(n), a->value) ? IntegrityResult::Ok
                                                     : IntegrityResult::Mismatch;
}

IntegrityResult Message::check_fingerprint() const {
  const Attribute* a = find(attr::Fingerprint);
  if (!a) return IntegrityResult::Missing;
  if (a->value.size() != 4) return IntegrityResult::Mismatch;
  auto header = patched_header(raw_, a->offset + 8 - kHeaderSize);
  auto crc = crc32({header, raw_.subspan(kHeaderSize, a->offset - kHeaderSize)}) ^ kFingerprintXor;
  return crc == load_be32(a->value.data()) ? IntegrityResult::Ok : IntegrityResult::Mismatch;
}

MessageBuilder::MessageBuilder(Bytes& out, Class cls, std::uint16_t method,
                               const TransactionId& tid)
    : out_(out) {
  out_.clear();
  ByteWriter w(out_);
  w.u16(encode_type(cls, method));
  w.u16(0);
  w.u32(kMagicCookie);
  w.bytes(tid);
}

void MessageBuilder::set_length(std::size_t body) {
  store_be16(out_.data() + 2, static_cast<std::uint16_t>(body));
}

void MessageBuilder::add(std::uint16_t type, ByteView value) {
  ByteWriter w(out_);
  w.u16(type);
  w.u16(static_cast<std::uint16_t>(value.size()));
  w.bytes(value);
  w.zeros((4 - value.size() % 4) % 4);
  set_length(out_.size() - kHeaderSize);
}

void MessageBuilder::add_u32(std::uint16_t type, std::uint32_t v) {
  std::uint8_t b[4];
  store_be32(b, v);
  add(type, b);
}

void MessageBuilder::add_u64(std::uint16_t type, std::uint64_t v) {
  std::uint8_t b[8];
  store_be32(b, static_cast<std::uint32_t>(v >> 32));
  store_be32(b + 4, static_cast<std::uint32_t>(v));
  add(type, b);
}

void MessageBuilder::add_address(std::uint16_t type, const SocketAddress& a) {
  std::uint8_t b[20] = {0, a.ip().is_v4() ? std::uint8_t{1} : std::uint8_t{2}};
  store_be16(b + 2, a.port());
  std::memcpy(b + 4, a.ip().data(), a.ip().size());
  add(type, ByteView(b, 4 + a.ip().size()));
}

void MessageBuilder::add_xor_address(std::uint16_t type, const SocketAddress& a) {
  std::uint8_t mask[16];
  store_be32(mask, kMagicCookie);
  std::memcpy(mask + 4, out_.data() + 8, 12);
  std::uint8_t ip[16];
  for (std::size_t i = 0; i < a.ip().size(); ++i) ip[i] = a.ip().data()[i] ^ mask[i];
  const IpAddress x = a.ip().is_v4() ? IpAddress::v4(ip) : IpAddress::v6(ip);
  add_address(type, SocketAddress(x, static_cast<std::uint16_t>(a.port() ^ (kMagicCookie >> 16))));
}

void MessageBuilder::add_error_code(int code, std::string_view reason) {
  if (reason.empty()) reason = reason_phrase(code);
  std::uint8_t head[4] = {0, 0, static_cast<std::uint8_t>(code / 100),
                          static_cast<std::uint8_t>(code % 100)};
  // Built in place: one attribute whose value is the 4-byte head plus the phrase.
  ByteWriter w(out_);
  w.u16(attr::ErrorCode);
  w.u16(static_cast<std::uint16_t>(4 + reason.size()));
  w.bytes(head);
  w.bytes(as_bytes(reason));
  w.zeros((4 - reason.size() % 4) % 4);
  set_length(out_.size() - kHeaderSize);
}

void MessageBuilder::add_unknown_attributes(std::span<const std::uint16_t> types) {
  std::uint8_t b[2 * kMaxAttributes];
  std::size_t n = std::min(types.size(), kMaxAttributes);
  for (std::size_t i = 0; i < n; ++i) store_be16(b + 2 * i, types[i]);
  add(attr::UnknownAttributes, ByteView(b, 2 * n));
}

void MessageBuilder::add_integrity(ByteView key) {
  // §14.5: the length covers the MESSAGE-INTEGRITY attribute itself.
  set_length(out_.size() - kHeaderSize + 24);
  auto mac = hmac_sha1(key, {ByteView(out_)});
  add(attr::MessageIntegrity, mac);
}

void MessageBuilder::add_integrity_sha256(ByteView key) {
  set_length(out_.size() - kHeaderSize + 36);
  auto mac = hmac_sha256(key, {ByteView(out_)});
  add(attr::MessageIntegritySha256, mac);
}

void MessageBuilder::add_fingerprint() {
  set_length(out_.size() - kHeaderSize + 8);
  add_u32(attr::Fingerprint, crc32({ByteView(out_)}) ^ kFingerprintXor);
}

std::string_view reason_phrase(int code) {
  switch (code) {
    case 300: return "Try Alternate";
    case 400: return "Bad Request";
    case 401: return "Unauthenticated";
    case 403: return "Forbidden";
    case 420: return "Unknown Attribute";
    case 437: return "Allocation Mismatch";
    case 438: return "Stale Nonce";
    case 440: return "Address Family not Supported";
    case 441: return "Wrong Credentials";
    case 442: return "Unsupported Transport Protocol";
    case 443: return "Peer Address Family Mismatch";
    case 486: return "Allocation Quota Reached";
    case 487: return "Role Conflict";
    case 500: return "Server Error";
    case 508: return "Insufficient Capacity";
    default: return "Error";
  }
}

}  // namespace floe::stun
