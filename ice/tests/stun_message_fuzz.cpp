// Fuzz target: the STUN codec on arbitrary bytes (datagram and stream framing).
#include <cstdint>

#include "ice/stun/message.hpp"

using namespace floe;
using namespace floe::stun;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  (void)Message::looks_like_stun(in);
  const std::size_t framed = Message::message_size(in);
  ParseError err;
  auto m = Message::parse(in, &err);
  if (!m) return 0;
  if (framed != m->raw().size()) __builtin_trap();
  for (const auto& a : m->attributes()) {
    if (a.offset + 4 + a.value.size() > m->raw().size()) __builtin_trap();
    (void)m->address(a.type);
    (void)m->xor_address(a.type);
    (void)m->u32(a.type);
    (void)m->u64(a.type);
  }
  (void)m->error_code();
  std::uint16_t types[kMaxAttributes];
  (void)m->unknown_attributes(types);
  (void)m->unknown_required(types);
  (void)m->check_integrity(as_bytes("key"));
  (void)m->check_integrity_sha256(as_bytes("key"));
  (void)m->check_fingerprint();
  // Rebuilding from the parsed attributes must give a parseable message.
  Bytes out;
  MessageBuilder b(out, m->cls(), m->method(), m->transaction_id());
  for (const auto& a : m->attributes()) b.add(a.type, a.value);
  if (!Message::parse(out) && m->attributes().size() < kMaxAttributes) __builtin_trap();
  return 0;
}
