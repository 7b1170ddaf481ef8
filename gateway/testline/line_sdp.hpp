#pragma once
// The test line's side of the RFC 3264 offer/answer model for plain RTP/AVP
// audio: read an offer (from an INVITE, re-INVITE or UPDATE) and pick what to
// answer; write our offer when the INVITE had none (RFC 3261 §13.2.1, offer
// in the 2xx and answer in the ACK) and read that answer. Only G.711 (PCMU,
// PCMA) and RFC 4733 telephone-event are spoken. Private to the test line:
// the bridge's SIP SDP lives in gateway/bridge.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/address.hpp"
#include "gateway/testline/g711.hpp"
#include "signaling/sdp/session_description.hpp"

namespace floe::testline {

// What both sides agreed for the one audio stream.
struct AudioAgreement {
  SocketAddress remote_rtp;   // unspecified IP (c=0.0.0.0): do not send (RFC 3264 §8.4)
  SocketAddress remote_rtcp;  // a=rtcp (RFC 3605) or RTP port + 1
  std::uint8_t payload_type = 0;
  G711Law law = G711Law::Ulaw;
  std::optional<std::uint8_t> telephone_event;  // its payload type when both sides have it
  sdp::Direction local_direction = sdp::Direction::SendRecv;  // ours, as we answered/offered
};

struct SdpError {
  int status = 488;  // SIP status to answer (488 Not Acceptable Here, 400 for bad syntax)
  std::string reason;
};

// Our SDP session: a stable o= session id and a version that moves only
// when what we write changes (RFC 3264 §8).
class LocalSession {
 public:
  LocalSession(std::uint64_t session_id, SocketAddress rtp, SocketAddress rtcp);

  // Reads an offer; on success `answer` holds the SDP text to send back and
  // the result what to run. Streams we do not take get port 0 (§6).
  std::variant<AudioAgreement, SdpError> answer_offer(std::string_view offer_text,
                                                      std::string& answer);
  // Our offer: PCMU, PCMA and telephone-event, in `direction`.
  std::string make_offer(sdp::Direction direction = sdp::Direction::SendRecv);
  // Reads the answer to make_offer().
  std::variant<AudioAgreement, SdpError> read_answer(std::string_view answer_text) const;

  std::uint64_t version() const { return version_; }

  const SocketAddress& rtp() const { return rtp_; }

 private:
  std::string finish(sdp::SessionDescription description);
  sdp::MediaDescription audio_section(sdp::Direction direction) const;

  std::uint64_t session_id_;
  std::uint64_t version_ = 0;
  std::string last_body_;  // without o=, to tell whether the version must move
  SocketAddress rtp_;
  SocketAddress rtcp_;
  sdp::Direction offered_ = sdp::Direction::SendRecv;
};

// "IN IP4 192.0.2.1" -> the address; nullopt for other forms.
std::optional<IpAddress> parse_connection(std::string_view c);

inline constexpr std::uint8_t kOfferedTelephoneEvent = 101;

}  // namespace floe::testline
