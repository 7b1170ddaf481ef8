// BrowserLeg on real sockets (127.0.0.1): one leg makes an offer the way
// Floe rings a browser, another answers it the way Floe answers a browser;
// both connect over ICE + DTLS-SRTP + SCTP on their own MediaPorts, RTP and
// a data-channel message cross, and the negotiated codecs and SSRCs are
// what the SDP said.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstring>
#include <variant>
#include <vector>

#include "gateway/webrtc/browser_leg.hpp"
#include "signaling/sdp/parser.hpp"

namespace floe::webrtc {
namespace {

struct Side {
  std::vector<signaling::CallEvent> events;
  std::shared_ptr<signaling::CallSink> sink;
  bool connected = false;
  std::vector<std::vector<std::uint8_t>> rtp;
  std::vector<std::string> messages;
  std::optional<std::string> ended;
  std::optional<std::uint32_t> ssrc;
  explicit Side(const std::string& call) {
    sink = std::make_shared<signaling::CallSink>(
        signaling::CallKey{"s", call},
        [this](const signaling::CallKey&, signaling::CallEvent e) { events.push_back(std::move(e)); });
  }
  BrowserLeg::Callbacks callbacks() {
    BrowserLeg::Callbacks cb;
    cb.connected = [this](Instant) { connected = true; };
    cb.ended = [this](const std::string& r, const std::string& m) { ended = r + ": " + m; };
    cb.media = [this](Instant, MediaKind k, std::span<std::uint8_t> b, std::size_t n) {
      EXPECT_GE(b.size(), n + BrowserLeg::kMaxOverhead);
      if (k == MediaKind::Rtp) rtp.emplace_back(b.begin(), b.begin() + static_cast<long>(n));
    };
    cb.message = [this](Instant, std::uint16_t, bool, ByteView d) {
      messages.emplace_back(reinterpret_cast<const char*>(d.data()), d.size());
    };
    cb.remote_ssrc = [this](Instant, std::uint32_t s) { ssrc = s; };
    return cb;
  }
  // Candidates this side trickled since the last call.
  std::vector<std::string> take_candidates() {
    std::vector<std::string> out;
    for (auto& e : events)
      if (auto* c = std::get_if<signaling::event::Candidate>(&e)) out.push_back(c->candidate.candidate);
    std::erase_if(events, [](const auto& e) { return std::holds_alternative<signaling::event::Candidate>(e); });
    return out;
  }
  std::optional<std::string> answer() const {
    for (auto& e : events)
      if (auto* a = std::get_if<signaling::event::Answer>(&e)) return a->sdp;
    return std::nullopt;
  }
};

BrowserLegOptions options() {
  BrowserLegOptions o;
  o.dtls_context = dtls::DtlsContext::create(dtls::Certificate::generate());
  o.stats_interval = milliseconds(200);
  return o;
}

sdp::Capabilities caps() {
  auto c = sdp::default_audio_capabilities();
  c.data_channel = true;
  return c;
}

template <typename F>
bool run_until(boost::asio::io_context& io, F done, Duration limit = seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.run_for(std::chrono::milliseconds(10));
    io.restart();
  }
  return done();
}

std::vector<std::uint8_t> rtp_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ssrc) {
  std::vector<std::uint8_t> p(12 + 20 + BrowserLeg::kMaxOverhead, 0xab);
  p[0] = 0x80;
  p[1] = pt;
  p[2] = static_cast<std::uint8_t>(seq >> 8);
  p[3] = static_cast<std::uint8_t>(seq);
  std::memset(&p[4], 0, 4);
  p[4 + 3] = static_cast<std::uint8_t>(seq * 160);
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  return p;
}

