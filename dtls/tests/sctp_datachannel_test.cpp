// Two Floe SCTP associations over two Floe DTLS transports on a scripted
// virtual-clock link: DCEP in both directions, negotiated channels, ordered
// and unordered messages from 0 B to max-message-size, partial reliability,
// channel close by stream reset and association shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "dtls/sctp/association.hpp"
#include "dtls/sctp/dcep.hpp"
#include "dtls/tests/test_link.hpp"

namespace floe::sctp {
namespace {

using dtls::Certificate;
using dtls::DtlsConfig;
using dtls::DtlsContext;
using dtls::DtlsTransport;
using dtls::Role;
using dtls::test::LinkParams;
using dtls::test::VirtualLink;

const Instant kT0 = Instant{} + seconds(5000);
using std::chrono::minutes;
constexpr std::size_t kMax = 256 * 1024;

struct End {
  std::unique_ptr<DtlsTransport> dtls;
  std::unique_ptr<SctpAssociation> sctp;
  bool connected = false;
  std::optional<std::string> closed;
  std::vector<SctpAssociation::ChannelOpen> opened;
  std::vector<SctpAssociation::Message> messages;
  std::vector<std::uint16_t> channel_closed;
};

class DataChannelPair {
 public:
  End e[2];
  std::unique_ptr<VirtualLink> link;

  bool dtls_up[2] = {false, false};

  explicit DataChannelPair(LinkParams p = {}, bool auto_start_sctp = true) {
    auto ca = Certificate::generate(), cb = Certificate::generate();
    DtlsConfig da, db;
    da.role = Role::Client;
    db.role = Role::Server;
    da.remote_fingerprint = cb->fingerprint();
    db.remote_fingerprint = ca->fingerprint();
    e[0].dtls = std::make_unique<DtlsTransport>(DtlsContext::create(ca), da);
    e[1].dtls = std::make_unique<DtlsTransport>(DtlsContext::create(cb), db);
    SctpConfig sa, sb;
    sa.dtls_client = true;
    sb.dtls_client = false;
    e[0].sctp = std::make_unique<SctpAssociation>(sa);
    e[1].sctp = std::make_unique<SctpAssociation>(sb);
    link = std::make_unique<VirtualLink>(*e[0].dtls, *e[1].dtls, p, kT0);
    link->on_event = [this, auto_start_sctp](int side, DtlsTransport::Output& o) {
      if (std::holds_alternative<DtlsTransport::Connected>(o)) {
        dtls_up[side] = true;
        if (auto_start_sctp) e[side].sctp->start(link->now());
      }
      if (auto* d = std::get_if<DtlsTransport::ApplicationData>(&o))
        e[side].sctp->handle_input(link->now(), d->data);
    };
    link->upper_next = [this] {
      return std::min(e[0].sctp->next_timeout(), e[1].sctp->next_timeout());
    };
    link->upper_timeout = [this](Instant now) {
      for (auto& x : e)
        if (x.sctp->next_timeout() <= now) x.sctp->handle_timeout(now);
    };
    link->upper_pump = [this] {
      for (auto& x : e) {
        while (auto o = x.sctp->poll_output()) {
          if (auto* t = std::get_if<SctpAssociation::Transmit>(&*o)) x.dtls->send(t->data);
          else if (std::holds_alternative<SctpAssociation::Connected>(*o)) x.connected = true;
          else if (auto* c = std::get_if<SctpAssociation::ChannelOpen>(&*o)) x.opened.push_back(*c);
          else if (auto* m = std::get_if<SctpAssociation::Message>(&*o)) x.messages.push_back(std::move(*m));
          else if (auto* cc = std::get_if<SctpAssociation::ChannelClosed>(&*o)) x.channel_closed.push_back(cc->id);
          else if (auto* cl = std::get_if<SctpAssociation::Closed>(&*o)) x.closed = cl->reason;
        }
      }
    };
    e[0].dtls->start(link->now());
    e[1].dtls->start(link->now());
  }
  Instant now() const { return link->now(); }
  bool run(Duration budget, const std::function<bool()>& done) {
    link->run_until(link->now() + budget, done);
    return done();
  }
  bool connect() {
    return run(seconds(30), [&] { return e[0].connected && e[1].connected; });
  }
};

Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 8));
  return b;
}

