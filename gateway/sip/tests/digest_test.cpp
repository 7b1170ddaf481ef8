#include "gateway/sip/digest.hpp"

#include <gtest/gtest.h>

using namespace floe;
using namespace floe::sip;

// Published vectors: RFC 2617 §3.5 and RFC 7616 §3.9.1 (HTTP examples; the
// computation is the same for SIP with the SIP method and Request-URI).
TEST(SipDigest, Rfc2617Vector) {
  DigestInput in;
  in.username = "Mufasa";
  in.password = "Circle Of Life";
  in.realm = "testrealm@host.com";
  in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.qop = "auth";
  in.nc = 1;
  in.cnonce = "0a4f113b";
  EXPECT_EQ(digest_response(in), "6629fae49393a05397450978507c4ef1");
}

TEST(SipDigest, Rfc7616Vectors) {
  DigestInput in;
  in.username = "Mufasa";
  in.password = "Circle of Life";
  in.realm = "http-auth@example.org";
  in.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.qop = "auth";
  in.nc = 1;
  in.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  in.algorithm = DigestAlgorithm::Md5;
  EXPECT_EQ(digest_response(in), "8ca523f5e9506fed4657c9700eebdbec");
  in.algorithm = DigestAlgorithm::Sha256;
  EXPECT_EQ(digest_response(in), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(SipDigest, ParsesChallengesWithQuotedCommas) {
  auto c = Challenge::parse(
      "Digest realm=\"sip.test\", nonce=\"a,b\" ,qop=\"auth,auth-int\", algorithm=SHA-256, "
      "opaque=\"op\", stale=TRUE");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->realm, "sip.test");
  EXPECT_EQ(c->nonce, "a,b");
  EXPECT_EQ(c->qop, (std::vector<std::string>{"auth", "auth-int"}));
  EXPECT_EQ(c->algorithm, DigestAlgorithm::Sha256);
  EXPECT_TRUE(c->stale);
  EXPECT_EQ(c->opaque, "op");
  EXPECT_FALSE(Challenge::parse("Basic realm=\"x\""));
  auto unknown = Challenge::parse("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512-256");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->algorithm);
}

namespace {
Message register_request() {
  Message m = Message::request("REGISTER", *Uri::parse("sip:sip.test"));
  m.add("Via", "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1");
  m.add("From", "<sip:alice@sip.test>;tag=1");
  m.add("To", "<sip:alice@sip.test>");
  m.add("Call-ID", "d@x");
  m.add("CSeq", "1 REGISTER");
  return m;
}
Message challenge(std::string header_value, int code = 401) {
  Message r = make_response(register_request(), code, {}, "t");
  r.add(code == 407 ? "Proxy-Authenticate" : "WWW-Authenticate", std::move(header_value));
  return r;
}
}  // namespace

TEST(SipDigestClient, AnswersWithNonceCountAndReusesNonce) {
  DigestClient client({"alice", "secret"});
  client.set_cnonce_source([] { return std::string("c0ffee"); });
  auto req = register_request();
  ASSERT_TRUE(client.handle_challenge(
      req, challenge("Digest realm=\"sip.test\", nonce=\"n1\", qop=\"auth\", opaque=\"o\"")));
  client.authorize(req);
  auto auth = std::string(req.header("Authorization"));
  DigestInput in{DigestAlgorithm::Md5, "alice", "secret", "sip.test", "n1", "REGISTER",
                 "sip:sip.test", "auth", 1, "c0ffee", {}};
  EXPECT_NE(auth.find("response=\"" + digest_response(in) + "\""), std::string::npos) << auth;
  EXPECT_NE(auth.find("nc=00000001"), std::string::npos);
  EXPECT_NE(auth.find("opaque=\"o\""), std::string::npos);
  EXPECT_NE(auth.find("algorithm=MD5"), std::string::npos);
  // The next request reuses the nonce with nc=2; only one Authorization.
  client.authorize(req);
  EXPECT_EQ(req.count("Authorization"), 1u);
  EXPECT_NE(req.header("Authorization").find("nc=00000002"), std::string::npos);
}

