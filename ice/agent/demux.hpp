#pragma once
// Single-port demultiplexing (DESIGN.md "Sockets"): many ICE agents share
// one UDP socket. The first byte classifies the datagram (RFC 7983 §7);
// STUN requests are routed by the local ufrag, the part of USERNAME before
// the colon (RFC 8445 §7.2.2); STUN responses and indications by the
// 5-tuple the agent sent its request on; DTLS/RTP/RTCP only by a 5-tuple
// that ICE has validated. Lookups hash string_views and addresses in
// pre-reserved tables: routing a datagram does not allocate.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/address.hpp"
#include "base/bytes.hpp"

namespace floe::ice {

enum class PacketClass : std::uint8_t { Stun, Dtls, Rtp, Unknown };
// RFC 7983 §7: 0-3 STUN, 16-19 ZRTP (unused here), 20-63 DTLS,
// 64-79 TURN channel data, 128-191 RTP/RTCP.
PacketClass classify_packet(ByteView bytes);

using AgentId = std::uint32_t;

struct DemuxCounters {
  std::uint64_t routed_by_ufrag = 0;
  std::uint64_t routed_by_tuple = 0;
  std::uint64_t unknown_ufrag = 0;
  std::uint64_t unknown_tuple = 0;
  std::uint64_t unvalidated_data = 0;
  std::uint64_t malformed = 0;
};

class IceDemux {
 public:
  explicit IceDemux(std::size_t expected_agents = 256);

  void add_ufrag(std::string_view ufrag, AgentId id);
  void remove_ufrag(std::string_view ufrag);
  // `validated`: ICE proved the path (a selected or valid pair), so media may
  // use it. Unvalidated tuples only carry STUN answers back to their agent.
  void add_tuple(const SocketAddress& local, const SocketAddress& remote, AgentId id,
                 bool validated);
  void remove_agent(AgentId id);

  // The agent a datagram belongs to, or nullopt (counted).
  std::optional<AgentId> route(const SocketAddress& local, const SocketAddress& remote,
                               ByteView bytes, PacketClass* cls = nullptr);

  const DemuxCounters& counters() const { return counters_; }
  std::size_t ufrag_count() const { return by_ufrag_.size(); }
  std::size_t tuple_count() const { return by_tuple_.size(); }

 private:
  struct Tuple {
    SocketAddress local, remote;
    bool operator==(const Tuple&) const = default;
  };
  struct TupleHash {
    std::size_t operator()(const Tuple& t) const noexcept {
      SocketAddressHash h;
      return h(t.local) * 31 + h(t.remote);
    }
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct TupleEntry {
    AgentId id;
    bool validated;
  };
  struct Owned {
    std::vector<std::string> ufrags;
    std::vector<Tuple> tuples;
  };

  std::unordered_map<std::string, AgentId, StringHash, std::equal_to<>> by_ufrag_;
  std::unordered_map<Tuple, TupleEntry, TupleHash> by_tuple_;
  std::unordered_map<AgentId, Owned> owned_;
  DemuxCounters counters_;
};

}  // namespace floe::ice
