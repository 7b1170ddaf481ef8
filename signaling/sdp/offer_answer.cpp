#include "signaling/sdp/offer_answer.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "base/random.hpp"
#include "signaling/sdp/text.hpp"

namespace floe::sdp {

namespace {

constexpr const char* kDataChannelFormat = "webrtc-datachannel";

std::string fmtp_param(std::string_view fmtp, std::string_view key) {
  for (auto p : split_all(fmtp, ';', 64)) {
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    auto [k, v] = split_once(p, '=');
    if (iequals(k, key)) return std::string(v);
  }
  return {};
}

bool is_dtmf(std::string_view name) { return iequals(name, "telephone-event"); }

// Formats that only make sense beside a media codec Floe would also have to
// implement (retransmission, redundancy, FEC, comfort noise).
bool is_auxiliary(std::string_view name) {
  return iequals(name, "rtx") || iequals(name, "red") || iequals(name, "ulpfec") ||
         iequals(name, "flexfec-03") || iequals(name, "CN");
}

bool matches(const Codec& c, const CodecCapability& cap) {
  if (!iequals(c.name, cap.name) || c.clock_rate != cap.clock_rate) return false;
  if (cap.channels && std::max<std::uint8_t>(c.channels, 1) != cap.channels) return false;
  if (iequals(c.name, "H264")) {
    // RFC 6184 §8.1: packetization-mode must agree and the profile must be one
    // the far side decodes (profile_idc and constraint byte).
    std::string pm = fmtp_param(c.fmtp, "packetization-mode");
    std::string cap_pm = fmtp_param(cap.fmtp, "packetization-mode");
    if ((pm.empty() ? "0" : pm) != (cap_pm.empty() ? "0" : cap_pm)) return false;
    std::string plid = fmtp_param(c.fmtp, "profile-level-id");
    std::string cap_plid = fmtp_param(cap.fmtp, "profile-level-id");
    if (plid.size() < 4 || cap_plid.size() < 4 || !iequals(plid.substr(0, 4), cap_plid.substr(0, 4)))
      return false;
  }
  return true;
}

const CodecCapability* find_cap(const Codec& c, const std::vector<CodecCapability>& caps) {
  for (const auto& cap : caps)
    if (matches(c, cap)) return &cap;
  return nullptr;
}

Codec answer_codec(const Codec& offered, const CodecCapability& cap) {
  Codec c = offered;
  c.has_rtpmap = true;
  c.rtcp_fb.clear();
  for (const auto& fb : offered.rtcp_fb)
    if (std::find(cap.rtcp_fb.begin(), cap.rtcp_fb.end(), fb) != cap.rtcp_fb.end())
      c.rtcp_fb.push_back(fb);
  return c;
}

std::vector<Codec> choose_codecs(const MediaDescription& offered,
                                 const std::vector<CodecCapability>& caps,
                                 const Capabilities& options) {
  std::vector<Codec> chosen;
  auto usable = [](const Codec& c) { return !is_dtmf(c.name) && !is_auxiliary(c.name); };
  if (options.prefer_offerer_order) {
    for (const auto& c : offered.codecs) {
      if (chosen.size() >= options.max_codecs) break;
      if (!usable(c)) continue;
      if (const auto* cap = find_cap(c, caps)) chosen.push_back(answer_codec(c, *cap));
    }
  } else {
    for (const auto& cap : caps) {
      if (chosen.size() >= options.max_codecs) break;
      for (const auto& c : offered.codecs)
        if (usable(c) && matches(c, cap)) {
          chosen.push_back(answer_codec(c, cap));
          break;
        }
    }
  }
  // RFC 4733 §7.1.1: telephone-event at the clock rate of each chosen codec.
  std::vector<Codec> events;
  for (const auto& main : chosen)
    for (const auto& c : offered.codecs)
      if (is_dtmf(c.name) && c.clock_rate == main.clock_rate && find_cap(c, caps) &&
          std::none_of(events.begin(), events.end(),
                       [&](const Codec& e) { return e.clock_rate == c.clock_rate; }))
        events.push_back(answer_codec(c, *find_cap(c, caps)));
  chosen.insert(chosen.end(), events.begin(), events.end());
  return chosen;
}

Direction combine(bool send, bool recv) {
  if (send && recv) return Direction::SendRecv;
  if (send) return Direction::SendOnly;
  if (recv) return Direction::RecvOnly;
  return Direction::Inactive;
}

// RFC 3264 §6.1: mirror the offer, limited by what Floe wants to do.
Direction answer_direction(Direction offered, Direction local) {
  Direction mirrored = reverse(offered);
  return combine(sends(mirrored) && sends(local), receives(mirrored) && receives(local));
}

void set_origin(SessionDescription& sdp, const LocalDescriptionOptions& o) {
  sdp.origin.username = o.origin_username.empty() ? "-" : o.origin_username;
  std::uint64_t id = o.session_id ? o.session_id : (random_u64() >> 2);
  sdp.origin.session_id = std::to_string(id);
  sdp.origin.session_version = "2";
  sdp.origin.address = "127.0.0.1";
  sdp.session_name = "-";
  sdp.timing = "0 0";
  sdp.ice_lite = o.transport.ice_lite;
}

void set_transport(MediaDescription& m, const LocalTransport& t, Setup setup) {
  m.port = t.default_port;
  m.connection = t.default_address.value_or("IN IP4 0.0.0.0");
  m.transport.ice_ufrag = t.ice_ufrag;
  m.transport.ice_pwd = t.ice_pwd;
  if (t.trickle) m.transport.ice_options = {"trickle"};
  m.transport.fingerprints = {t.fingerprint};
  m.transport.setup = setup;
}

void add_stream(MediaDescription& m, const std::optional<LocalStream>& s) {
  if (!s || !sends(m.effective_direction())) return;
  m.msids.push_back({s->stream_id, s->track_id});
  if (s->ssrc) m.ssrcs.push_back({s->ssrc, "cname", s->cname});
}

std::optional<NegotiationError> read_remote(const SessionDescription& sdp, std::size_t index,
                                            RemoteTransport& r, bool is_answer) {
  Transport t = sdp.effective_transport(index);
  if (!t.ice_ufrag || !t.ice_pwd)
    return NegotiationError{"bad-sdp", "the description has no a=ice-ufrag/a=ice-pwd"};
  if (t.fingerprints.empty())
    return NegotiationError{"unsupported-sdp",
                            "the description has no a=fingerprint; Floe needs DTLS-SRTP"};
  r.ice_ufrag = *t.ice_ufrag;
  r.ice_pwd = *t.ice_pwd;
  r.ice_lite = sdp.ice_lite;
  r.trickle = std::find(t.ice_options.begin(), t.ice_options.end(), "trickle") != t.ice_options.end();
  r.fingerprints = t.fingerprints;
  // RFC 4145 §4: no a=setup means active.
  r.setup = t.setup.value_or(Setup::Active);
  if (r.setup == Setup::HoldConn)
    return NegotiationError{"unsupported-sdp", "a=setup:holdconn leaves no DTLS role to take"};
  if (is_answer && r.setup == Setup::ActPass)
    return NegotiationError{"bad-sdp", "an answer must say a=setup:active or passive"};
  const auto& m = sdp.media[index];
  r.candidates = m.candidates;
  r.end_of_candidates = m.end_of_candidates;
  return std::nullopt;
}

// Why an offered section cannot be accepted; empty when it can.
// The pre-RFC 8841 form (draft-ietf-mmusic-sctp-sdp-05, still sent by
// aiortc 1.4 and old browsers): "m=application <port> DTLS/SCTP <sctp-port>"
// with "a=sctpmap:<sctp-port> webrtc-datachannel <streams>". Returns the
// SCTP port when the section is in that form.
std::optional<std::uint16_t> legacy_sctp_port(const MediaDescription& m) {
  if (m.proto != "DTLS/SCTP" || m.formats.size() != 1) return std::nullopt;
  std::uint16_t port = 0;
  const auto& f = m.formats.front();
  auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), port);
  if (ec != std::errc() || end != f.data() + f.size()) return std::nullopt;
  const std::string want = f + " " + kDataChannelFormat;
  for (const auto& a : m.other)
    if (a.name == "sctpmap" && a.value &&
        a.value->compare(0, want.size(), want) == 0 &&
        (a.value->size() == want.size() || (*a.value)[want.size()] == ' '))
      return port;
  return std::nullopt;
}

