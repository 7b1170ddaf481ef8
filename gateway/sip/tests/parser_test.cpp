#include "gateway/sip/parser.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "gateway/sip/framer.hpp"

using namespace floe;
using namespace floe::sip;

namespace {
Bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
Bytes corpus(const char* name) {
  return read_file(std::filesystem::path(FLOE_SIP_CORPUS) / name);
}
ParseResult parse_text(std::string_view s) { return parse_message(as_bytes(s)); }
}  // namespace

// Every seed named valid_* parses; every invalid_* is rejected, and a
// rejected request still yields enough to answer with an error response.
TEST(SipParser, TortureCorpus) {
  int valid = 0, invalid = 0;
  for (const auto& e : std::filesystem::directory_iterator(FLOE_SIP_CORPUS)) {
    auto name = e.path().filename().string();
    auto r = parse_message(read_file(e.path()));
    if (name.starts_with("valid_")) {
      EXPECT_TRUE(r.ok) << name << ": " << r.error_reason;
      ++valid;
    } else if (name.starts_with("invalid_")) {
      EXPECT_FALSE(r.ok) << name;
      if (r.start_line_ok && r.message.is_request()) {
        EXPECT_NE(r.error_status, 0) << name;
        EXPECT_FALSE(r.error_reason.empty()) << name;
      }
      ++invalid;
    }
  }
  EXPECT_GE(valid, 20);
  EXPECT_GE(invalid, 25);
}

TEST(SipParser, BasicInvite) {
  auto r = parse_message(corpus("valid_basic_invite"));
  ASSERT_TRUE(r.ok) << r.error_reason;
  const auto& m = r.message;
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.method, "INVITE");
  EXPECT_EQ(m.request_uri.user, "bob");
  EXPECT_EQ(m.request_uri.host, "198.51.100.7");
  EXPECT_EQ(m.request_uri.port, 5060);
  auto via = m.top_via();
  ASSERT_TRUE(via);
  EXPECT_EQ(via->transport, "UDP");
  EXPECT_EQ(via->branch(), "z9hG4bKfloe001");
  EXPECT_TRUE(via->rfc3261_branch());
  ASSERT_NE(find_param(via->params, "rport"), nullptr);
  EXPECT_FALSE(find_param(via->params, "rport")->has_value);
  EXPECT_EQ(m.from()->display_name, "Ann");
  EXPECT_EQ(m.from()->tag(), "aa11");
  EXPECT_EQ(m.to()->tag(), "");
  EXPECT_EQ(m.cseq()->number, 10u);
  EXPECT_EQ(m.cseq()->method, "INVITE");
  EXPECT_EQ(m.body.size(), 25u);
}

TEST(SipParser, CompactFormsAndMultipleVias) {
  auto r = parse_message(corpus("valid_compact_forms"));
  ASSERT_TRUE(r.ok) << r.error_reason;
  const auto& m = r.message;
  EXPECT_EQ(m.count("Via"), 2u);
  EXPECT_EQ(m.top_via()->transport, "TCP");
  EXPECT_EQ(m.call_id(), "cmp-call-id-1");
  EXPECT_EQ(m.all("Supported").size(), 2u);
  EXPECT_EQ(m.to()->uri.user, "carol");
  auto contacts = m.name_addrs("Contact");
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(find_param(contacts[0].params, "expires")->value, "60");
}

TEST(SipParser, FoldingCaseAndQuotedCommas) {
  auto r = parse_message(corpus("valid_folding_and_case"));
  ASSERT_TRUE(r.ok) << r.error_reason;
  const auto& m = r.message;
  EXPECT_EQ(m.cseq()->number, 9u);
  EXPECT_EQ(m.cseq()->method, "REGISTER");
  EXPECT_EQ(m.to()->display_name, "A long display name");
  EXPECT_EQ(m.from()->tag(), "fo1");
  EXPECT_EQ(m.header("Max-Forwards"), "7");
  auto contacts = m.name_addrs("Contact");
  ASSERT_EQ(contacts.size(), 2u);
  EXPECT_EQ(contacts[1].display_name, "Second, with comma");
  EXPECT_EQ(find_param(contacts[1].uri.params, "transport")->value, "tcp");
  EXPECT_EQ(find_param(contacts[1].params, "q")->value, "0.5");
  ASSERT_NE(find_param(m.top_via()->params, "rport"), nullptr);
}

