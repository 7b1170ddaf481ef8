// Real sockets on loopback: many ICE agents behind ONE gateway UDP socket
// (UdpMux + IceDemux + IceAgentDriver), each paired with its own "browser"
// agent on its own socket. Built as ice_io_tests (it needs floe_ice_io).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <string>
#include <vector>

#include "ice/io/agent_driver.hpp"
#include "ice/io/agent_interfaces.hpp"
#include "ice/io/udp_mux.hpp"

using namespace floe;
namespace asio = boost::asio;

TEST(IceUdpMux, ManyAgentsShareOneGatewayPort) {
  constexpr int kCalls = 20;
  asio::io_context io;
  io::UdpMux gateway_port(io);
  ASSERT_FALSE(gateway_port.open(*SocketAddress::parse("127.0.0.1:0")));
  std::vector<std::unique_ptr<io::UdpMux>> browser_ports;
  std::vector<std::unique_ptr<io::IceAgentDriver>> gw, br;
  std::vector<std::vector<std::string>> gw_got(kCalls), br_got(kCalls);
  int selected = 0;

  for (int i = 0; i < kCalls; ++i) {
    gw.push_back(std::make_unique<io::IceAgentDriver>(io));
    br.push_back(std::make_unique<io::IceAgentDriver>(io));
    auto& g = *gw.back();
    auto& b = *br.back();
    g.agent().set_role(ice::IceRole::Controlled);
    b.agent().set_role(ice::IceRole::Controlling);
    g.agent().set_remote_credentials(b.agent().local_credentials().ufrag,
                                     b.agent().local_credentials().pwd);
    b.agent().set_remote_credentials(g.agent().local_credentials().ufrag,
                                     g.agent().local_credentials().pwd);
    auto wire = [&](io::IceAgentDriver& self, io::IceAgentDriver& other) {
      self.on_event([&](const ice::IceOutput& o) {
        if (auto* c = std::get_if<ice::LocalCandidate>(&o)) {
          // Signalling is a separate channel: deliver on a later loop turn.
          auto cand = c->candidate;
          asio::post(io, [&other, cand] {
            other.agent().add_remote_candidate(cand);
            other.pump();
          });
        } else if (std::get_if<ice::GatheringComplete>(&o)) {
          asio::post(io, [&other] {
            other.agent().end_of_remote_candidates();
            other.pump();
          });
        } else if (std::get_if<ice::SelectedPairChanged>(&o)) {
          if (++selected == 2 * kCalls) io.stop();
        }
      });
    };
    wire(g, b);
    wire(b, g);
    g.on_data([&gw_got, i](ByteView d, const SocketAddress&) {
      gw_got[i].emplace_back(as_chars(d));
    });
    b.on_data([&br_got, i](ByteView d, const SocketAddress&) {
      br_got[i].emplace_back(as_chars(d));
    });
    browser_ports.push_back(std::make_unique<io::UdpMux>(io, 4));
    ASSERT_FALSE(browser_ports.back()->open(*SocketAddress::parse("127.0.0.1:0")));
    g.add_socket(gateway_port);
    b.add_socket(*browser_ports.back());
    g.end_of_local_addresses();
    b.end_of_local_addresses();
  }
  io.run_for(std::chrono::seconds(10));
  ASSERT_EQ(selected, 2 * kCalls);
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(gw[i]->agent().selected_route()->local, gateway_port.local_address());
    EXPECT_EQ(gw[i]->agent().selected_route()->remote, browser_ports[i]->local_address());
  }

  // Media-like traffic: every call carries its own bytes, both ways.
  io.restart();
  for (int i = 0; i < kCalls; ++i) {
    std::uint8_t rtp_to_gw[] = {0x80, 0x00, static_cast<std::uint8_t>(i), 'g'};
    std::uint8_t rtp_to_br[] = {0x80, 0x00, static_cast<std::uint8_t>(i), 'b'};
    ASSERT_TRUE(br[i]->send(rtp_to_gw));
    ASSERT_TRUE(gw[i]->send(rtp_to_br));
  }
  // A stray datagram from an address no agent validated is not routed.
  io::UdpMux stranger(io, 1);
  ASSERT_FALSE(stranger.open(*SocketAddress::parse("127.0.0.1:0")));
  std::uint8_t stray[] = {0x80, 0x00, 0x00, 0x00};
  stranger.send_to(stray, gateway_port.local_address());
  io.run_for(std::chrono::milliseconds(300));
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_EQ(gw_got[i].size(), 1u) << i;
    ASSERT_EQ(br_got[i].size(), 1u) << i;
    EXPECT_EQ(static_cast<std::uint8_t>(gw_got[i][0][2]), i);
    EXPECT_EQ(gw_got[i][0][3], 'g');
    EXPECT_EQ(static_cast<std::uint8_t>(br_got[i][0][2]), i);
    EXPECT_EQ(br_got[i][0][3], 'b');
  }
  const auto& c = gateway_port.demux().counters();
  EXPECT_GE(c.routed_by_ufrag, static_cast<std::uint64_t>(kCalls));
  EXPECT_GE(c.routed_by_tuple, static_cast<std::uint64_t>(kCalls));
  EXPECT_EQ(c.unknown_ufrag, 0u);
  EXPECT_GE(gateway_port.unroutable(), 1u);
  EXPECT_EQ(gateway_port.demux().ufrag_count(), static_cast<std::size_t>(kCalls));
  // Drivers detach on destruction; the mux forgets their routes.
  gw.clear();
  EXPECT_EQ(gateway_port.demux().ufrag_count(), 0u);
  EXPECT_EQ(gateway_port.demux().tuple_count(), 0u);
}

TEST(IceInterfaces, ListsLoopbackOnlyWhenAsked) {
  auto with = io::list_interface_addresses(true);
  bool has_lo = false;
  for (const auto& a : with) {
    EXPECT_FALSE(a.address.is_v6() && a.address.is_link_local());
    has_lo = has_lo || a.address.is_loopback();
  }
  EXPECT_TRUE(has_lo);
  for (const auto& a : io::list_interface_addresses(false)) EXPECT_FALSE(a.address.is_loopback());
}
