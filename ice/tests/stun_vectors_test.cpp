// RFC 5769 test vectors (all four) and malformed-input rejection.
#include <gtest/gtest.h>

#include <string>

#include "ice/stun/credentials.hpp"
#include "ice/stun/message.hpp"

using namespace floe;
using namespace floe::stun;

namespace {

Bytes hex(std::string_view s) {
  Bytes out;
  int nibble = -1;
  for (char c : s) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) continue;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(nibble << 4 | v));
      nibble = -1;
    }
  }
  return out;
}

// RFC 5769 §2.1-§2.4.
const Bytes kSampleRequest = hex(
    "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
    "00 24 00 04 6e 00 01 ff 80 29 00 08 93 2f f9 b1 51 26 3b 36"
    "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
    "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
    "80 28 00 04 e5 7a 3b cf");
const Bytes kIpv4Response = hex(
    "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 08 00 01 a1 47 e1 12 a6 43"
    "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
    "80 28 00 04 c0 7d 4c 96");
const Bytes kIpv6Response = hex(
    "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
    "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
    "80 28 00 04 c8 fb 0b 4c");
const Bytes kLongTermRequest = hex(
    "00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
    "00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00"
    "00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41"
    "00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00"
    "00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66");
constexpr std::string_view kShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";
const std::string kMatrixUser = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";

}  // namespace

TEST(Rfc5769, SampleRequest) {
  auto m = Message::parse(kSampleRequest);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cls(), Class::Request);
  EXPECT_EQ(m->method(), method::Binding);
  EXPECT_EQ(*m->string(attr::Software), "STUN test client");
  EXPECT_EQ(*m->string(attr::Username), "evtj:h6vY");
  EXPECT_EQ(*m->u32(attr::Priority), 0x6e0001ffu);
  EXPECT_EQ(*m->u64(attr::IceControlled), 0x932ff9b151263b36ull);
  EXPECT_EQ(m->check_integrity(short_term_key(kShortTermPassword)), IntegrityResult::Ok);
  EXPECT_EQ(m->check_integrity(short_term_key("VOkJxbRl1RmTxUk/WvJxBT")), IntegrityResult::Mismatch);
  EXPECT_EQ(m->check_fingerprint(), IntegrityResult::Ok);
}

TEST(Rfc5769, Ipv4Response) {
  auto m = Message::parse(kIpv4Response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cls(), Class::Success);
  EXPECT_EQ(*m->string(attr::Software), "test vector");
  EXPECT_EQ(m->mapped_address()->to_string(), "192.0.2.1:32853");
  EXPECT_EQ(m->check_integrity(short_term_key(kShortTermPassword)), IntegrityResult::Ok);
  EXPECT_EQ(m->check_fingerprint(), IntegrityResult::Ok);
}

TEST(Rfc5769, Ipv6Response) {
  auto m = Message::parse(kIpv6Response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mapped_address()->to_string(), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  EXPECT_EQ(m->check_integrity(short_term_key(kShortTermPassword)), IntegrityResult::Ok);
  EXPECT_EQ(m->check_fingerprint(), IntegrityResult::Ok);
}

TEST(Rfc5769, LongTermRequest) {
  auto m = Message::parse(kLongTermRequest);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m->string(attr::Username), kMatrixUser);
  EXPECT_EQ(*m->string(attr::Nonce), "f//499k954d6OL34oL9FSTvy64sA");
  EXPECT_EQ(*m->string(attr::Realm), "example.org");
  EXPECT_EQ(m->check_fingerprint(), IntegrityResult::Missing);
  // "TheMatrIX" is the password after SASLprep/OpaqueString processing.
  auto key = long_term_key(kMatrixUser, "example.org", "TheMatrIX");
  EXPECT_EQ(m->check_integrity(key), IntegrityResult::Ok);
  EXPECT_EQ(m->check_integrity(long_term_key(kMatrixUser, "example.org", "thematrix")),
            IntegrityResult::Mismatch);
}

// Our builder reproduces the vectors byte for byte where the vector's padding is zero.
TEST(Rfc5769, BuilderReproducesVectors) {
  TransactionId tid;
  std::copy(kIpv4Response.begin() + 8, kIpv4Response.begin() + 20, tid.begin());
  Bytes out;
  MessageBuilder b(out, Class::Success, method::Binding, tid);
  b.add_string(attr::Software, "test vector");
  out.back() = 0x20;  // the vector pads SOFTWARE with a space, not zero
  b.add_xor_address(attr::XorMappedAddress, *SocketAddress::parse("192.0.2.1:32853"));
  b.add_integrity(short_term_key(kShortTermPassword));
  b.add_fingerprint();
  EXPECT_EQ(out, kIpv4Response);

  std::copy(kLongTermRequest.begin() + 8, kLongTermRequest.begin() + 20, tid.begin());
  MessageBuilder lt(out, Class::Request, method::Binding, tid);
  lt.add_string(attr::Username, kMatrixUser);
  lt.add_string(attr::Nonce, "f//499k954d6OL34oL9FSTvy64sA");
  lt.add_string(attr::Realm, "example.org");
  lt.add_integrity(long_term_key(kMatrixUser, "example.org", "TheMatrIX"));
  EXPECT_EQ(out, kLongTermRequest);
}

// RFC 8489 Appendix B.1 USERHASH value.
TEST(Rfc8489, Userhash) {
  EXPECT_EQ(userhash(kMatrixUser, "example.org"),
            hex("4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704"));
}

TEST(StunMalformed, EveryTruncationRejectedOrShorter) {
  for (std::size_t n = 0; n < kSampleRequest.size(); ++n) {
    ParseError err;
    auto m = Message::parse(ByteView(kSampleRequest).first(n), &err);
    EXPECT_FALSE(m) << "prefix " << n;
    EXPECT_NE(err, ParseError::None);
  }
}