TEST(SipParser, EscapesIpv6LwsTel) {
  auto esc = parse_message(corpus("valid_escaped_quotes"));
  ASSERT_TRUE(esc.ok) << esc.error_reason;
  EXPECT_EQ(esc.message.from()->display_name, "quote \" and backslash \\ inside");
  EXPECT_EQ(esc.message.to()->display_name, "<not a uri>, neither a list");
  EXPECT_EQ(std::string(esc.message.body.begin(), esc.message.body.end()), "hello");

  auto v6 = parse_message(corpus("valid_ipv6"));
  ASSERT_TRUE(v6.ok) << v6.error_reason;
  EXPECT_EQ(v6.message.request_uri.host, "2001:db8::10");
  EXPECT_EQ(v6.message.top_via()->host, "2001:db8::9");
  EXPECT_EQ(v6.message.top_via()->port, 5062);
  EXPECT_EQ(v6.message.request_uri.to_string(), "sip:[2001:db8::10]:5060;transport=udp");

  auto lws = parse_message(corpus("valid_lws_in_via"));
  ASSERT_TRUE(lws.ok) << lws.error_reason;
  EXPECT_EQ(lws.message.top_via()->port, 5066);
  EXPECT_EQ(lws.message.top_via()->branch(), "z9hG4bKlws");

  auto tel = parse_message(corpus("valid_tel_uri"));
  ASSERT_TRUE(tel.ok) << tel.error_reason;
  EXPECT_TRUE(tel.message.request_uri.is_tel());
  EXPECT_EQ(tel.message.request_uri.user, "+1-201-555-0123");
}

TEST(SipParser, SurplusBytesAreDroppedAndShortBodyRejected) {
  auto r = parse_message(corpus("valid_surplus_body_bytes"));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.message.body.size(), 3u);
  auto bad = parse_message(corpus("invalid_cl_too_big"));
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error_status, 400);
  EXPECT_EQ(bad.error_reason, "Content-Length larger than message");
}

TEST(SipParser, ErrorReasonsNameTheProblem) {
  struct Case {
    const char* file;
    int status;
    const char* reason;
  } cases[] = {
      {"invalid_cseq_mismatch", 400, "CSeq method does not match Request-Line"},
      {"invalid_cseq_overflow", 400, "Malformed CSeq header"},
      {"invalid_missing_call_id", 400, "Missing Call-ID header"},
      {"invalid_spaces_in_request_line", 400, "Malformed Request-Line (extra whitespace)"},
      {"invalid_version_7", 505, "Unsupported SIP version"},
      {"invalid_unknown_scheme", 416, "Unsupported URI scheme in Request-URI"},
      {"invalid_bad_port", 400, "Malformed Request-URI"},
      {"invalid_max_forwards_word", 400, "Malformed Max-Forwards header"},
      {"invalid_two_from", 400, "Multiple From headers"},
      {"invalid_no_colon_header", 400, "Header line without colon"},
      {"invalid_negative_cl", 400, "Malformed Content-Length header"},
      {"invalid_unterminated_quote", 400, "Malformed From header"},
      {"invalid_unclosed_angle_contact", 400, "Unterminated quote or <> in Contact header"},
      {"invalid_percent_not_escape", 400, "Malformed Request-URI"},
      {"invalid_mismatched_cl_pair", 400, "Malformed Content-Length header"},
      {"invalid_unclosed_ipv6", 400, "Malformed Request-URI"},
      {"invalid_via_without_host", 400, "Malformed Via header"},
      {"invalid_star_contact_in_list", 400, "Malformed Contact header"},
      {"invalid_space_in_header_name", 400, "Malformed header name"},
  };
  for (const auto& c : cases) {
    auto r = parse_message(corpus(c.file));
    EXPECT_FALSE(r.ok) << c.file;
    EXPECT_EQ(r.error_status, c.status) << c.file;
    EXPECT_EQ(r.error_reason, c.reason) << c.file;
  }
}

