#include "gateway/testline/line_sdp.hpp"

#include <charconv>

#include "signaling/sdp/parser.hpp"
#include "signaling/sdp/writer.hpp"

namespace floe::testline {

namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

// Plain RTP only: SRTP profiles (RTP/SAVP, UDP/TLS/...) need keys we do not have.
bool plain_rtp(std::string_view proto) {
  return iequal(proto, "RTP/AVP") || iequal(proto, "RTP/AVPF");
}

std::optional<G711Law> g711_of(const sdp::Codec& c) {
  if (c.clock_rate != 8000 || c.channels > 1) return std::nullopt;
  if (iequal(c.name, "PCMU")) return G711Law::Ulaw;
  if (iequal(c.name, "PCMA")) return G711Law::Alaw;
  return std::nullopt;
}

bool is_telephone_event(const sdp::Codec& c) {
  return c.clock_rate == 8000 && iequal(c.name, "telephone-event");
}

sdp::Direction make_direction(bool send, bool recv) {
  if (send && recv) return sdp::Direction::SendRecv;
  if (send) return sdp::Direction::SendOnly;
  if (recv) return sdp::Direction::RecvOnly;
  return sdp::Direction::Inactive;
}

std::string connection_of(const IpAddress& ip) {
  return std::string(ip.is_v4() ? "IN IP4 " : "IN IP6 ") + ip.to_string();
}

struct Remote {
  SocketAddress rtp, rtcp;
};

// The section's transport address: c= of the section, else of the session;
// RTCP from a=rtcp (RFC 3605 §2.1: "port [nettype addrtype address]") or
// the next port (RFC 3550 §11).
std::optional<Remote> remote_of(const sdp::SessionDescription& d, const sdp::MediaDescription& m) {
  const auto& c = m.connection ? m.connection : d.connection;
  if (!c) return std::nullopt;
  auto ip = parse_connection(*c);
  if (!ip) return std::nullopt;
  Remote r{SocketAddress(*ip, m.port), SocketAddress(*ip, static_cast<std::uint16_t>(m.port + 1))};
  if (m.rtcp) {
    std::string_view v = *m.rtcp;
    auto sp = v.find(' ');
    auto port = parse_port(v.substr(0, sp));
    if (!port) return std::nullopt;
    IpAddress rip = *ip;
    if (sp != std::string_view::npos) {
      auto rc = parse_connection(v.substr(sp + 1));
      if (!rc) return std::nullopt;
      rip = *rc;
    }
    r.rtcp = SocketAddress(rip, *port);
  }
  return r;
}

// The first G.711 format in the peer's preference order, and telephone-event.
struct Pick {
  const sdp::Codec* audio = nullptr;
  G711Law law = G711Law::Ulaw;
  const sdp::Codec* events = nullptr;
};

Pick pick_codecs(const sdp::MediaDescription& m) {
  Pick p;
  for (const auto& f : m.formats) {
    auto pt = parse_port(f);
    if (!pt || *pt > 127) continue;
    const sdp::Codec* c = m.find_codec(static_cast<std::uint8_t>(*pt));
    if (!c) continue;
    if (!p.audio) {
      if (auto law = g711_of(*c)) {
        p.audio = c;
        p.law = *law;
        continue;
      }
    }
    if (!p.events && is_telephone_event(*c)) p.events = c;
  }
  return p;
}

sdp::Codec rtpmap(std::uint8_t pt, std::string name, std::string fmtp = {}) {
  sdp::Codec c;
  c.payload_type = pt;
  c.name = std::move(name);
  c.clock_rate = 8000;
  c.fmtp = std::move(fmtp);
  c.has_rtpmap = true;
  return c;
}

}  // namespace

std::optional<IpAddress> parse_connection(std::string_view c) {
  // "IN IP4 <addr>" possibly with "/ttl" (multicast, which we refuse).
  if (c.size() < 8 || !iequal(c.substr(0, 3), "IN ")) return std::nullopt;
  auto type = c.substr(3, 4);
  if (!iequal(type, "IP4 ") && !iequal(type, "IP6 ")) return std::nullopt;
  auto ip = IpAddress::parse(c.substr(7));
  if (!ip || ip->is_multicast()) return std::nullopt;
  if (ip->is_v4() != iequal(type, "IP4 ")) return std::nullopt;
  return ip;
}

LocalSession::LocalSession(std::uint64_t session_id, SocketAddress rtp, SocketAddress rtcp)
    : session_id_(session_id), rtp_(rtp), rtcp_(rtcp) {}

sdp::MediaDescription LocalSession::audio_section(sdp::Direction direction) const {
  sdp::MediaDescription m;
  m.media = "audio";
  m.port = rtp_.port();
  m.proto = "RTP/AVP";
  m.direction = direction;
  if (rtcp_.port() != rtp_.port() + 1) m.rtcp = std::to_string(rtcp_.port());
  m.other.push_back({"ptime", "20"});
  return m;
}