std::string reject_reason(const MediaDescription& om, const Capabilities& caps) {
  if (om.port == 0 && !om.bundle_only) return "the offer disabled it (port 0)";
  if (om.media == "audio" || om.media == "video") {
    if (om.proto != "UDP/TLS/RTP/SAVPF" && om.proto != "UDP/TLS/RTP/SAVP")
      return "transport " + om.proto + " is not DTLS-SRTP";
    if (!om.rtcp_mux) return "it lacks a=rtcp-mux";
    if (om.media == "video" && caps.video.empty()) return "video is not enabled";
    return {};
  }
  if (om.media == "application") {
    if (!caps.data_channel) return "data channels are not enabled";
    if (legacy_sctp_port(om)) return {};
    if (om.proto != "UDP/DTLS/SCTP" ||
        std::find(om.formats.begin(), om.formats.end(), kDataChannelFormat) == om.formats.end())
      return "only UDP/DTLS/SCTP webrtc-datachannel (or DTLS/SCTP with a=sctpmap) is supported";
    return {};
  }
  return "media type " + om.media + " is not supported";
}

}  // namespace

const NegotiatedMedia* Negotiated::first(std::string_view kind) const {
  for (const auto& m : media)
    if (m.accepted && m.kind == kind) return &m;
  return nullptr;
}

