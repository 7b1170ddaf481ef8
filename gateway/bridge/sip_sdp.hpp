#pragma once
// The SIP side's SDP (RFC 3264 offer/answer with plain RTP/AVP, RFC 3551)
// and its mapping to the browser side's codecs. No transcoding: one codec
// flows end to end, only its payload type number may differ per leg.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.hpp"
#include "signaling/sdp/offer_answer.hpp"
#include "signaling/sdp/session_description.hpp"

namespace floe::bridge {

// A codec of the SIP leg that Floe can pass through from a browser.
bool bridgeable(const sdp::Codec& c);
bool is_telephone_event(const sdp::Codec& c);
// `allowed` holds names (PCMU, PCMA, G722, telephone-event, opus).
bool trunk_allows(const std::vector<std::string>& allowed, const sdp::Codec& c);
bool same_codec(const sdp::Codec& a, const sdp::Codec& b);  // name, rate, channels

// Floe's side of the SIP media session.
struct SipLocalMedia {
  SocketAddress rtp;        // c= and m= port
  bool rtcp_mux = false;    // a=rtcp-mux (offered only when the peer used it)
  std::vector<sdp::Codec> codecs;  // SIP payload types, preference order
  sdp::Direction direction = sdp::Direction::SendRecv;
  std::uint64_t session_id = 0;
  std::uint64_t version = 1;  // o= version; bumped on every change (RFC 3264 §8)
};
std::string write_sip_sdp(const SipLocalMedia& m);

// What the SIP peer's SDP says about its audio stream.
struct SipRemoteMedia {
  std::optional<SocketAddress> rtp;   // nullopt: port 0 or c=0.0.0.0 (RFC 2543 hold)
  std::optional<SocketAddress> rtcp;  // a=rtcp, else rtp+1 (RFC 3605); rtp when muxed
  bool rtcp_mux = false;
  sdp::Direction direction = sdp::Direction::SendRecv;  // as the peer wrote it
  bool legacy_hold = false;           // c=0.0.0.0
  std::vector<sdp::Codec> codecs;     // media codecs in the peer's order
  std::optional<sdp::Codec> telephone_event;  // at 8 kHz (RFC 4733)
  std::uint64_t origin_version = 0;
  // The peer sends to us / wants our media (its direction, c=0.0.0.0 counted).
  bool peer_sends() const { return rtp && sdp::sends(direction); }
  bool peer_receives() const { return rtp && sdp::receives(direction); }
};
// Reads the first audio section of a SIP peer's description. nullopt with
// `why` when there is none or its transport is not RTP/AVP(F).
std::optional<SipRemoteMedia> read_sip_media(const sdp::SessionDescription& sdp, std::string* why);
std::optional<SipRemoteMedia> read_sip_media(std::string_view text, std::string* why);

// ---- Browser calls out: the offer to the trunk and the browser's answer.

// The SIP offer's codecs: the browser offer's audio codecs the trunk
// allows, in the browser's order, with the browser's payload types.
std::vector<sdp::Codec> sip_offer_codecs(const sdp::SessionDescription& browser_offer,
                                         const std::vector<std::string>& allowed);

// Both legs' view of one agreed codec (and telephone-event).
struct CodecMapping {
  sdp::Codec codec;                 // name/rate as agreed
  std::uint8_t sip_pt = 0;          // the SIP peer's number for it
  std::uint8_t browser_pt = 0;      // the browser's number for it
  std::optional<std::uint8_t> sip_event_pt;
  std::optional<std::uint8_t> browser_event_pt;
};

// The capabilities that make create_answer() pick exactly `codec` (and
// telephone-event at its rate) from a browser offer.
sdp::Capabilities browser_capabilities_for(const sdp::Codec& codec, bool data_channel);

// After the SIP answer: the codec it chose (its first media codec that we
// offered) mapped to the browser's payload types. nullopt: nothing common.
std::optional<CodecMapping> map_sip_answer(const SipRemoteMedia& answer,
                                           const std::vector<sdp::Codec>& offered);
// Completes a mapping with the browser payload types of a negotiated answer.
void set_browser_payload_types(CodecMapping& m, const std::vector<sdp::Codec>& browser_codecs);

// ---- A trunk calls a browser: the browser offer and the SIP answer.

// Capabilities for create_offer(): the SIP offer's codecs the trunk allows
// and Floe can bridge, in the SIP order, keeping the SIP payload types.
// Without a SIP offer (INVITE without SDP): everything the trunk allows, in
// the order the trunk lists them.
sdp::Capabilities browser_offer_capabilities(const SipRemoteMedia* sip_offer,
                                             const std::vector<std::string>& allowed,
                                             bool data_channel);
// The codec the browser's answer chose, mapped to the SIP offer's numbers.
std::optional<CodecMapping> map_browser_answer(const std::vector<sdp::Codec>& browser_codecs,
                                               const SipRemoteMedia* sip_offer);

}  // namespace floe::bridge
