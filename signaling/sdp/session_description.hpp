#pragma once
// The SDP model Floe reads from and writes to browsers (RFC 8866 syntax,
// RFC 8829 JSEP usage). Only what WebRTC offers carry is modelled as fields;
// any other attribute is kept verbatim in `other` so nothing is silently lost
// when a description is parsed and printed again.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace floe::sdp {

// RFC 8866 §6.7: media direction attributes.
enum class Direction : std::uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };
const char* to_string(Direction d);
// The direction an answerer mirrors for an offered one (RFC 3264 §6.1).
Direction reverse(Direction d);
bool sends(Direction d);
bool receives(Direction d);

// RFC 4145 §4 / RFC 8842 §5: which side starts the DTLS handshake.
enum class Setup : std::uint8_t { ActPass, Active, Passive, HoldConn };
const char* to_string(Setup s);

// RFC 8122 §5: a=fingerprint:<hash-func> <hex pairs separated by ':'>.
struct Fingerprint {
  std::string algorithm;  // lower case, e.g. "sha-256"
  std::string value;      // upper case hex with colons
  bool operator==(const Fingerprint&) const = default;
};

// ICE and DTLS attributes; JSEP allows them at session level (Firefox puts
// fingerprint and ice-options there) or in each media section.
struct Transport {
  std::optional<std::string> ice_ufrag;
  std::optional<std::string> ice_pwd;
  std::vector<std::string> ice_options;  // e.g. "trickle"
  std::vector<Fingerprint> fingerprints;
  std::optional<Setup> setup;
  bool operator==(const Transport&) const = default;
};

// One RTP payload format: a=rtpmap, a=fmtp and a=rtcp-fb for one payload type.
struct Codec {
  std::uint8_t payload_type = 0;
  std::string name;              // as written, e.g. "opus", "PCMU"
  std::uint32_t clock_rate = 0;
  std::uint8_t channels = 0;     // 0: not written (means 1 for audio)
  std::string fmtp;              // parameters after "a=fmtp:<pt> "
  std::vector<std::string> rtcp_fb;  // values after "a=rtcp-fb:<pt> "
  bool has_rtpmap = false;       // static payload types may omit a=rtpmap
  bool operator==(const Codec&) const = default;
};

// RFC 8285 §8: a=extmap:<id>[/<direction>] <uri> [<attributes>].
struct Extmap {
  std::uint16_t id = 0;
  std::optional<Direction> direction;
  std::string uri;
  std::string attributes;
  bool operator==(const Extmap&) const = default;
};

// RFC 5576: a=ssrc:<ssrc> <attribute>[:<value>].
struct SsrcAttribute {
  std::uint32_t ssrc = 0;
  std::string attribute;
  std::string value;
  bool operator==(const SsrcAttribute&) const = default;
};

// RFC 5576 §4.2: a=ssrc-group:<semantics> <ssrc>...
struct SsrcGroup {
  std::string semantics;
  std::vector<std::uint32_t> ssrcs;
  bool operator==(const SsrcGroup&) const = default;
};

// RFC 8830: a=msid:<stream id> [<track id>].
struct Msid {
  std::string stream;
  std::string track;
  bool operator==(const Msid&) const = default;
};

// RFC 5888: a=group:<semantics> <mid>...
struct Group {
  std::string semantics;
  std::vector<std::string> mids;
  bool operator==(const Group&) const = default;
};

// An attribute Floe does not model, kept for round trips.
struct Attribute {
  std::string name;
  std::optional<std::string> value;
  bool operator==(const Attribute&) const = default;
};

struct MediaDescription {
  std::string media;           // "audio", "video", "application", ...
  std::uint16_t port = 0;      // 0: rejected or bundle-only
  std::optional<std::uint16_t> port_count;
  std::string proto;           // "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ...
  std::vector<std::string> formats;
  std::optional<std::string> connection;  // c= value, e.g. "IN IP4 0.0.0.0"
  std::optional<std::string> rtcp;        // a=rtcp value (RFC 3605)

  std::optional<std::string> mid;
  std::optional<Direction> direction;  // absent means sendrecv (RFC 8866 §6.7)
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  bool bundle_only = false;

  Transport transport;
  std::vector<std::string> candidates;  // "candidate:..." verbatim (RFC 8839 §5.1)
  bool end_of_candidates = false;

  std::vector<Codec> codecs;  // in m= line order, for RTP media
  std::vector<Extmap> extmaps;
  std::vector<Msid> msids;
  std::vector<SsrcAttribute> ssrcs;
  std::vector<SsrcGroup> ssrc_groups;

  std::optional<std::uint16_t> sctp_port;          // RFC 8841 §5
  std::optional<std::uint64_t> max_message_size;   // RFC 8841 §6
  std::vector<Attribute> other;

  Direction effective_direction() const {
    return direction.value_or(Direction::SendRecv);
  }
  bool is_rtp() const;   // proto contains "RTP/"
  bool is_sctp() const;  // proto ends in "SCTP"
  const Codec* find_codec(std::uint8_t payload_type) const;
  bool operator==(const MediaDescription&) const = default;
};

struct Origin {
  std::string username = "-";
  std::string session_id = "0";       // digits; kept as text, may exceed 64 bits
  std::string session_version = "0";
  std::string net_type = "IN";
  std::string addr_type = "IP4";
  std::string address = "127.0.0.1";
  bool operator==(const Origin&) const = default;
};

struct SessionDescription {
  Origin origin;
  std::string session_name = "-";
  std::string timing = "0 0";
  std::optional<std::string> connection;
  std::vector<Group> groups;
  std::optional<std::string> msid_semantic;  // value after "a=msid-semantic:"
  bool ice_lite = false;
  bool extmap_allow_mixed = false;
  Transport transport;  // session-level defaults
  std::vector<Attribute> other;
  std::vector<MediaDescription> media;

  // The BUNDLE group, if any (RFC 9143).
  const Group* bundle_group() const;
  // Transport of media section `index` with session-level values filled in
  // where the section has none.
  Transport effective_transport(std::size_t index) const;
  bool operator==(const SessionDescription&) const = default;
};

}  // namespace floe::sdp
