#include "signaling/sdp/writer.hpp"

namespace floe::sdp {

namespace {

class Writer {
 public:
  void line(char type, std::string_view value) {
    out_ += type;
    out_ += '=';
    out_ += value;
    out_ += "\r\n";
  }
  void attr(std::string_view name) { line('a', name); }
  void attr(std::string_view name, std::string_view value) {
    std::string v(name);
    v += ':';
    v += value;
    line('a', v);
  }

  void transport(const Transport& t) {
    if (t.ice_ufrag) attr("ice-ufrag", *t.ice_ufrag);
    if (t.ice_pwd) attr("ice-pwd", *t.ice_pwd);
    if (!t.ice_options.empty()) attr("ice-options", join(t.ice_options));
    for (const auto& fp : t.fingerprints) attr("fingerprint", fp.algorithm + " " + fp.value);
    if (t.setup) attr("setup", to_string(*t.setup));
  }

  void others(const std::vector<Attribute>& list) {
    for (const auto& a : list) {
      if (a.value) attr(a.name, *a.value);
      else attr(a.name);
    }
  }

  void media(const MediaDescription& m) {
    std::string mline = m.media + " " + std::to_string(m.port);
    if (m.port_count) mline += "/" + std::to_string(*m.port_count);
    mline += " " + m.proto;
    for (const auto& f : m.formats) mline += " " + f;
    line('m', mline);
    if (m.connection) line('c', *m.connection);
    if (m.rtcp) attr("rtcp", *m.rtcp);
    transport(m.transport);
    if (m.mid) attr("mid", *m.mid);
    if (m.bundle_only) attr("bundle-only");
    for (const auto& e : m.extmaps) {
      std::string v = std::to_string(e.id);
      if (e.direction) v += std::string("/") + to_string(*e.direction);
      v += " " + e.uri;
      if (!e.attributes.empty()) v += " " + e.attributes;
      attr("extmap", v);
    }
    if (m.direction) attr(to_string(*m.direction));
    for (const auto& ms : m.msids)
      attr("msid", ms.track.empty() ? ms.stream : ms.stream + " " + ms.track);
    if (m.rtcp_mux) attr("rtcp-mux");
    if (m.rtcp_rsize) attr("rtcp-rsize");
    for (const auto& c : m.codecs) {
      std::string pt = std::to_string(c.payload_type);
      if (c.has_rtpmap) {
        std::string v = pt + " " + c.name + "/" + std::to_string(c.clock_rate);
        if (c.channels) v += "/" + std::to_string(c.channels);
        attr("rtpmap", v);
      }
      for (const auto& fb : c.rtcp_fb) attr("rtcp-fb", pt + " " + fb);
      if (!c.fmtp.empty()) attr("fmtp", pt + " " + c.fmtp);
    }
    for (const auto& g : m.ssrc_groups) {
      std::string v = g.semantics;
      for (auto s : g.ssrcs) v += " " + std::to_string(s);
      attr("ssrc-group", v);
    }
    for (const auto& s : m.ssrcs) {
      std::string v = std::to_string(s.ssrc) + " " + s.attribute;
      if (!s.value.empty()) v += ":" + s.value;
      attr("ssrc", v);
    }
    if (m.sctp_port) attr("sctp-port", std::to_string(*m.sctp_port));
    if (m.max_message_size) attr("max-message-size", std::to_string(*m.max_message_size));
    others(m.other);
    // Candidates printed as they arrived: "candidate:..." is the attribute itself.
    for (const auto& c : m.candidates) line('a', c);
    if (m.end_of_candidates) attr("end-of-candidates");
  }

  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
      if (!s.empty()) s += ' ';
      s += x;
    }
    return s;
  }

  std::string out_;
};

}  // namespace

std::string to_string(const SessionDescription& sdp) {
  Writer w;
  w.line('v', "0");
  const Origin& o = sdp.origin;
  w.line('o', o.username + " " + o.session_id + " " + o.session_version + " " + o.net_type + " " +
                  o.addr_type + " " + o.address);
  w.line('s', sdp.session_name.empty() ? "-" : sdp.session_name);
  if (sdp.connection) w.line('c', *sdp.connection);
  w.line('t', sdp.timing);
  for (const auto& g : sdp.groups) {
    std::string v = g.semantics;
    for (const auto& m : g.mids) v += " " + m;
    w.attr("group", v);
  }
  if (sdp.extmap_allow_mixed) w.attr("extmap-allow-mixed");
  if (sdp.msid_semantic) w.attr("msid-semantic", *sdp.msid_semantic);
  if (sdp.ice_lite) w.attr("ice-lite");
  w.transport(sdp.transport);
  w.others(sdp.other);
  for (const auto& m : sdp.media) w.media(m);
  return std::move(w.out_);
}

}  // namespace floe::sdp
