#include <gtest/gtest.h>

#include "ice/stun/credentials.hpp"
#include "ice/stun/message.hpp"

using namespace floe;
using namespace floe::stun;

TEST(StunCodec, RoundTripBindingRequest) {
  Bytes buf;
  auto tid = random_transaction_id();
  MessageBuilder b(buf, Class::Request, method::Binding, tid);
  b.add_string(attr::Username, "abcd:efgh");
  b.add_u32(attr::Priority, 0x6e7f1eff);
  b.add_u64(attr::IceControlling, 0x1122334455667788ull);
  b.add_empty(attr::UseCandidate);
  b.add_integrity(as_bytes("secret"));
  b.add_integrity_sha256(as_bytes("secret"));
  b.add_fingerprint();

  ParseError err;
  auto m = Message::parse(buf, &err);
  ASSERT_TRUE(m) << to_string(err);
  EXPECT_EQ(m->cls(), Class::Request);
  EXPECT_EQ(m->method(), method::Binding);
  EXPECT_EQ(m->transaction_id(), tid);
  EXPECT_EQ(*m->string(attr::Username), "abcd:efgh");
  EXPECT_EQ(*m->u32(attr::Priority), 0x6e7f1effu);
  EXPECT_EQ(*m->u64(attr::IceControlling), 0x1122334455667788ull);
  EXPECT_TRUE(m->has(attr::UseCandidate));
  EXPECT_EQ(m->check_integrity(as_bytes("secret")), IntegrityResult::Ok);
  EXPECT_EQ(m->check_integrity(as_bytes("wrong")), IntegrityResult::Mismatch);
  EXPECT_EQ(m->check_integrity_sha256(as_bytes("secret")), IntegrityResult::Ok);
  EXPECT_EQ(m->check_fingerprint(), IntegrityResult::Ok);
}

TEST(StunCodec, AllClassesAndMethodsRoundTrip) {
  Bytes buf;
  for (auto cls : {Class::Request, Class::Indication, Class::Success, Class::Error}) {
    for (std::uint16_t meth : {method::Binding, method::Allocate, method::ChannelBind,
                               std::uint16_t{0xFFF}}) {
      MessageBuilder(buf, cls, meth, random_transaction_id());
      auto m = Message::parse(buf);
      ASSERT_TRUE(m);
      EXPECT_EQ(m->cls(), cls);
      EXPECT_EQ(m->method(), meth);
    }
  }
}
