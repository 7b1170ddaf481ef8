#pragma once
// Offer/answer (RFC 3264) in the subset of JSEP (RFC 8829) browsers use with
// Floe: every accepted section shares one BUNDLE transport (RFC 9143) with
// rtcp-mux, unsupported sections are rejected with port 0, codecs are chosen
// from a capability list, directions mirror the offer.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "signaling/sdp/session_description.hpp"

namespace floe::sdp {

// One payload format Floe's far side can handle.
struct CodecCapability {
  std::string name;             // matched case-insensitively: "opus", "PCMU", "VP8"
  std::uint32_t clock_rate = 0;
  std::uint8_t channels = 0;    // 0: any
  // Feedback Floe honours for this codec; offered values outside it are dropped.
  std::vector<std::string> rtcp_fb;
  // Used in offers Floe makes; answers echo the offered fmtp.
  std::string fmtp;
  std::uint8_t preferred_payload_type = 0;  // for offers; 0 picks one
};

struct Capabilities {
  std::vector<CodecCapability> audio;  // e.g. opus, PCMU, PCMA, G722, telephone-event
  std::vector<CodecCapability> video;  // empty: video sections are rejected
  bool data_channel = true;
  // Refuse offers with no usable audio section (a phone call needs one).
  bool require_audio = true;
  // RTP header extension URIs Floe keeps (RFC 8285); others are left out of answers.
  std::vector<std::string> header_extensions;
  // true: choose in the offerer's order (JSEP lets the answerer decide; the
  // browser's first choice is usually best for an echo or a transcoding-free path).
  bool prefer_offerer_order = true;
  // How many media codecs (besides telephone-event) an answer keeps per section.
  std::size_t max_codecs = 1;
  // What Floe itself is willing to do per section, intersected with the offer.
  Direction local_direction = Direction::SendRecv;
};

// Opus, PCMU, PCMA, G722 and telephone-event at 48 kHz and 8 kHz.
Capabilities default_audio_capabilities();
CodecCapability vp8_capability();
CodecCapability h264_capability();  // packetization-mode=1, constrained baseline

// A stream Floe sends in a section (RFC 8830 msid, RFC 5576 ssrc cname).
struct LocalStream {
  std::uint32_t ssrc = 0;
  std::string cname;
  std::string stream_id;
  std::string track_id;
};

// Floe's side of the single bundled transport.
struct LocalTransport {
  std::string ice_ufrag;
  std::string ice_pwd;
  Fingerprint fingerprint;
  // For answers: the DTLS role when the offer says actpass (RFC 8842 §5.3).
  Setup answer_setup = Setup::Active;
  bool ice_lite = false;
  bool trickle = true;
  std::vector<std::string> candidates;  // "candidate:..." lines known now
  bool end_of_candidates = false;
  // RFC 8829 §5.3.1 default candidate; absent: 0.0.0.0 port 9.
  std::optional<std::string> default_address;  // "IN IP4 1.2.3.4"
  std::uint16_t default_port = 9;
};

struct LocalDescriptionOptions {
  LocalTransport transport;
  std::optional<LocalStream> audio_stream;
  std::optional<LocalStream> video_stream;
  std::string origin_username = "floe";
  std::uint64_t session_id = 0;  // 0: random
  std::uint16_t sctp_port = 5000;
  std::uint64_t max_message_size = 262144;
};

// What was agreed for one media section.
struct NegotiatedMedia {
  std::size_t index = 0;   // position of the m= section
  std::string mid;
  std::string kind;        // "audio", "video", "application"
  bool accepted = false;
  std::string reject_reason;  // when !accepted
  Direction direction = Direction::Inactive;  // from Floe's point of view
  std::vector<Codec> codecs;  // in priority order, telephone-event last
  std::vector<Extmap> extmaps;
  std::optional<std::uint16_t> remote_sctp_port;
  std::optional<std::uint64_t> remote_max_message_size;
  std::vector<SsrcAttribute> remote_ssrcs;
};

struct RemoteTransport {
  std::string ice_ufrag;
  std::string ice_pwd;
  bool ice_lite = false;
  bool trickle = false;
  std::vector<Fingerprint> fingerprints;
  Setup setup = Setup::ActPass;     // as the remote wrote it
  Setup local_setup = Setup::Active;  // the role Floe takes
  std::vector<std::string> candidates;  // from the bundled section
  bool end_of_candidates = false;
};

// Error codes are stable strings the JSON protocol reports as-is.
struct NegotiationError {
  std::string code;     // "unsupported-sdp", "bad-sdp"
  std::string message;  // a sentence for humans
};

struct Negotiated {
  SessionDescription local;  // the answer (or the offer Floe made)
  std::vector<NegotiatedMedia> media;
  RemoteTransport remote;
  const NegotiatedMedia* first(std::string_view kind) const;
};

class NegotiationResult {
 public:
  NegotiationResult(Negotiated n) : ok_(true), value_(std::move(n)) {}
  NegotiationResult(NegotiationError e) : ok_(false), error_(std::move(e)) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Negotiated& value() const { return value_; }
  Negotiated& value() { return value_; }
  const NegotiationError& error() const { return error_; }

 private:
  bool ok_;
  Negotiated value_;
  NegotiationError error_;
};

// Answers a browser's offer.
NegotiationResult create_answer(const SessionDescription& offer, const Capabilities& caps,
                                const LocalDescriptionOptions& options);

struct OfferRequest {
  bool audio = true;
  bool video = false;
  bool data_channel = false;
};

// Makes an offer for a call Floe places to a browser (setup actpass).
SessionDescription create_offer(const Capabilities& caps, const LocalDescriptionOptions& options,
                                const OfferRequest& request);

// Checks a browser's answer against the offer Floe made.
NegotiationResult apply_answer(const SessionDescription& offer, const SessionDescription& answer);

}  // namespace floe::sdp