const std::size_t kSizes[] = {0, 1, 64 * 1024, kMax};

TEST(DataChannels, EachSideOpensAChannelAndAllSizesCrossOrderedAndUnordered) {
  DataChannelPair p;
  ASSERT_TRUE(p.connect());
  ChannelOptions ordered{.label = "from-client", .protocol = "chat"};
  ChannelOptions unordered{.label = "from-server", .ordered = false};
  auto a_id = p.e[0].sctp->open_channel(p.now(), ordered);
  auto b_id = p.e[1].sctp->open_channel(p.now(), unordered);
  ASSERT_TRUE(a_id && b_id);
  EXPECT_EQ(*a_id % 2, 0);  // DTLS client: even ids (RFC 8832 §6)
  EXPECT_EQ(*b_id % 2, 1);
  ASSERT_TRUE(p.run(seconds(5), [&] { return p.e[0].opened.size() == 2 && p.e[1].opened.size() == 2; }));
  for (int side = 0; side < 2; ++side) {
    for (const auto& o : p.e[side].opened) {
      bool mine = o.id % 2 == (side == 0 ? 0 : 1);
      EXPECT_EQ(o.by_peer, !mine);
      if (o.id == *a_id) {
        EXPECT_EQ(o.label, "from-client");
        EXPECT_EQ(o.protocol, "chat");
        EXPECT_EQ(o.type, ChannelType::Reliable);
      } else {
        EXPECT_EQ(o.label, "from-server");
        EXPECT_EQ(o.type, ChannelType::ReliableUnordered);
      }
    }
  }
  // Every size, string and binary, both directions, both channels.
  std::size_t expected[2] = {0, 0};
  for (int side = 0; side < 2; ++side) {
    for (std::uint16_t id : {*a_id, *b_id}) {
      std::uint8_t seed = 0;
      for (std::size_t n : kSizes) {
        for (bool binary : {false, true}) {
          ASSERT_TRUE(p.e[side].sctp->send(p.now(), id, pattern(n, ++seed), binary));
          ++expected[1 - side];
        }
      }
    }
  }
  ASSERT_TRUE(p.run(seconds(60), [&] {
    return p.e[0].messages.size() == expected[0] && p.e[1].messages.size() == expected[1];
  })) << p.e[0].messages.size() << "/" << expected[0] << " " << p.e[1].messages.size() << "/" << expected[1];
  for (int side = 0; side < 2; ++side) {
    for (std::uint16_t id : {*a_id, *b_id}) {
      std::vector<std::pair<Bytes, bool>> got, want;
      for (auto& m : p.e[side].messages)
        if (m.id == id) got.emplace_back(m.data, m.binary);
      std::uint8_t seed = 0;
      for (std::size_t n : kSizes)
        for (bool binary : {false, true}) want.emplace_back(pattern(n, ++seed), binary);
      if (id == *b_id) {  // unordered: same multiset
        auto less = [](const std::pair<Bytes, bool>& x, const std::pair<Bytes, bool>& y) {
          if (x.first.size() != y.first.size()) return x.first.size() < y.first.size();
          if (x.second != y.second) return x.second < y.second;
          return x.first.size() > 0 && std::memcmp(x.first.data(), y.first.data(), x.first.size()) < 0;
        };
        std::sort(got.begin(), got.end(), less);
        std::sort(want.begin(), want.end(), less);
      }
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].first.size(), want[i].first.size()) << "side " << side << " msg " << i;
        EXPECT_TRUE(got[i] == want[i]) << "side " << side << " channel " << id << " msg " << i;
      }
    }
  }
  EXPECT_EQ(p.e[0].sctp->counters().oversized_dropped, 0u);
}

