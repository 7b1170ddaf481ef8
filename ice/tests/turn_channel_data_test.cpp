// ChannelData framing (RFC 8656 §12.4-§12.5), stream framing over TCP, and
// the credential helpers (REST API passwords, nonces).
#include <gtest/gtest.h>

#include "ice/stun/message.hpp"
#include "ice/turn/auth.hpp"
#include "ice/turn/channel_data.hpp"
#include "ice/turn/limits.hpp"

namespace floe::turn {
namespace {

TEST(TurnChannelData, RoundTripWithAndWithoutPadding) {
  const std::uint8_t payload[] = {1, 2, 3, 4, 5};
  Bytes udp, tcp;
  write_channel_data(udp, 0x4001, payload, false);
  write_channel_data(tcp, 0x4001, payload, true);
  EXPECT_EQ(udp.size(), 9u);
  EXPECT_EQ(tcp.size(), 12u);
  EXPECT_EQ(load_be16(tcp.data() + 2), 5);  // length excludes padding
  for (const Bytes* b : {&udp, &tcp}) {
    auto cd = parse_channel_data(*b);
    ASSERT_TRUE(cd);
    EXPECT_EQ(cd->channel, 0x4001);
    EXPECT_EQ(Bytes(cd->data.begin(), cd->data.end()), Bytes(payload, payload + 5));
  }
  Bytes empty;
  write_channel_data(empty, 0x4FFF, {}, true);
  EXPECT_EQ(empty.size(), 4u);
  EXPECT_EQ(parse_channel_data(empty)->data.size(), 0u);
}

TEST(TurnChannelData, MalformedRejected) {
  ChannelDataError e;
  EXPECT_FALSE(parse_channel_data(Bytes{0x40, 0x00, 0x00}, &e));
  EXPECT_EQ(e, ChannelDataError::TooShort);
  EXPECT_FALSE(parse_channel_data(Bytes{0x00, 0x01, 0x00, 0x00}, &e));
  EXPECT_EQ(e, ChannelDataError::NotChannelData);
  EXPECT_TRUE(parse_channel_data(Bytes{0x7F, 0xFF, 0x00, 0x00}, &e));  // RFC 5766 range frames
  EXPECT_FALSE(valid_channel(0x7FFF));
  EXPECT_TRUE(valid_channel(0x7FFF, true));
  EXPECT_FALSE(valid_channel(0x8000, true));
  EXPECT_FALSE(parse_channel_data(Bytes{0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4}, &e));
  EXPECT_EQ(e, ChannelDataError::Truncated);
}

TEST(TurnChannelData, StreamFramerSplitsStunAndPaddedChannelData) {
  Bytes stream;
  Bytes stun_msg;
  stun::MessageBuilder b(stun_msg, stun::Class::Request, stun::method::Refresh,
                         stun::random_transaction_id());
  b.add_u32(stun::attr::Lifetime, 600);
  Bytes cd1, cd2;
  write_channel_data(cd1, 0x4000, Bytes{1, 2, 3}, true);  // 4 + 3 + 1 pad
  write_channel_data(cd2, 0x4002, Bytes(8, 7), true);
  for (const Bytes* p : {&cd1, &stun_msg, &cd2}) stream.insert(stream.end(), p->begin(), p->end());

  // Deliver one byte at a time: frames come out whole and in order.
  StreamFramer f;
  std::vector<std::pair<FrameKind, Bytes>> frames;
  for (std::uint8_t byte : stream) {
    ASSERT_TRUE(f.append(ByteView(&byte, 1)));
    for (;;) {
      FrameKind kind;
      bool invalid;
      ByteView fr = f.front(&kind, &invalid);
      ASSERT_FALSE(invalid);
      if (fr.empty()) break;
      frames.emplace_back(kind, Bytes(fr.begin(), fr.end()));
      f.pop();
    }
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].first, FrameKind::ChannelData);
  EXPECT_EQ(frames[0].second.size(), 8u);
  EXPECT_EQ(parse_channel_data(frames[0].second)->data.size(), 3u);
  EXPECT_EQ(frames[1].first, FrameKind::Stun);
  EXPECT_EQ(frames[1].second, stun_msg);
  EXPECT_EQ(frames[2].first, FrameKind::ChannelData);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(TurnChannelData, StreamFramerRejectsGarbage) {
  StreamFramer f;
  ASSERT_TRUE(f.append(Bytes{0x80, 0, 0, 0}));  // RTP-like first byte: not TURN
  FrameKind kind;
  bool invalid;
  EXPECT_TRUE(f.front(&kind, &invalid).empty());
  EXPECT_TRUE(invalid);
  // A STUN header with a length not a multiple of 4.
  StreamFramer g;
  Bytes bad(20, 0);
  bad[3] = 3;
  store_be32(bad.data() + 4, stun::kMagicCookie);
  ASSERT_TRUE(g.append(bad));
  g.front(&kind, &invalid);
  EXPECT_TRUE(invalid);
}

TEST(TurnAuth, Base64AndRestPassword) {
  EXPECT_EQ(base64_encode(as_bytes("")), "");
  EXPECT_EQ(base64_encode(as_bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(as_bytes("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(as_bytes("foobar")), "Zm9vYmFy");
  // RFC 2202 HMAC-SHA1 test case 2, base64 encoded.
  EXPECT_EQ(rest_password("Jefe", "what do ya want for nothing?"), "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

TEST(TurnAuth, NoncesExpireAndResistForgery) {
  AuthConfig cfg;
  cfg.nonce_lifetime = seconds(60);
  const std::uint8_t secret[] = {7, 7, 7};
  Authenticator a(cfg, secret);
  const Instant now = Instant{} + seconds(1000);
  const std::string n = a.make_nonce(now);
  EXPECT_TRUE(a.nonce_fresh(n, now + seconds(59)));
  EXPECT_FALSE(a.nonce_fresh(n, now + seconds(61)));
  std::string forged = n;
  forged[0] = forged[0] == 'f' ? 'e' : 'f';  // later expiry, old MAC
  EXPECT_FALSE(a.nonce_fresh(forged, now));
  EXPECT_FALSE(a.nonce_fresh("short", now));
  const std::uint8_t other[] = {8};
  EXPECT_FALSE(Authenticator(cfg, other).nonce_fresh(n, now));
}

TEST(TurnAuth, RestUsernames) {
  AuthConfig cfg;
  cfg.users = {{"alice", "secret"}};
  cfg.rest_secret = "s3";
  Authenticator a(cfg, Bytes{1});
  Bytes key;
  EXPECT_EQ(a.key_for("alice", 100, &key), KeyLookup::Found);
  EXPECT_EQ(a.key_for("200:bob", 100, &key), KeyLookup::Found);
  EXPECT_EQ(a.key_for("200:bob", 200, &key), KeyLookup::RestExpired);
  EXPECT_EQ(a.key_for("bob", 100, &key), KeyLookup::RestMalformed);
  EXPECT_EQ(a.quota_user("200:bob"), "bob");
  const RestCredentials minted = make_rest_credentials("s3", "eve", 100, seconds(50));
  EXPECT_EQ(minted.username, "150:eve");
  EXPECT_EQ(minted.password, rest_password("s3", "150:eve"));
  EXPECT_EQ(a.key_for(minted.username, 149, &key), KeyLookup::Found);
  EXPECT_EQ(a.key_for(minted.username, 150, &key), KeyLookup::RestExpired);
  EXPECT_EQ(a.quota_user("alice"), "alice");
  cfg.rest_secret.clear();
  EXPECT_EQ(Authenticator(cfg, Bytes{1}).key_for("200:bob", 100, &key), KeyLookup::UnknownUser);
}

TEST(TurnLimits, RangesAndRateLimiter) {
  auto r = IpRange::parse("10.0.0.0/8");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains(*IpAddress::parse("10.255.0.1")));
  EXPECT_FALSE(r->contains(*IpAddress::parse("11.0.0.1")));
  EXPECT_FALSE(r->contains(*IpAddress::parse("::1")));
  auto v6 = IpRange::parse("2001:db8::/33");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*IpAddress::parse("2001:db8:7fff::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("2001:db8:8000::1")));
  EXPECT_FALSE(IpRange::parse("10.0.0.0/33"));
  EXPECT_FALSE(IpRange::parse("nonsense/8"));
  RateLimiter rl(100);
  const Instant t = Instant{} + seconds(5);
  EXPECT_TRUE(rl.allow(t, 60));
  EXPECT_FALSE(rl.allow(t, 60));
  EXPECT_TRUE(rl.allow(t + milliseconds(200), 60));
}

}  // namespace
}  // namespace floe::turn