Capabilities default_audio_capabilities() {
  Capabilities c;
  c.audio = {
      {"opus", 48000, 2, {"transport-cc"}, "minptime=10;useinbandfec=1", 111},
      {"G722", 8000, 1, {}, "", 9},
      {"PCMU", 8000, 1, {}, "", 0},
      {"PCMA", 8000, 1, {}, "", 8},
      {"telephone-event", 48000, 0, {}, "0-15", 110},
      {"telephone-event", 8000, 0, {}, "0-15", 126},
  };
  c.header_extensions = {"urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                         "urn:ietf:params:rtp-hdrext:sdes:mid"};
  return c;
}

CodecCapability vp8_capability() {
  return {"VP8", 90000, 0, {"nack", "nack pli", "ccm fir", "goog-remb"}, "", 96};
}

CodecCapability h264_capability() {
  return {"H264", 90000, 0, {"nack", "nack pli", "ccm fir", "goog-remb"},
          "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 102};
}

NegotiationResult create_answer(const SessionDescription& offer, const Capabilities& caps,
                                const LocalDescriptionOptions& options) {
  if (offer.media.empty())
    return NegotiationError{"unsupported-sdp", "the offer has no media sections"};
  Negotiated n;
  SessionDescription& ans = n.local;
  set_origin(ans, options);
  const Group* bundle = offer.bundle_group();
  auto in_bundle = [&](const MediaDescription& m) {
    return bundle && m.mid &&
           std::find(bundle->mids.begin(), bundle->mids.end(), *m.mid) != bundle->mids.end();
  };

  std::optional<std::size_t> transport_index;
  std::string reasons;
  bool have_audio = false;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const MediaDescription& om = offer.media[i];
    NegotiatedMedia nm;
    nm.index = i;
    nm.mid = om.mid.value_or("");
    nm.kind = om.media;
    std::string reason = reject_reason(om, caps);
    // RFC 9143: one transport. Without BUNDLE only the first section can use it.
    if (reason.empty() && transport_index && !(in_bundle(om) && in_bundle(offer.media[*transport_index])))
      reason = "only one transport is offered (no BUNDLE with the first section)";
    std::vector<Codec> codecs;
    if (reason.empty() && om.is_rtp()) {
      codecs = choose_codecs(om, om.media == "audio" ? caps.audio : caps.video, caps);
      if (codecs.empty() || is_dtmf(codecs.front().name)) reason = "no codec in common";
    }

    MediaDescription am;
    am.media = om.media;
    am.proto = om.proto;
    am.mid = om.mid;
    if (!reason.empty()) {
      // RFC 3264 §6: a rejected stream keeps a format list and gets port 0.
      am.port = 0;
      am.formats = om.formats;
      am.connection = "IN IP4 0.0.0.0";
      am.direction = Direction::Inactive;
      nm.reject_reason = reason;
      reasons += (reasons.empty() ? "" : "; ") + om.media + " " + nm.mid + ": " + reason;
    } else {
      if (!transport_index) {
        transport_index = i;
        if (auto err = read_remote(offer, i, n.remote, false)) return *err;
        n.remote.local_setup = n.remote.setup == Setup::ActPass  ? options.transport.answer_setup
                               : n.remote.setup == Setup::Active ? Setup::Passive
                                                                 : Setup::Active;
        if (n.remote.local_setup == Setup::ActPass || n.remote.local_setup == Setup::HoldConn)
          n.remote.local_setup = Setup::Active;
        am.candidates = options.transport.candidates;
        am.end_of_candidates = options.transport.end_of_candidates;
      }
      set_transport(am, options.transport, n.remote.local_setup);
      nm.accepted = true;
      if (om.is_rtp()) {
        nm.direction = answer_direction(om.effective_direction(), caps.local_direction);
        am.direction = nm.direction;
        am.rtcp_mux = true;
        am.rtcp_rsize = om.rtcp_rsize;
        am.codecs = codecs;
        for (const auto& c : codecs) am.formats.push_back(std::to_string(c.payload_type));
        for (const auto& e : om.extmaps)
          if (std::find(caps.header_extensions.begin(), caps.header_extensions.end(), e.uri) !=
              caps.header_extensions.end())
            am.extmaps.push_back({e.id, std::nullopt, e.uri, {}});
        add_stream(am, om.media == "audio" ? options.audio_stream : options.video_stream);
        nm.codecs = codecs;
        nm.extmaps = am.extmaps;
        nm.remote_ssrcs = om.ssrcs;
        if (om.media == "audio") have_audio = true;
      } else {
        nm.direction = Direction::SendRecv;
        am.max_message_size = options.max_message_size;
        nm.remote_max_message_size = om.max_message_size.value_or(65536);
        if (auto legacy = legacy_sctp_port(om)) {
          // Answer in the form offered: the port is the format, and
          // sctpmap's third field is the stream count (we take 65535).
          am.formats = {std::to_string(options.sctp_port)};
          am.other.push_back({"sctpmap", std::to_string(options.sctp_port) + " " +
                                             kDataChannelFormat + " 65535"});
          nm.remote_sctp_port = *legacy;
        } else {
          am.formats = {kDataChannelFormat};
          am.sctp_port = options.sctp_port;
          nm.remote_sctp_port = om.sctp_port.value_or(5000);
        }
      }
    }
    ans.media.push_back(std::move(am));
    n.media.push_back(std::move(nm));
  }
  if (!transport_index)
    return NegotiationError{"unsupported-sdp", "no media section could be accepted: " + reasons};
  if (caps.require_audio && !have_audio)
    return NegotiationError{"unsupported-sdp",
                            "the offer has no usable audio section" +
                                (reasons.empty() ? std::string() : ": " + reasons)};
  if (bundle) {
    Group g{"BUNDLE", {}};
    for (const auto& mid : bundle->mids)
      for (const auto& nm : n.media)
        if (nm.accepted && nm.mid == mid) g.mids.push_back(mid);
    if (!g.mids.empty()) ans.groups.push_back(std::move(g));
  }
  if (options.audio_stream || options.video_stream) ans.msid_semantic = " WMS";
  return n;
}

SessionDescription create_offer(const Capabilities& caps, const LocalDescriptionOptions& options,
                                const OfferRequest& request) {
  SessionDescription sdp;
  set_origin(sdp, options);
  Group bundle{"BUNDLE", {}};
  std::set<std::uint8_t> used;
  auto rtp_section = [&](const std::string& kind, const std::vector<CodecCapability>& list,
                         const std::optional<LocalStream>& stream) {
    MediaDescription m;
    m.media = kind;
    m.proto = "UDP/TLS/RTP/SAVPF";
    m.mid = std::to_string(sdp.media.size());
    m.direction = caps.local_direction;
    m.rtcp_mux = true;
    m.rtcp_rsize = true;
    set_transport(m, options.transport, Setup::ActPass);
    std::uint8_t next_dynamic = 96;
    for (const auto& cap : list) {
      std::uint8_t pt = cap.preferred_payload_type;
      if (pt == 0 && !iequals(cap.name, "PCMU")) pt = next_dynamic;
      while (used.count(pt) && pt < 127) pt = ++next_dynamic;
      used.insert(pt);
      Codec c{pt, cap.name, cap.clock_rate, cap.channels, cap.fmtp, cap.rtcp_fb, true};
      m.codecs.push_back(std::move(c));
      m.formats.push_back(std::to_string(pt));
    }
    std::uint16_t id = 1;
    for (const auto& uri : caps.header_extensions) m.extmaps.push_back({id++, std::nullopt, uri, {}});
    add_stream(m, stream);
    bundle.mids.push_back(*m.mid);
    sdp.media.push_back(std::move(m));
  };
  if (request.audio && !caps.audio.empty()) rtp_section("audio", caps.audio, options.audio_stream);
  if (request.video && !caps.video.empty()) rtp_section("video", caps.video, options.video_stream);
  if (request.data_channel) {
    MediaDescription m;
    m.media = "application";
    m.proto = "UDP/DTLS/SCTP";
    m.formats = {kDataChannelFormat};
    m.mid = std::to_string(sdp.media.size());
    set_transport(m, options.transport, Setup::ActPass);
    m.sctp_port = options.sctp_port;
    m.max_message_size = options.max_message_size;
    bundle.mids.push_back(*m.mid);
    sdp.media.push_back(std::move(m));
  }
  if (!sdp.media.empty()) {
    sdp.media.front().candidates = options.transport.candidates;
    sdp.media.front().end_of_candidates = options.transport.end_of_candidates;
    sdp.groups.push_back(std::move(bundle));
  }
  if (options.audio_stream || options.video_stream) sdp.msid_semantic = " WMS";
  return sdp;
}

NegotiationResult apply_answer(const SessionDescription& offer, const SessionDescription& answer) {
  if (answer.media.size() != offer.media.size())
    return NegotiationError{"bad-sdp", "the answer has " + std::to_string(answer.media.size()) +
                                           " media sections; the offer had " +
                                           std::to_string(offer.media.size())};
  Negotiated n;
  n.local = offer;
  bool transport_read = false;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const auto& om = offer.media[i];
    const auto& am = answer.media[i];
    NegotiatedMedia nm;
    nm.index = i;
    nm.mid = om.mid.value_or("");
    nm.kind = om.media;
    if (am.media != om.media || am.mid != om.mid)
      return NegotiationError{"bad-sdp", "answer section " + std::to_string(i) +
                                             " does not match the offer's kind or mid"};
    if (am.port == 0 && !am.bundle_only) {
      nm.reject_reason = "the answer rejected it";
      n.media.push_back(std::move(nm));
      continue;
    }
    if (om.port == 0)
      return NegotiationError{"bad-sdp", "the answer accepts section " + std::to_string(i) +
                                             " which the offer disabled"};
    if (!transport_read) {
      if (auto err = read_remote(answer, i, n.remote, true)) return *err;
      n.remote.local_setup = n.remote.setup == Setup::Active ? Setup::Passive : Setup::Active;
      transport_read = true;
    }
    nm.accepted = true;
    if (om.is_rtp()) {
      Direction offered = om.effective_direction();
      Direction answered = am.effective_direction();
      if ((sends(answered) && !receives(offered)) || (receives(answered) && !sends(offered)))
        return NegotiationError{"bad-sdp", std::string("answer direction ") + to_string(answered) +
                                               " contradicts the offered " + to_string(offered)};
      nm.direction = reverse(answered);
      for (const auto& c : am.codecs) {
        const Codec* mine = om.find_codec(c.payload_type);
        if (!mine || !iequals(mine->name, c.name) || mine->clock_rate != c.clock_rate)
          return NegotiationError{"bad-sdp", "the answer uses payload type " +
                                                 std::to_string(c.payload_type) +
                                                 " which the offer did not give it"};
        nm.codecs.push_back(c);
      }
      if (nm.codecs.empty()) return NegotiationError{"bad-sdp", "an accepted section has no codec"};
      nm.extmaps = am.extmaps;
      nm.remote_ssrcs = am.ssrcs;
    } else {
      nm.direction = Direction::SendRecv;
      nm.remote_sctp_port = am.sctp_port.value_or(5000);
      nm.remote_max_message_size = am.max_message_size.value_or(65536);
    }
    n.media.push_back(std::move(nm));
  }
  if (!transport_read)
    return NegotiationError{"unsupported-sdp", "the answer accepted no media section"};
  return n;
}

}  // namespace floe::sdp