TEST(DataChannels, MaxSizeMessagesSurviveLossAndReordering) {
  DataChannelPair p({.loss = 0.03, .max_delay = milliseconds(40), .seed = 9});
  ASSERT_TRUE(p.connect());
  auto id = p.e[1].sctp->open_channel(p.now(), {.label = "bulk"});
  ASSERT_TRUE(id);
  ASSERT_TRUE(p.run(seconds(20), [&] { return p.e[0].opened.size() == 1 && p.e[1].opened.size() == 1; }));
  for (int side = 0; side < 2; ++side)
    for (std::uint8_t seed : {1, 2})
      ASSERT_TRUE(p.e[side].sctp->send(p.now(), *id, pattern(kMax, seed), true));
  ASSERT_TRUE(p.run(minutes(5), [&] { return p.e[0].messages.size() == 2 && p.e[1].messages.size() == 2; }));
  for (int side = 0; side < 2; ++side) {
    EXPECT_EQ(p.e[side].messages[0].data, pattern(kMax, 1));
    EXPECT_EQ(p.e[side].messages[1].data, pattern(kMax, 2));
  }
  EXPECT_GT(p.link->dropped(), 0u);
}

TEST(DataChannels, NegotiatedChannelsNeedNoDcep) {
  DataChannelPair p;
  ASSERT_TRUE(p.connect());
  ChannelOptions o{.label = "pre-agreed", .negotiated_id = 7};
  ASSERT_EQ(p.e[0].sctp->open_channel(p.now(), o), 7);
  ASSERT_EQ(p.e[1].sctp->open_channel(p.now(), o), 7);
  ASSERT_EQ(p.e[0].opened.size(), 0u);  // pumped on the next step
  ASSERT_TRUE(p.e[0].sctp->send(p.now(), 7, as_bytes("ping"), false));
  ASSERT_TRUE(p.run(seconds(5), [&] { return p.e[1].messages.size() == 1; }));
  EXPECT_EQ(as_chars(p.e[1].messages[0].data), "ping");
  ASSERT_TRUE(p.e[1].sctp->send(p.now(), 7, as_bytes("pong"), true));
  ASSERT_TRUE(p.run(seconds(5), [&] { return p.e[0].messages.size() == 1; }));
  EXPECT_TRUE(p.e[0].messages[0].binary);
  ASSERT_EQ(p.e[0].opened.size(), 1u);
  EXPECT_FALSE(p.e[0].opened[0].by_peer);
  EXPECT_EQ(p.e[1].opened.size(), 1u);  // no DCEP-announced channel appeared
  EXPECT_EQ(p.e[1].sctp->counters().bad_dcep, 0u);
  // The same id cannot be opened twice.
  EXPECT_FALSE(p.e[0].sctp->open_channel(p.now(), o));
}

