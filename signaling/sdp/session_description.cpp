#include "signaling/sdp/session_description.hpp"

namespace floe::sdp {

const char* to_string(Direction d) {
  switch (d) {
    case Direction::SendRecv: return "sendrecv";
    case Direction::SendOnly: return "sendonly";
    case Direction::RecvOnly: return "recvonly";
    case Direction::Inactive: return "inactive";
  }
  return "sendrecv";
}

Direction reverse(Direction d) {
  switch (d) {
    case Direction::SendOnly: return Direction::RecvOnly;
    case Direction::RecvOnly: return Direction::SendOnly;
    default: return d;
  }
}

bool sends(Direction d) { return d == Direction::SendRecv || d == Direction::SendOnly; }
bool receives(Direction d) { return d == Direction::SendRecv || d == Direction::RecvOnly; }

const char* to_string(Setup s) {
  switch (s) {
    case Setup::ActPass: return "actpass";
    case Setup::Active: return "active";
    case Setup::Passive: return "passive";
    case Setup::HoldConn: return "holdconn";
  }
  return "actpass";
}

bool MediaDescription::is_rtp() const { return proto.find("RTP/") != std::string::npos; }

bool MediaDescription::is_sctp() const {
  return proto.size() >= 4 && proto.compare(proto.size() - 4, 4, "SCTP") == 0;
}

const Codec* MediaDescription::find_codec(std::uint8_t payload_type) const {
  for (const auto& c : codecs)
    if (c.payload_type == payload_type) return &c;
  return nullptr;
}

const Group* SessionDescription::bundle_group() const {
  for (const auto& g : groups)
    if (g.semantics == "BUNDLE") return &g;
  return nullptr;
}

Transport SessionDescription::effective_transport(std::size_t index) const {
  Transport t = index < media.size() ? media[index].transport : Transport{};
  if (!t.ice_ufrag) t.ice_ufrag = transport.ice_ufrag;
  if (!t.ice_pwd) t.ice_pwd = transport.ice_pwd;
  if (t.ice_options.empty()) t.ice_options = transport.ice_options;
  if (t.fingerprints.empty()) t.fingerprints = transport.fingerprints;
  if (!t.setup) t.setup = transport.setup;
  return t;
}

}  // namespace floe::sdp
