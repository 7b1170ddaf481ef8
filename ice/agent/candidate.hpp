#pragma once
// ICE candidates (RFC 8445 §5.1) and their SDP `candidate` attribute
// (RFC 8839 §5.1). Only UDP candidates are kept: WebRTC media runs over UDP
// and ICE-TCP (RFC 6544) candidates are reported as unsupported.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/address.hpp"

namespace floe::ice {

enum class CandidateType : std::uint8_t { Host, ServerReflexive, PeerReflexive, Relayed };
const char* to_string(CandidateType t);  // "host", "srflx", "prflx", "relay"

// §5.1.2.2 recommended type preferences.
std::uint32_t type_preference(CandidateType t);
// §5.1.2.1: (2^24)*type pref + (2^8)*local pref + (256 - component id).
std::uint32_t compute_priority(CandidateType t, std::uint32_t local_preference,
                               std::uint16_t component);
// §5.1.2.2: a multihomed agent gives each base a distinct local preference;
// IPv6 first (RFC 6724 order), then by the position the address was given in.
std::uint32_t local_preference_for(const IpAddress& base, std::size_t index);
// §5.1.1.3: candidates share a foundation when type, base IP, server IP and
// transport are the same. The result is a short ice-char string.
std::string compute_foundation(CandidateType t, const IpAddress& base,
                               const std::optional<IpAddress>& server);

struct Candidate {
  std::string foundation;
  std::uint16_t component = 1;
  std::uint32_t priority = 0;
  CandidateType type = CandidateType::Host;
  SocketAddress address;  // the transport address signalled to the peer
  // Where the agent sends from and receives on: the host address for host,
  // srflx and local prflx candidates, the relayed address for relay ones.
  SocketAddress base;
  std::optional<SocketAddress> related;  // raddr/rport
  // Set when the peer signalled an mDNS name (RFC 8839 §5.1, `xxxx.local`)
  // instead of an address; such candidates are not paired.
  std::string hostname;
  // The `ufrag` extension browsers add (RFC 8838 §4.3 ties a trickled
  // candidate to one ICE generation); empty when absent.
  std::string ufrag;

  bool is_mdns() const { return !hostname.empty(); }
  bool operator==(const Candidate& o) const {
    return type == o.type && component == o.component && address == o.address &&
           base == o.base && priority == o.priority && foundation == o.foundation;
  }
};

enum class CandidateParseError : std::uint8_t {
  None,
  Malformed,        // missing fields, bad numbers, bad address
  UnsupportedTransport,  // TCP (tcptype) or anything but UDP
  LinkLocalNoZone,  // IPv6 link-local: useless without a zone id (DESIGN.md)
};
const char* to_string(CandidateParseError e);

// Parses `candidate:...` or `a=candidate:...` or the bare value after the
// colon. An mDNS hostname yields a Candidate with hostname set and address
// left unspecified (port kept).
std::optional<Candidate> parse_candidate(std::string_view sdp,
                                         CandidateParseError* error = nullptr);
// Formats the attribute value "candidate:<foundation> ... typ <type> [raddr
// <ip> rport <port>]" without the "a=" prefix. raddr/rport are written for
// srflx, prflx and relay candidates (Firefox wants them, DESIGN.md).
std::string format_candidate(const Candidate& c);

}  // namespace floe::ice