TEST(StunMalformed, SpecificErrors) {
  ParseError err;
  Bytes b = kSampleRequest;
  b[0] |= 0x80;
  EXPECT_FALSE(Message::parse(b, &err));
  EXPECT_EQ(err, ParseError::NotStun);

  b = kSampleRequest;
  b[5] ^= 1;
  EXPECT_FALSE(Message::parse(b, &err));
  EXPECT_EQ(err, ParseError::BadMagicCookie);

  b = kSampleRequest;
  b[3] = 0x57;  // length not a multiple of 4
  EXPECT_FALSE(Message::parse(b, &err));
  EXPECT_EQ(err, ParseError::BadLength);

  b = kSampleRequest;
  b[23] = 0xF0;  // SOFTWARE length runs past the message
  EXPECT_FALSE(Message::parse(b, &err));
  EXPECT_EQ(err, ParseError::TruncatedAttribute);

  b = kSampleRequest;  // an attribute after FINGERPRINT
  for (std::uint8_t x : {0x80, 0x22, 0x00, 0x00}) b.push_back(x);
  store_be16(b.data() + 2, static_cast<std::uint16_t>(b.size() - kHeaderSize));
  EXPECT_FALSE(Message::parse(b, &err));
  EXPECT_EQ(err, ParseError::AfterFingerprint);
}

TEST(StunMalformed, TamperedIntegrityAndFingerprint) {
  Bytes b = kSampleRequest;
  b[30] ^= 0x01;  // inside SOFTWARE
  auto m = Message::parse(b);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->check_integrity(short_term_key(kShortTermPassword)), IntegrityResult::Mismatch);
  EXPECT_EQ(m->check_fingerprint(), IntegrityResult::Mismatch);

  b = kSampleRequest;
  b[b.size() - 1] ^= 0x01;  // the CRC itself
  m = Message::parse(b);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->check_integrity(short_term_key(kShortTermPassword)), IntegrityResult::Ok);
  EXPECT_EQ(m->check_fingerprint(), IntegrityResult::Mismatch);
}

TEST(StunMalformed, AttributesAfterIntegrityAreIgnored) {
  Bytes out;
  MessageBuilder b(out, Class::Request, method::Binding, random_transaction_id());
  b.add_integrity(as_bytes("k"));
  b.add_string(attr::Username, "late");  // must not count, per RFC 8489 §14.5
  auto m = Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->has(attr::Username));
  EXPECT_EQ(m->check_integrity(as_bytes("k")), IntegrityResult::Ok);
}

TEST(StunMalformed, BadAttributeValuesYieldNothing) {
  Bytes out;
  MessageBuilder b(out, Class::Success, method::Binding, random_transaction_id());
  const std::uint8_t bad_family[8] = {0, 3, 0, 1, 1, 2, 3, 4};
  b.add(attr::XorMappedAddress, bad_family);
  const std::uint8_t short_v6[8] = {0, 2, 0, 1, 1, 2, 3, 4};
  b.add(attr::MappedAddress, short_v6);
  const std::uint8_t bad_error[4] = {0, 0, 7, 0};
  b.add(attr::ErrorCode, bad_error);
  b.add(attr::Priority, ByteView(bad_family, 3));
  auto m = Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->mapped_address());
  EXPECT_FALSE(m->error_code());
  EXPECT_FALSE(m->u32(attr::Priority));
}

TEST(StunCodec, UnknownComprehensionRequired) {
  Bytes out;
  MessageBuilder b(out, Class::Request, method::Binding, random_transaction_id());
  b.add_u32(0x7F01, 1);
  b.add_u32(0xC001, 1);  // optional: not reported
  b.add_u32(0x7F01, 2);  // duplicates reported once
  auto m = Message::parse(out);
  ASSERT_TRUE(m);
  std::uint16_t unknown[8];
  ASSERT_EQ(m->unknown_required(unknown), 1u);
  EXPECT_EQ(unknown[0], 0x7F01);

  Bytes resp;
  MessageBuilder e(resp, Class::Error, method::Binding, m->transaction_id());
  e.add_error_code(420, "");
  e.add_unknown_attributes(std::span<const std::uint16_t>(unknown, 1));
  auto r = Message::parse(resp);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error_code()->code, 420);
  EXPECT_EQ(r->error_code()->reason, "Unknown Attribute");
  std::uint16_t listed[4];
  ASSERT_EQ(r->unknown_attributes(listed), 1u);
  EXPECT_EQ(listed[0], 0x7F01);
}

TEST(StunCodec, Sha256IntegrityTruncation) {
  Bytes out;
  MessageBuilder b(out, Class::Request, method::Binding, random_transaction_id());
  b.add_string(attr::Username, "u");
  b.add_integrity_sha256(as_bytes("pw"));
  auto m = Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->check_integrity_sha256(as_bytes("pw")), IntegrityResult::Ok);
  EXPECT_EQ(m->check_integrity(as_bytes("pw")), IntegrityResult::Missing);
}

TEST(StunCodec, AddressesAllFamiliesRoundTrip) {
  for (const char* text : {"203.0.113.7:1", "[2001:db8::1]:65535", "[::]:3478", "0.0.0.0:0"}) {
    auto a = *SocketAddress::parse(text);
    Bytes out;
    MessageBuilder b(out, Class::Success, method::Binding, random_transaction_id());
    b.add_xor_address(attr::XorMappedAddress, a);
    b.add_address(attr::OtherAddress, a);
    auto m = Message::parse(out);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m->xor_address(attr::XorMappedAddress), a);
    EXPECT_EQ(*m->address(attr::OtherAddress), a);
  }
}