std::string LocalSession::finish(sdp::SessionDescription d) {
  d.origin.username = "floe-testline";
  d.origin.session_id = std::to_string(session_id_);
  d.origin.addr_type = rtp_.ip().is_v4() ? "IP4" : "IP6";
  d.origin.address = rtp_.ip().to_string();
  d.session_name = "Floe test line";
  d.connection = connection_of(rtp_.ip());
  d.origin.session_version = "0";
  std::string body = sdp::to_string(d);
  if (body != last_body_) {
    ++version_;
    last_body_ = std::move(body);
  }
  d.origin.session_version = std::to_string(version_);
  return sdp::to_string(d);
}

std::variant<AudioAgreement, SdpError> LocalSession::answer_offer(std::string_view offer_text,
                                                                  std::string& answer) {
  auto parsed = sdp::parse(offer_text);
  if (!parsed) return SdpError{400, "Bad SDP: " + parsed.error().to_string()};
  const sdp::SessionDescription& offer = parsed.value();
  sdp::SessionDescription ans;
  std::optional<AudioAgreement> agreed;
  std::string why = "no audio stream offered";
  for (const auto& m : offer.media) {
    // RFC 3264 §6: one answer section per offered one, in order; streams we
    // do not take are answered with port 0.
    if (!agreed && m.media == "audio" && m.port != 0) {
      Pick pick = pick_codecs(m);
      auto remote = remote_of(offer, m);
      if (!plain_rtp(m.proto)) {
        why = "audio offered over " + m.proto + ", only RTP/AVP is spoken";
      } else if (!pick.audio) {
        why = "no common codec (PCMU or PCMA)";
      } else if (!remote) {
        why = "no usable connection address";
      } else if (remote->rtp.ip().is_v4() != rtp_.ip().is_v4() &&
                 !remote->rtp.ip().is_unspecified()) {
        why = "media address family differs from the test line's";
      } else {
        sdp::MediaDescription a = audio_section(sdp::reverse(m.effective_direction()));
        a.proto = m.proto;
        a.mid = m.mid;
        a.formats.push_back(std::to_string(pick.audio->payload_type));
        a.codecs.push_back(rtpmap(pick.audio->payload_type,
                                  pick.law == G711Law::Ulaw ? "PCMU" : "PCMA"));
        AudioAgreement ag;
        ag.remote_rtp = remote->rtp;
        ag.remote_rtcp = remote->rtcp;
        ag.payload_type = pick.audio->payload_type;
        ag.law = pick.law;
        ag.local_direction = *a.direction;
        if (pick.events) {
          a.formats.push_back(std::to_string(pick.events->payload_type));
          a.codecs.push_back(rtpmap(pick.events->payload_type, "telephone-event",
                                    pick.events->fmtp.empty() ? "0-15" : pick.events->fmtp));
          ag.telephone_event = pick.events->payload_type;
        }
        ans.media.push_back(std::move(a));
        agreed = ag;
        continue;
      }
    }
    sdp::MediaDescription rejected;
    rejected.media = m.media;
    rejected.port = 0;
    rejected.proto = m.proto;
    rejected.formats = m.formats;
    if (rejected.formats.empty()) rejected.formats.push_back("0");
    rejected.mid = m.mid;
    ans.media.push_back(std::move(rejected));
  }
  if (!agreed) return SdpError{488, why};
  answer = finish(std::move(ans));
  return *agreed;
}

std::string LocalSession::make_offer(sdp::Direction direction) {
  sdp::SessionDescription d;
  sdp::MediaDescription m = audio_section(direction);
  m.formats = {"0", "8", std::to_string(kOfferedTelephoneEvent)};
  m.codecs.push_back(rtpmap(0, "PCMU"));
  m.codecs.push_back(rtpmap(8, "PCMA"));
  m.codecs.push_back(rtpmap(kOfferedTelephoneEvent, "telephone-event", "0-15"));
  d.media.push_back(std::move(m));
  offered_ = direction;
  return finish(std::move(d));
}

std::variant<AudioAgreement, SdpError> LocalSession::read_answer(
    std::string_view answer_text) const {
  auto parsed = sdp::parse(answer_text);
  if (!parsed) return SdpError{400, "Bad SDP: " + parsed.error().to_string()};
  const sdp::SessionDescription& answer = parsed.value();
  if (answer.media.size() != 1) return SdpError{488, "answer must have exactly one m= line"};
  const sdp::MediaDescription& m = answer.media.front();
  if (m.media != "audio" || m.port == 0) return SdpError{488, "answer rejected the audio stream"};
  if (!plain_rtp(m.proto)) return SdpError{488, "answer uses " + m.proto};
  Pick pick = pick_codecs(m);
  if (!pick.audio) return SdpError{488, "answer has no PCMU or PCMA"};
  auto remote = remote_of(answer, m);
  if (!remote) return SdpError{488, "answer has no usable connection address"};
  AudioAgreement ag;
  ag.remote_rtp = remote->rtp;
  ag.remote_rtcp = remote->rtcp;
  ag.payload_type = pick.audio->payload_type;
  ag.law = pick.law;
  if (pick.events) ag.telephone_event = pick.events->payload_type;
  // RFC 3264 §6.1: we send only what we offered to send and they accept to
  // receive, and the reverse.
  sdp::Direction theirs = m.effective_direction();
  ag.local_direction = make_direction(sdp::sends(offered_) && sdp::receives(theirs),
                                      sdp::receives(offered_) && sdp::sends(theirs));
  return ag;
}

}  // namespace floe::testline