TEST(DataChannels, PartialReliabilityIsSignalledAndLossyLinkDoesNotStall) {
  DataChannelPair p({.loss = 0.05, .max_delay = milliseconds(20), .seed = 3});
  ASSERT_TRUE(p.connect());
  auto rexmit = p.e[0].sctp->open_channel(
      p.now(), {.label = "rexmit", .ordered = false, .max_retransmits = 0});
  auto timed = p.e[0].sctp->open_channel(
      p.now(), {.label = "timed", .max_packet_lifetime_ms = 150});
  ASSERT_TRUE(rexmit && timed);
  EXPECT_FALSE(p.e[0].sctp->open_channel(
      p.now(), {.label = "both", .max_retransmits = 1, .max_packet_lifetime_ms = 5}));
  ASSERT_TRUE(p.run(seconds(20), [&] { return p.e[1].opened.size() == 2; }));
  for (const auto& o : p.e[1].opened) {
    if (o.label == "rexmit") {
      EXPECT_EQ(o.type, ChannelType::PartialReliableRexmitUnordered);
      EXPECT_EQ(o.reliability_parameter, 0u);
    } else {
      EXPECT_EQ(o.type, ChannelType::PartialReliableTimed);
      EXPECT_EQ(o.reliability_parameter, 150u);
    }
  }
  ASSERT_TRUE(p.run(seconds(10), [&] { return p.e[0].opened.size() == 2; }));  // ACKs
  const int kCount = 200;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(p.e[0].sctp->send(p.now(), *rexmit, pattern(300, static_cast<std::uint8_t>(i)), true));
    ASSERT_TRUE(p.e[0].sctp->send(p.now(), *timed, pattern(300, static_cast<std::uint8_t>(i)), true));
    p.run(milliseconds(5), [] { return false; });
  }
  p.run(seconds(10), [] { return false; });
  std::size_t got_rexmit = 0, got_timed = 0;
  for (auto& m : p.e[1].messages) (m.id == *rexmit ? got_rexmit : got_timed)++;
  // Some messages are lost for good (no retransmission allowed), the rest arrive.
  EXPECT_GT(got_rexmit, kCount / 2);
  EXPECT_LT(got_rexmit, static_cast<std::size_t>(kCount));
  EXPECT_GT(got_timed, kCount / 2);
  EXPECT_LE(got_timed, static_cast<std::size_t>(kCount));
  // A reliable channel on the same lossy association still delivers everything.
  auto reliable = p.e[0].sctp->open_channel(p.now(), {.label = "reliable"});
  ASSERT_TRUE(reliable);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(p.e[0].sctp->send(p.now(), *reliable, pattern(1000, 1), true));
  std::size_t before = p.e[1].messages.size();
  ASSERT_TRUE(p.run(seconds(60), [&] { return p.e[1].messages.size() == before + 50; }));
}

TEST(DataChannels, ClosingAChannelResetsBothDirections) {
  DataChannelPair p;
  ASSERT_TRUE(p.connect());
  auto id = p.e[1].sctp->open_channel(p.now(), {.label = "short-lived"});
  ASSERT_TRUE(id);
  ASSERT_TRUE(p.run(seconds(5), [&] { return p.e[0].opened.size() == 1 && p.e[1].opened.size() == 1; }));
  ASSERT_TRUE(p.e[1].sctp->send(p.now(), *id, as_bytes("last words"), false));
  p.e[1].sctp->close_channel(p.now(), *id);
  EXPECT_FALSE(p.e[1].sctp->send(p.now(), *id, as_bytes("too late"), false));
  ASSERT_TRUE(p.run(seconds(10), [&] {
    return p.e[0].channel_closed.size() == 1 && p.e[1].channel_closed.size() == 1;
  }));
  EXPECT_EQ(p.e[0].channel_closed[0], *id);
  ASSERT_EQ(p.e[0].messages.size(), 1u);  // data sent before the reset still arrives
  EXPECT_EQ(as_chars(p.e[0].messages[0].data), "last words");
  EXPECT_FALSE(p.e[0].sctp->send(p.now(), *id, as_bytes("x"), false));
  // The id can be used again afterwards.
  auto again = p.e[0].sctp->open_channel(p.now(), {.label = "next", .negotiated_id = *id});
  EXPECT_TRUE(again);
}

TEST(DataChannels, OversizedMessagesAreRefusedAndShutdownClosesBothEnds) {
  DataChannelPair p;
  ASSERT_TRUE(p.connect());
  auto id = p.e[0].sctp->open_channel(p.now(), {.label = "x"});
  ASSERT_TRUE(id);
  EXPECT_FALSE(p.e[0].sctp->send(p.now(), *id, Bytes(kMax + 1, 1), true));
  EXPECT_FALSE(p.e[0].sctp->send(p.now(), 999, as_bytes("no such channel"), true));
  ASSERT_TRUE(p.run(seconds(5), [&] { return p.e[1].opened.size() == 1; }));
  p.e[0].sctp->shutdown(p.now());
  ASSERT_TRUE(p.run(seconds(10), [&] { return p.e[0].closed && p.e[1].closed; }));
  EXPECT_EQ(p.e[0].sctp->state(), SctpAssociation::State::Closed);
  EXPECT_EQ(p.e[0].channel_closed.size(), 1u);
  EXPECT_EQ(p.e[1].channel_closed.size(), 1u);
  EXPECT_EQ(p.e[1].sctp->next_timeout(), kNever);
}