TEST(SipDigestClient, PrefersTopmostSupportedAlgorithm) {
  DigestClient client({"alice", "secret"});
  auto req = register_request();
  Message r = make_response(req, 401, {}, "t");
  r.add("WWW-Authenticate", "Digest realm=\"sip.test\", nonce=\"n\", algorithm=SHA-512-256");
  r.add("WWW-Authenticate", "Digest realm=\"sip.test\", nonce=\"n\", algorithm=SHA-256, qop=auth");
  r.add("WWW-Authenticate", "Digest realm=\"sip.test\", nonce=\"n\", algorithm=MD5, qop=auth");
  ASSERT_TRUE(client.handle_challenge(req, r));
  client.authorize(req);
  EXPECT_NE(req.header("Authorization").find("algorithm=SHA-256"), std::string::npos);
  auto resp = req.header("Authorization");
  auto at = resp.find("response=\"");
  EXPECT_EQ(resp.find('"', at + 10) - (at + 10), 64u);  // a SHA-256 digest
}

TEST(SipDigestClient, WrongPasswordStopsButStaleNonceRetries) {
  DigestClient client({"alice", "wrong"});
  auto req = register_request();
  auto ch = challenge("Digest realm=\"sip.test\", nonce=\"n1\", qop=\"auth\"");
  ASSERT_TRUE(client.handle_challenge(req, ch));
  client.authorize(req);
  // Rejected again with a fresh nonce and no stale flag: give up.
  EXPECT_FALSE(client.handle_challenge(
      req, challenge("Digest realm=\"sip.test\", nonce=\"n2\", qop=\"auth\"")));
  // stale=true means the credentials were fine: retry with the new nonce.
  EXPECT_TRUE(client.handle_challenge(
      req, challenge("Digest realm=\"sip.test\", nonce=\"n3\", qop=\"auth\", stale=true")));
  // A reused nonce (nc > 1) that is refused is retried too.
  client.authorize(req);
  client.authorize(req);
  EXPECT_TRUE(client.handle_challenge(
      req, challenge("Digest realm=\"sip.test\", nonce=\"n4\", qop=\"auth\"")));
}

TEST(SipDigestClient, ProxyChallengeUsesProxyAuthorizationAndSess) {
  DigestClient client({"alice", "secret"});
  client.set_cnonce_source([] { return std::string("abc"); });
  auto req = register_request();
  ASSERT_TRUE(client.handle_challenge(
      req, challenge("Digest realm=\"proxy\", nonce=\"p\", algorithm=SHA-256-sess, qop=auth", 407)));
  client.authorize(req);
  EXPECT_FALSE(req.has("Authorization"));
  auto v = std::string(req.header("Proxy-Authorization"));
  DigestInput in{DigestAlgorithm::Sha256Sess, "alice", "secret", "proxy", "p", "REGISTER",
                 "sip:sip.test", "auth", 1, "abc", {}};
  EXPECT_NE(v.find(digest_response(in)), std::string::npos);
  EXPECT_NE(v.find("algorithm=SHA-256-sess"), std::string::npos);
}

TEST(SipDigestClient, NoQopRfc2069Style) {
  DigestClient client({"alice", "secret"});
  auto req = register_request();
  ASSERT_TRUE(client.handle_challenge(req, challenge("Digest realm=\"r\", nonce=\"n\"")));
  client.authorize(req);
  auto v = std::string(req.header("Authorization"));
  EXPECT_EQ(v.find("qop="), std::string::npos);
  DigestInput in{DigestAlgorithm::Md5, "alice", "secret", "r", "n", "REGISTER", "sip:sip.test",
                 "", 1, "", {}};
  EXPECT_NE(v.find(digest_response(in)), std::string::npos);
}
