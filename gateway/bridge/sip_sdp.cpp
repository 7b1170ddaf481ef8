#include "gateway/bridge/sip_sdp.hpp"

#include <algorithm>

#include "base/random.hpp"
#include "signaling/sdp/parser.hpp"
#include "signaling/sdp/text.hpp"
#include "signaling/sdp/writer.hpp"

namespace floe::bridge {

using sdp::iequals;

bool is_telephone_event(const sdp::Codec& c) { return iequals(c.name, "telephone-event"); }

bool bridgeable(const sdp::Codec& c) {
  if (iequals(c.name, "PCMU") || iequals(c.name, "PCMA") || iequals(c.name, "G722"))
    return c.clock_rate == 8000;
  if (iequals(c.name, "opus")) return c.clock_rate == 48000;
  if (is_telephone_event(c)) return c.clock_rate == 8000 || c.clock_rate == 48000;
  return false;
}

bool trunk_allows(const std::vector<std::string>& allowed, const sdp::Codec& c) {
  return bridgeable(c) && std::any_of(allowed.begin(), allowed.end(),
                                      [&](const std::string& n) { return iequals(n, c.name); });
}

bool same_codec(const sdp::Codec& a, const sdp::Codec& b) {
  return iequals(a.name, b.name) && a.clock_rate == b.clock_rate &&
         std::max<std::uint8_t>(a.channels, 1) == std::max<std::uint8_t>(b.channels, 1);
}

namespace {

std::string address_line(const IpAddress& ip) {
  return std::string(ip.is_v4() ? "IN IP4 " : "IN IP6 ") + ip.to_string();
}

// "IN IP4 192.0.2.1" -> the address; nullopt for anything else.
std::optional<IpAddress> connection_address(std::string_view c) {
  auto f = sdp::split_fields(c, 4);
  if (f.size() != 3 || f[0] != "IN") return std::nullopt;
  auto addr = f[2];
  if (auto slash = addr.find('/'); slash != std::string_view::npos) addr = addr.substr(0, slash);
  return IpAddress::parse(addr);
}

}  // namespace

std::string write_sip_sdp(const SipLocalMedia& m) {
  sdp::SessionDescription d;
  d.origin.username = "floe";
  d.origin.session_id = std::to_string(m.session_id ? m.session_id : 1);
  d.origin.session_version = std::to_string(m.version);
  d.origin.addr_type = m.rtp.ip().is_v4() ? "IP4" : "IP6";
  d.origin.address = m.rtp.ip().to_string();
  d.session_name = "floe";
  d.connection = address_line(m.rtp.ip());
  sdp::MediaDescription a;
  a.media = "audio";
  a.port = m.rtp.port();
  a.proto = "RTP/AVP";
  for (const auto& c : m.codecs) {
    a.formats.push_back(std::to_string(c.payload_type));
    sdp::Codec w = c;
    w.has_rtpmap = true;
    w.rtcp_fb.clear();
    if (is_telephone_event(w) && w.fmtp.empty()) w.fmtp = "0-16";
    a.codecs.push_back(std::move(w));
  }
  if (a.formats.empty()) {
    // RFC 3264 §6: a rejected stream still lists a format.
    a.port = 0;
    a.formats.push_back("0");
  }
  a.direction = m.direction;
  a.rtcp_mux = m.rtcp_mux;
  a.other.push_back({"ptime", std::string("20")});
  d.media.push_back(std::move(a));
  return sdp::to_string(d);
}

std::optional<SipRemoteMedia> read_sip_media(const sdp::SessionDescription& d, std::string* why) {
  auto fail = [&](std::string s) -> std::optional<SipRemoteMedia> {
    if (why) *why = std::move(s);
    return std::nullopt;
  };
  const sdp::MediaDescription* audio = nullptr;
  for (const auto& m : d.media)
    if (m.media == "audio") {
      audio = &m;
      break;
    }
  if (!audio) return fail("the description has no audio section");
  if (audio->proto != "RTP/AVP" && audio->proto != "RTP/AVPF")
    return fail("audio transport " + audio->proto + " is not plain RTP/AVP");
  SipRemoteMedia r;
  r.origin_version = sdp::parse_uint<std::uint64_t>(d.origin.session_version).value_or(0);
  r.direction = audio->effective_direction();
  r.rtcp_mux = audio->rtcp_mux;
  for (const auto& c : audio->codecs) {
    if (is_telephone_event(c)) {
      if (c.clock_rate == 8000 && !r.telephone_event) r.telephone_event = c;
    } else if (!c.name.empty()) {
      r.codecs.push_back(c);
    }
  }
  auto conn = audio->connection ? audio->connection : d.connection;
  if (!conn) return fail("the audio section has no c= line");
  auto ip = connection_address(*conn);
  if (!ip) return fail("c=" + *conn + " is not an IP address");
  if (ip->is_unspecified()) {
    r.legacy_hold = true;  // RFC 3264 §8.4: the old way to hold
  } else if (audio->port != 0) {
    r.rtp = SocketAddress(*ip, audio->port);
    if (r.rtcp_mux) {
      r.rtcp = r.rtp;
    } else if (audio->rtcp) {
      // RFC 3605: a=rtcp:<port> [IN IP4 <addr>]
      auto f = sdp::split_fields(*audio->rtcp, 5);
      auto port = f.empty() ? std::nullopt : sdp::parse_uint<std::uint16_t>(f[0]);
      std::optional<IpAddress> rip = ip;
      if (f.size() == 4) rip = IpAddress::parse(f[3]);
      if (port && rip) r.rtcp = SocketAddress(*rip, *port);
    }
    if (!r.rtcp && audio->port < 65535)
      r.rtcp = SocketAddress(*ip, static_cast<std::uint16_t>(audio->port + 1));
  }
  return r;
}

std::optional<SipRemoteMedia> read_sip_media(std::string_view text, std::string* why) {
  auto p = sdp::parse(text);
  if (!p.ok()) {
    if (why) *why = "SDP: " + p.error().to_string();
    return std::nullopt;
  }
  return read_sip_media(p.value(), why);
}

std::vector<sdp::Codec> sip_offer_codecs(const sdp::SessionDescription& browser_offer,
                                         const std::vector<std::string>& allowed) {
  std::vector<sdp::Codec> out;
  for (const auto& m : browser_offer.media) {
    if (m.media != "audio" || m.port == 0) continue;
    for (const auto& c : m.codecs) {
      if (!trunk_allows(allowed, c)) continue;
      // RFC 4733 on a plain trunk is the 8 kHz flavour; the 48 kHz one
      // only makes sense beside Opus.
      if (is_telephone_event(c) && c.clock_rate != 8000 &&
          std::none_of(out.begin(), out.end(), [](const sdp::Codec& o) { return iequals(o.name, "opus"); }))
        continue;
      if (std::any_of(out.begin(), out.end(), [&](const sdp::Codec& o) {
            return o.payload_type == c.payload_type || same_codec(o, c);
          }))
        continue;
      sdp::Codec s = c;
      s.rtcp_fb.clear();
      // Browser-only parameters (useinbandfec, ...) are harmless; keep fmtp
      // for opus and telephone-event only.
      if (!iequals(c.name, "opus") && !is_telephone_event(c)) s.fmtp.clear();
      out.push_back(std::move(s));
    }
    break;  // the first audio section is the call's
  }
  // Media codecs first, telephone-event after them (a peer picks the first).
  std::stable_partition(out.begin(), out.end(), [](const sdp::Codec& c) { return !is_telephone_event(c); });
  return out;
}

sdp::Capabilities browser_capabilities_for(const sdp::Codec& codec, bool data_channel) {
  sdp::Capabilities caps;
  caps.audio.push_back({codec.name, codec.clock_rate,
                        static_cast<std::uint8_t>(iequals(codec.name, "opus") ? 2 : 1), {}, codec.fmtp,
                        codec.payload_type});
  caps.audio.push_back({"telephone-event", codec.clock_rate, 0, {}, "0-15", 0});
  caps.data_channel = data_channel;
  caps.max_codecs = 1;
  caps.header_extensions = {"urn:ietf:params:rtp-hdrext:sdes:mid"};
  return caps;
}

std::optional<CodecMapping> map_sip_answer(const SipRemoteMedia& answer,
                                           const std::vector<sdp::Codec>& offered) {
  for (const auto& c : answer.codecs) {
    auto mine = std::find_if(offered.begin(), offered.end(),
                             [&](const sdp::Codec& o) { return same_codec(o, c); });
    if (mine == offered.end()) continue;
    CodecMapping m;
    m.codec = *mine;
    m.sip_pt = c.payload_type;
    m.browser_pt = mine->payload_type;
    if (answer.telephone_event && c.clock_rate == 8000) {
      auto ev = std::find_if(offered.begin(), offered.end(), [](const sdp::Codec& o) {
        return is_telephone_event(o) && o.clock_rate == 8000;
      });
      if (ev != offered.end()) {
        m.sip_event_pt = answer.telephone_event->payload_type;
        m.browser_event_pt = ev->payload_type;
      }
    }
    return m;
  }
  return std::nullopt;
}

void set_browser_payload_types(CodecMapping& m, const std::vector<sdp::Codec>& codecs) {
  for (const auto& c : codecs) {
    if (is_telephone_event(c)) {
      if (c.clock_rate == m.codec.clock_rate) m.browser_event_pt = c.payload_type;
    } else if (same_codec(c, m.codec)) {
      m.browser_pt = c.payload_type;
    }
  }
  if (!m.browser_event_pt) m.sip_event_pt.reset();
}

sdp::Capabilities browser_offer_capabilities(const SipRemoteMedia* sip_offer,
                                             const std::vector<std::string>& allowed,
                                             bool data_channel) {
  sdp::Capabilities caps;
  caps.data_channel = data_channel;
  caps.header_extensions = {"urn:ietf:params:rtp-hdrext:sdes:mid"};
  auto add = [&](const sdp::Codec& c) {
    std::uint8_t ch = iequals(c.name, "opus") ? 2 : (is_telephone_event(c) ? 0 : 1);
    caps.audio.push_back({c.name, c.clock_rate, ch, {}, c.fmtp, c.payload_type});
  };
  if (sip_offer) {
    for (const auto& c : sip_offer->codecs)
      if (trunk_allows(allowed, c)) add(c);
    if (sip_offer->telephone_event && trunk_allows(allowed, *sip_offer->telephone_event))
      add(*sip_offer->telephone_event);
  } else {
    // No offer from the trunk: everything it allows, with common numbers.
    const sdp::Codec all[] = {
        {111, "opus", 48000, 2, "minptime=10;useinbandfec=1", {}, true},
        {9, "G722", 8000, 1, "", {}, true},
        {0, "PCMU", 8000, 1, "", {}, true},
        {8, "PCMA", 8000, 1, "", {}, true},
        {101, "telephone-event", 8000, 0, "0-15", {}, true},
    };
    // The trunk's list is its preference order.
    for (const auto& name : allowed)
      for (const auto& c : all)
        if (sdp::iequals(c.name, name) && trunk_allows(allowed, c)) add(c);
  }
  return caps;
}

std::optional<CodecMapping> map_browser_answer(const std::vector<sdp::Codec>& codecs,
                                               const SipRemoteMedia* sip_offer) {
  for (const auto& c : codecs) {
    if (is_telephone_event(c)) continue;
    CodecMapping m;
    m.codec = c;
    m.browser_pt = c.payload_type;
    m.sip_pt = c.payload_type;
    if (sip_offer) {
      auto s = std::find_if(sip_offer->codecs.begin(), sip_offer->codecs.end(),
                            [&](const sdp::Codec& o) { return same_codec(o, c); });
      if (s == sip_offer->codecs.end()) continue;
      m.sip_pt = s->payload_type;
      m.codec.fmtp = s->fmtp;
    }
    for (const auto& e : codecs)
      if (is_telephone_event(e) && e.clock_rate == c.clock_rate) {
        m.browser_event_pt = e.payload_type;
        m.sip_event_pt = e.payload_type;
        if (sip_offer) {
          if (sip_offer->telephone_event && c.clock_rate == 8000)
            m.sip_event_pt = sip_offer->telephone_event->payload_type;
          else
            m.sip_event_pt.reset();
        }
      }
    if (!m.sip_event_pt) m.browser_event_pt.reset();
    return m;
  }
  return std::nullopt;
}

}  // namespace floe::bridge