TEST(BrowserLeg, FloeOffersAnotherLegAnswersMediaAndDataCross) {
  boost::asio::io_context io;
  MediaPort port_a(io), port_b(io);
  const auto lo = *SocketAddress::parse("127.0.0.1:0", 0);
  ASSERT_FALSE(port_a.open({lo}));
  ASSERT_FALSE(port_b.open({lo}));

  Side a("offerer"), b("answerer");
  // The offerer has no sink until the browser was rung.
  BrowserLeg offerer(io, port_a, options(), nullptr, a.callbacks());
  BrowserLeg answerer(io, port_b, options(), b.sink, b.callbacks());

  auto offer = offerer.start_offer(caps(), {.audio = true, .video = false, .data_channel = true});
  ASSERT_TRUE(offer);
  EXPECT_NE(offer->find("a=candidate:"), std::string::npos) << *offer;
  EXPECT_NE(offer->find("a=setup:actpass"), std::string::npos);
  offerer.set_sink(a.sink);

  auto parsed_offer = sdp::parse(*offer);
  ASSERT_TRUE(parsed_offer.ok()) << parsed_offer.error().to_string();
  ASSERT_TRUE(answerer.answer(parsed_offer.value(), caps()));
  auto answer = b.answer();
  ASSERT_TRUE(answer);
  EXPECT_NE(answer->find("a=setup:active"), std::string::npos);
  auto parsed_answer = sdp::parse(*answer);
  ASSERT_TRUE(parsed_answer.ok()) << parsed_answer.error().to_string();
  std::string why;
  ASSERT_TRUE(offerer.apply_answer(parsed_answer.value(), &why)) << why;
  for (const auto& c : b.take_candidates()) offerer.add_remote_candidate(c);
  offerer.end_of_remote_candidates();

  ASSERT_TRUE(run_until(io, [&] { return a.connected && b.connected; })) << a.ended.value_or("")
                                                                          << b.ended.value_or("");
  // The answerer (DTLS client) sends its ClientHello on a pair it validated
  // before the offerer's own check on it succeeded; the offerer holds it
  // instead of waiting ~1 s for the retransmission.
  ASSERT_TRUE(offerer.timings().dtls_connected);
  EXPECT_LT(*offerer.timings().dtls_connected - offerer.timings().started, milliseconds(600));
  ASSERT_TRUE(offerer.audio() && answerer.audio());
  EXPECT_EQ(offerer.audio()->codecs.front().name, "opus");
  EXPECT_EQ(answerer.audio()->codecs.front().payload_type,
            offerer.audio()->codecs.front().payload_type);
  // Each side's SDP announced its SSRC to the other.
  ASSERT_EQ(answerer.audio()->remote_ssrcs.size(), 1u);
  EXPECT_EQ(answerer.audio()->remote_ssrcs[0], offerer.audio()->local_ssrc);
  EXPECT_TRUE(offerer.data_channel());

  const std::uint8_t pt = offerer.audio()->codecs.front().payload_type;
  for (std::uint16_t i = 0; i < 5; ++i) {
    auto p = rtp_packet(pt, static_cast<std::uint16_t>(100 + i), offerer.audio()->local_ssrc);
    EXPECT_TRUE(offerer.send_rtp(p, 32));
  }
  auto id = offerer.open_channel("chat");
  ASSERT_TRUE(run_until(io, [&] { return b.rtp.size() == 5; }));
  EXPECT_EQ(b.ssrc, offerer.audio()->local_ssrc);
  EXPECT_EQ(b.rtp[0].size(), 32u);
  EXPECT_EQ(answerer.receive_stats().packets(), 5u);
  EXPECT_EQ(answerer.receive_stats().lost(), 0);
  if (id) {
    run_until(io, [&] { return false; }, milliseconds(300));
    const std::string hi = "hello";
    EXPECT_TRUE(offerer.send_message(*id, as_bytes(hi), false));
    EXPECT_TRUE(run_until(io, [&] { return !b.messages.empty(); }));
    if (!b.messages.empty()) EXPECT_EQ(b.messages[0], "hello");
  }
  // stats events flow while media does.
  EXPECT_TRUE(run_until(io, [&] {
    for (auto& e : b.events)
      if (auto* s = std::get_if<signaling::event::Stats>(&e))
        return s->values.count("packetsReceived") && s->values.at("packetsReceived") == 5;
    return false;
  }));
  auto t = answerer.totals();
  EXPECT_EQ(t.rtp_in, 5u);
  EXPECT_EQ(t.srtp_auth_or_replay, 0u);
  std::string metrics;
  append_leg_metrics(metrics, t);
  EXPECT_NE(metrics.find("floe_browser_rtp_received_total 5\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("floe_browser_drops_total{reason=\"srtp_auth_or_replay\"} 0"),
            std::string::npos);
  offerer.hangup();
  answerer.hangup();
}

TEST(BrowserLeg, AnswerThatDoesNotFitTheOfferIsRefused) {
  boost::asio::io_context io;
  MediaPort port(io);
  ASSERT_FALSE(port.open({*SocketAddress::parse("127.0.0.1:0", 0)}));
  Side a("x");
  BrowserLeg leg(io, port, options(), a.sink, a.callbacks());
  auto offer = leg.start_offer(caps(), {});
  ASSERT_TRUE(offer);
  // Answering with the offer itself: actpass is no answer, and the
  // fingerprint is ours; the leg refuses and stays unstarted.
  auto same = sdp::parse(*offer);
  ASSERT_TRUE(same.ok());
  std::string why;
  EXPECT_FALSE(leg.apply_answer(same.value(), &why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(leg.media_ready());
}

}  // namespace
}  // namespace floe::webrtc