// usrsctp's timers run on the virtual clock (usrsctp_handle_timers fed from
// handle_timeout, its timestamps through ScopedEngineClock): INIT retransmits
// and gives up after minutes of virtual time and milliseconds of real time.
TEST(DataChannels, UnansweredInitFailsOnVirtualTime) {
  DataChannelPair p({}, false);
  ASSERT_TRUE(p.run(seconds(10), [&] { return p.dtls_up[0] && p.dtls_up[1]; }));
  p.link->blackhole = true;
  Instant started = p.now();
  auto real_start = std::chrono::steady_clock::now();
  p.e[0].sctp->start(p.now());
  ASSERT_TRUE(p.run(minutes(10), [&] { return p.e[0].closed.has_value(); }));
  EXPECT_NE(p.e[0].closed->find("could not start"), std::string::npos) << *p.e[0].closed;
  Duration virtual_elapsed = p.now() - started;
  std::printf("INIT abandoned after %lld ms of virtual time, %zu datagrams dropped\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(virtual_elapsed).count()),
              static_cast<std::size_t>(p.link->dropped()));
  EXPECT_GT(virtual_elapsed, seconds(20));   // 8 INIT retransmissions with back-off
  EXPECT_LT(virtual_elapsed, minutes(5));
  EXPECT_LT(std::chrono::steady_clock::now() - real_start, seconds(30));
  EXPECT_GT(p.link->dropped(), 5u);
}

TEST(DataChannels, PeerThatGoesSilentIsDeclaredLost) {
  DataChannelPair p;
  ASSERT_TRUE(p.connect());
  auto id = p.e[0].sctp->open_channel(p.now(), {.label = "doomed"});
  ASSERT_TRUE(id);
  ASSERT_TRUE(p.run(seconds(5), [&] { return p.e[1].opened.size() == 1; }));
  p.link->blackhole = true;
  ASSERT_TRUE(p.e[0].sctp->send(p.now(), *id, Bytes(5000, 1), true));
  Instant silent_at = p.now();
  ASSERT_TRUE(p.run(minutes(10), [&] { return p.e[0].closed.has_value(); }));
  std::printf("association declared lost after %lld ms of virtual silence\n",
              static_cast<long long>(
                  std::chrono::duration_cast<milliseconds>(p.now() - silent_at).count()));
  EXPECT_NE(p.e[0].closed->find("lost"), std::string::npos) << *p.e[0].closed;
  ASSERT_EQ(p.e[0].channel_closed.size(), 1u);
  EXPECT_EQ(p.e[0].channel_closed[0], *id);
}

TEST(Dcep, OpenRoundTripAndMalformedInput) {
  DataChannelOpen o{ChannelType::PartialReliableTimedUnordered, 512, 3000, "label", "proto"};
  Bytes wire = encode_open(o);
  EXPECT_EQ(wire.size(), 12u + 5 + 5);
  auto back = parse_open(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->channel_type, o.channel_type);
  EXPECT_EQ(back->priority, 512);
  EXPECT_EQ(back->reliability_parameter, 3000u);
  EXPECT_EQ(back->label, "label");
  EXPECT_EQ(back->protocol, "proto");
  for (std::size_t cut = 0; cut < wire.size(); ++cut)
    EXPECT_FALSE(parse_open({wire.data(), cut})) << cut;
  wire[1] = 0x05;  // unknown channel type
  EXPECT_FALSE(parse_open(wire));
  EXPECT_TRUE(is_ack(encode_ack()));
  EXPECT_FALSE(is_ack(wire));
}

}  // namespace
}  // namespace floe::sctp