TEST(SipParser, MoreTortureValues) {
  auto lv = parse_message(corpus("valid_long_values"));
  ASSERT_TRUE(lv.ok) << lv.error_reason;
  EXPECT_EQ(lv.message.to()->params.size(), 100u);
  EXPECT_EQ(lv.message.header("X-Long").size(), 4000u);
  auto date = parse_message(corpus("valid_token_display_and_date"));
  ASSERT_TRUE(date.ok) << date.error_reason;
  EXPECT_EQ(date.message.count("Date"), 1u);  // not a list header: the comma stays
  EXPECT_EQ(date.message.from()->display_name, "-.!%*_+`'~");
  auto nocl = parse_message(corpus("valid_no_content_length"));
  ASSERT_TRUE(nocl.ok);
  EXPECT_EQ(nocl.message.body.size(), 21u);
  auto uh = parse_message(corpus("valid_uri_headers_and_sctp"));
  ASSERT_TRUE(uh.ok) << uh.error_reason;
  EXPECT_EQ(uh.message.top_via()->transport, "SCTP");
  auto c = uh.message.name_addrs("Contact");
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(c[0].uri.headers.size(), 2u);
  EXPECT_EQ(c[0].uri.headers[0].first, "Route");
  auto er = parse_message(corpus("valid_empty_reason"));
  ASSERT_TRUE(er.ok);
  EXPECT_EQ(er.message.reason, "");
  EXPECT_FALSE(parse_message(corpus("invalid_status_1000")).start_line_ok);
  EXPECT_FALSE(parse_message(corpus("invalid_missing_request_uri")).start_line_ok);
}

TEST(SipParser, GarbageIsNotAMessage) {
  for (std::string_view g : {"", "\r\n\r\n", "hello world", "\x16\x03\x01\x00", "GET\r\n\r\n",
                             "SIP/2.0 abc OK\r\n\r\n", "SIP/2.0 99 Low\r\n\r\n"}) {
    auto r = parse_text(g);
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.start_line_ok) << g;
  }
}

TEST(SipParser, RoundTrip) {
  auto r = parse_message(corpus("valid_folding_and_case"));
  ASSERT_TRUE(r.ok);
  auto again = parse_message(r.message.serialize());
  ASSERT_TRUE(again.ok) << again.error_reason;
  EXPECT_EQ(again.message.name_addrs("Contact").size(), 2u);
  EXPECT_EQ(again.message.to()->display_name, "A long display name");
}

TEST(SipParser, HeaderSectionLimit) {
  std::string big = "OPTIONS sip:a@b SIP/2.0\r\nX-Pad: " + std::string(20000, 'x') + "\r\n\r\n";
  auto r = parse_text(big);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_reason, "Header section too large");
}

TEST(SipStreamFramer, SplitsPipelinedMessagesAndWaitsForBody) {
  auto a = corpus("valid_basic_invite");
  auto b = corpus("valid_compact_forms");
  Bytes stream = {'\r', '\n', '\r', '\n'};  // keep-alive ping first
  stream.insert(stream.end(), a.begin(), a.end());
  stream.insert(stream.end(), b.begin(), b.end());
  StreamFramer f;
  // Byte by byte: nothing comes out early.
  std::vector<Bytes> out;
  for (auto byte : stream) {
    f.push(ByteView(&byte, 1));
    while (auto m = f.next()) out.push_back(*m);
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], a);
  EXPECT_EQ(out[1], b);
  EXPECT_EQ(f.keepalives(), 1u);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(SipStreamFramer, LimitsCloseTheStream) {
  StreamFramer f;
  std::string lie = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 999999999\r\n\r\nabc";
  f.push(as_bytes(lie));
  EXPECT_FALSE(f.next());
  EXPECT_TRUE(f.failed());
  EXPECT_EQ(f.error(), "Body too large");

  StreamFramer g;
  std::string endless = "OPTIONS sip:a@b SIP/2.0\r\n";
  g.push(as_bytes(endless));
  for (int i = 0; i < 2000 && !g.failed(); ++i) {
    g.push(as_bytes("X-Filler: 0123456789\r\n"));
    (void)g.next();
  }
  EXPECT_TRUE(g.failed());
}
