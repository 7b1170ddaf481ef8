#include "signaling/sdp/parser.hpp"

#include <charconv>
#include <set>

#include "signaling/sdp/text.hpp"

namespace floe::sdp {

std::string ParseError::to_string() const {
  if (line == 0) return problem;
  return "line " + std::to_string(line) + ": " + problem;
}

namespace {

// RFC 3551 §6 static payload types a browser may list without a=rtpmap.
void fill_static_payload(Codec& c) {
  switch (c.payload_type) {
    case 0: c.name = "PCMU"; c.clock_rate = 8000; break;
    case 8: c.name = "PCMA"; c.clock_rate = 8000; break;
    case 9: c.name = "G722"; c.clock_rate = 8000; break;
    case 13: c.name = "CN"; c.clock_rate = 8000; break;
    case 18: c.name = "G729"; c.clock_rate = 8000; break;
    default: break;
  }
}

class Parser {
 public:
  explicit Parser(const ParseLimits& limits) : lim_(limits) {}

  ParseResult run(std::string_view text) {
    if (text.size() > lim_.max_bytes)
      return ParseError{0, "description is larger than " + std::to_string(lim_.max_bytes) +
                               " bytes"};
    if (text.empty()) return ParseError{0, "description is empty"};
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t nl = text.find('\n', pos);
      std::string_view line =
          text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ++line_no_;
      if (line_no_ > lim_.max_lines)
        return fail_result("more than " + std::to_string(lim_.max_lines) + " lines");
      // A final CRLF leaves nothing after it; an empty line inside is an error.
      if (line.empty()) {
        if (pos >= text.size()) break;
        return fail_result("empty line");
      }
      if (!handle_line(line)) return std::move(*error_);
    }
    if (!finish()) return std::move(*error_);
    return std::move(sdp_);
  }

 private:
  ParseResult fail_result(std::string problem) { return ParseError{line_no_, std::move(problem)}; }
  bool fail(std::string problem) {
    error_ = ParseError{line_no_, std::move(problem)};
    return false;
  }
  bool fail_at(std::size_t line, std::string problem) {
    error_ = ParseError{line, std::move(problem)};
    return false;
  }

  bool handle_line(std::string_view line) {
    if (line.size() > lim_.max_line_length)
      return fail("line is longer than " + std::to_string(lim_.max_line_length) + " bytes");
    if (!printable(line)) return fail("line contains a control character");
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
      return fail("expected <letter>=<value>");
    char type = line[0];
    std::string_view value = line.substr(2);
    if (line_no_ == 1) {
      if (type != 'v') return fail("description must start with v=0");
      if (value != "0") return fail("unsupported protocol version '" + std::string(value) + "'");
      return true;
    }
    if (type == 'v') return fail("v= may appear only on the first line");
    if (type == 'm') return begin_media(value);
    if (!in_media_) return session_line(type, value);
    return media_line(type, value);
  }

  bool session_line(char type, std::string_view value) {
    switch (type) {
      case 'o': return origin(value);
      case 's':
        if (seen_s_) return fail("more than one s= line");
        seen_s_ = true;
        // RFC 8866 §5.3: s= must not be empty; "-" is the conventional blank.
        sdp_.session_name = value.empty() ? "-" : std::string(value);
        return true;
      case 't':
        if (!seen_t_) sdp_.timing = std::string(value);
        seen_t_ = true;
        return true;
      case 'c':
        if (!valid_connection(value)) return fail("malformed c= line");
        sdp_.connection = std::string(value);
        return true;
      case 'a': return session_attribute(value);
      case 'i': case 'u': case 'e': case 'p': case 'b': case 'r': case 'z': case 'k':
        return true;  // informational; Floe never needs them
      default:
        return fail(std::string("unknown line type '") + type + "='");
    }
  }

  bool origin(std::string_view value) {
    if (seen_o_) return fail("more than one o= line");
    seen_o_ = true;
    auto f = split_fields(value, 7);
    if (f.size() != 6) return fail("o= needs 6 fields: username sess-id sess-version nettype addrtype address");
    if (!all_digits(f[1]) || !all_digits(f[2]))
      return fail("o= session id and version must be digits");
    Origin& o = sdp_.origin;
    o.username = std::string(f[0]);
    o.session_id = std::string(f[1]);
    o.session_version = std::string(f[2]);
    o.net_type = std::string(f[3]);
    o.addr_type = std::string(f[4]);
    o.address = std::string(f[5]);
    return true;
  }

  bool begin_media(std::string_view value) {
    if (!finish_media()) return false;
    if (!seen_o_) return fail("m= before o=");
    if (!seen_s_) return fail("m= before s=");
    if (!seen_t_) return fail("m= before t=");
    if (sdp_.media.size() >= lim_.max_media)
      return fail("more than " + std::to_string(lim_.max_media) + " media sections");
    auto f = split_fields(value, lim_.max_formats + 4);
    if (f.size() > lim_.max_formats + 3)
      return fail("more than " + std::to_string(lim_.max_formats) + " formats on the m= line");
    if (f.size() < 4) return fail("m= needs media, port, proto and at least one format");
    MediaDescription m;
    if (!is_token(f[0])) return fail("m= media type is not a token");
    m.media = std::string(f[0]);
    std::string_view port = f[1], count;
    if (auto slash = port.find('/'); slash != std::string_view::npos) {
      count = port.substr(slash + 1);
      port = port.substr(0, slash);
      auto n = parse_uint<std::uint16_t>(count);
      if (!n) return fail("m= port count is not a number");
      m.port_count = *n;
    }
    auto p = parse_uint<std::uint16_t>(port);
    if (!p) return fail("m= port is not a number in 0..65535");
    m.port = *p;
    m.proto = std::string(f[2]);
    for (std::size_t i = 3; i < f.size(); ++i) m.formats.emplace_back(f[i]);
    if (m.is_rtp()) {
      std::set<std::uint8_t> seen;
      for (auto fmt : m.formats) {
        auto pt = parse_uint<std::uint8_t>(fmt);
        if (!pt || *pt > 127) return fail("RTP format '" + fmt + "' is not a payload type 0..127");
        if (!seen.insert(*pt).second) return fail("payload type " + fmt + " listed twice");
        Codec c;
        c.payload_type = *pt;
        fill_static_payload(c);
        m.codecs.push_back(std::move(c));
      }
    }
    sdp_.media.push_back(std::move(m));
    media_lines_.push_back(line_no_);
    in_media_ = true;
    attributes_ = 0;
    direction_seen_ = false;
    return true;
  }

  bool media_line(char type, std::string_view value) {
    MediaDescription& m = sdp_.media.back();
    switch (type) {
      case 'c':
        if (!valid_connection(value)) return fail("malformed c= line");
        m.connection = std::string(value);
        return true;
      case 'a': return media_attribute(m, value);
      case 'i': case 'b': case 'k':
        return true;
      case 'o': case 's': case 't': case 'u': case 'e': case 'p': case 'r': case 'z':
        return fail(std::string(1, type) + "= is not allowed inside a media section");
      default:
        return fail(std::string("unknown line type '") + type + "='");
    }
  }

  bool count_attribute() {
    if (++attributes_ > lim_.max_attributes)
      return fail("more than " + std::to_string(lim_.max_attributes) + " attributes in a section");
    return true;
  }

  // Attributes valid in either section; returns nullopt when `name` is not one.
  std::optional<bool> transport_attribute(Transport& t, std::string_view name,
                                          std::optional<std::string_view> value) {
    if (name == "ice-ufrag") {
      if (!value || !valid_ice_string(*value, 4)) return fail("ice-ufrag must be 4..256 ice-chars");
      t.ice_ufrag = std::string(*value);
      return true;
    }
    if (name == "ice-pwd") {
      if (!value || !valid_ice_string(*value, 22)) return fail("ice-pwd must be 22..256 ice-chars");
      t.ice_pwd = std::string(*value);
      return true;
    }
    if (name == "ice-options") {
      if (!value) return fail("ice-options needs a value");
      for (auto o : split_fields(*value, 32)) t.ice_options.emplace_back(o);
      return true;
    }
    if (name == "fingerprint") {
      if (!value) return fail("fingerprint needs a value");
      auto fp = parse_fingerprint(*value);
      if (!fp) return fail("fingerprint must be '<hash-func> <hex:hex:...>' of the hash's length");
      if (t.fingerprints.size() >= 8) return fail("too many fingerprints");
      t.fingerprints.push_back(std::move(*fp));
      return true;
    }
    if (name == "setup") {
      auto s = value ? parse_setup(*value) : std::nullopt;
      if (!s) return fail("setup must be actpass, active, passive or holdconn");
      t.setup = *s;
      return true;
    }
    return std::nullopt;
  }

  bool session_attribute(std::string_view text) {
    if (!count_attribute()) return false;
    auto [name, value] = split_attribute(text);
    if (!is_token(name)) return fail("attribute name is not a token");
    if (auto r = transport_attribute(sdp_.transport, name, value)) return *r;
    if (name == "group") {
      if (!value) return fail("group needs semantics and mids");
      auto f = split_fields(*value, lim_.max_media + 2);
      if (f.empty() || f.size() > lim_.max_media + 1) return fail("group has too many or no fields");
      Group g{std::string(f[0]), {}};
      for (std::size_t i = 1; i < f.size(); ++i) g.mids.emplace_back(f[i]);
      sdp_.groups.push_back(std::move(g));
      return true;
    }
    if (name == "msid-semantic") {
      sdp_.msid_semantic = std::string(value.value_or(""));
      return true;
    }
    if (name == "ice-lite") return sdp_.ice_lite = true;
    if (name == "extmap-allow-mixed") return sdp_.extmap_allow_mixed = true;
    sdp_.other.push_back({std::string(name), opt_string(value)});
    return true;
  }

  bool media_attribute(MediaDescription& m, std::string_view text) {
    if (!count_attribute()) return false;
    auto [name, value] = split_attribute(text);
    if (!is_token(name)) return fail("attribute name is not a token");
    if (auto r = transport_attribute(m.transport, name, value)) return *r;
    if (auto d = parse_direction(name); d && !value) {
      if (direction_seen_) return fail("more than one direction attribute");
      direction_seen_ = true;
      m.direction = *d;
      return true;
    }
    if (name == "mid") {
      if (!value || value->empty() || value->size() > 32 || !is_token(*value))
        return fail("mid must be a token of 1..32 characters");
      if (m.mid) return fail("more than one mid");
      m.mid = std::string(*value);
      return true;
    }
    if (name == "rtcp-mux") return m.rtcp_mux = true;
    if (name == "rtcp-rsize") return m.rtcp_rsize = true;
    if (name == "bundle-only") return m.bundle_only = true;
    if (name == "end-of-candidates") return m.end_of_candidates = true;
    if (name == "rtcp") {
      if (!value) return fail("rtcp needs a port");
      m.rtcp = std::string(*value);
      return true;
    }
    if (name == "candidate") {
      if (!value || value->empty()) return fail("candidate is empty");
      if (m.candidates.size() >= lim_.max_candidates)
        return fail("more than " + std::to_string(lim_.max_candidates) + " candidates");
      m.candidates.push_back("candidate:" + std::string(*value));
      return true;
    }
    if (name == "rtpmap") return rtpmap(m, value);
    if (name == "fmtp") return fmtp(m, value);
    if (name == "rtcp-fb") return rtcp_fb(m, value);
    if (name == "extmap") return extmap(m, value);
    if (name == "msid") {
      if (!value) return fail("msid needs a stream id");
      auto f = split_fields(*value, 3);
      if (f.empty() || f.size() > 2) return fail("msid must be '<stream> [<track>]'");
      m.msids.push_back({std::string(f[0]), f.size() > 1 ? std::string(f[1]) : ""});
      return true;
    }
    if (name == "ssrc") return ssrc(m, value);
    if (name == "ssrc-group") {
      if (!value) return fail("ssrc-group needs semantics and ssrcs");
      auto f = split_fields(*value, 34);
      if (f.size() < 2 || f.size() > 33) return fail("ssrc-group needs 1..32 ssrcs");
      SsrcGroup g{std::string(f[0]), {}};
      for (std::size_t i = 1; i < f.size(); ++i) {
        auto s = parse_uint<std::uint32_t>(f[i]);
        if (!s) return fail("ssrc-group member is not a 32-bit number");
        g.ssrcs.push_back(*s);
      }
      m.ssrc_groups.push_back(std::move(g));
      return true;
    }
    if (name == "sctp-port") {
      auto p = value ? parse_uint<std::uint16_t>(*value) : std::nullopt;
      if (!p) return fail("sctp-port must be a number in 0..65535");
      m.sctp_port = *p;
      return true;
    }
    if (name == "max-message-size") {
      auto n = value ? parse_uint<std::uint64_t>(*value) : std::nullopt;
      if (!n) return fail("max-message-size must be a number");
      m.max_message_size = *n;
      return true;
    }
    m.other.push_back({std::string(name), opt_string(value)});
    return true;
  }

  Codec* codec_for(MediaDescription& m, std::string_view pt_text, const char* what) {
    auto pt = parse_uint<std::uint8_t>(pt_text);
    if (!pt) {
      fail(std::string(what) + " payload type is not a number");
      return nullptr;
    }
    for (auto& c : m.codecs)
      if (c.payload_type == *pt) return &c;
    fail(std::string(what) + " for payload type " + std::string(pt_text) +
         " which the m= line does not list");
    return nullptr;
  }

  bool rtpmap(MediaDescription& m, std::optional<std::string_view> value) {
    if (!value) return fail("rtpmap needs a value");
    auto [pt, rest] = split_once(*value, ' ');
    Codec* c = codec_for(m, pt, "rtpmap");
    if (!c) return false;
    if (c->has_rtpmap) return fail("second rtpmap for payload type " + std::string(pt));
    auto f = split_all(rest, '/', 4);
    if (f.size() < 2 || f.size() > 3 || f[0].empty() || !is_token(f[0]))
      return fail("rtpmap must be '<pt> <name>/<clock rate>[/<channels>]'");
    auto clock = parse_uint<std::uint32_t>(f[1]);
    if (!clock || *clock == 0) return fail("rtpmap clock rate is not a positive number");
    std::uint8_t channels = 0;
    if (f.size() == 3) {
      auto ch = parse_uint<std::uint8_t>(f[2]);
      if (!ch || *ch == 0) return fail("rtpmap channel count is not a number in 1..255");
      channels = *ch;
    }
    c->name = std::string(f[0]);
    c->clock_rate = *clock;
    c->channels = channels;
    c->has_rtpmap = true;
    return true;
  }

  bool fmtp(MediaDescription& m, std::optional<std::string_view> value) {
    if (!value) return fail("fmtp needs a value");
    auto [pt, rest] = split_once(*value, ' ');
    if (!m.is_rtp()) {
      m.other.push_back({"fmtp", std::string(*value)});
      return true;
    }
    Codec* c = codec_for(m, pt, "fmtp");
    if (!c) return false;
    if (!c->fmtp.empty()) return fail("second fmtp for payload type " + std::string(pt));
    c->fmtp = std::string(rest);
    return true;
  }

  bool rtcp_fb(MediaDescription& m, std::optional<std::string_view> value) {
    if (!value) return fail("rtcp-fb needs a value");
    auto [pt, rest] = split_once(*value, ' ');
    if (rest.empty()) return fail("rtcp-fb needs a feedback type");
    if (pt == "*") {
      for (auto& c : m.codecs)
        if (c.rtcp_fb.size() < 32) c.rtcp_fb.emplace_back(rest);
      return true;
    }
    Codec* c = codec_for(m, pt, "rtcp-fb");
    if (!c) return false;
    if (c->rtcp_fb.size() >= 32) return fail("too many rtcp-fb lines for one payload type");
    c->rtcp_fb.emplace_back(rest);
    return true;
  }

  bool extmap(MediaDescription& m, std::optional<std::string_view> value) {
    if (!value) return fail("extmap needs a value");
    auto f = split_fields(*value, 3);
    if (f.size() < 2) return fail("extmap must be '<id>[/<direction>] <uri> [<attributes>]'");
    Extmap e;
    auto [id_text, dir_text] = split_once(f[0], '/');
    auto id = parse_uint<std::uint16_t>(id_text);
    // RFC 8285 §5: one-byte ids 1..14, two-byte ids 1..255.
    if (!id || *id == 0 || *id > 255) return fail("extmap id must be 1..255");
    e.id = *id;
    if (!dir_text.empty()) {
      auto d = parse_direction(dir_text);
      if (!d) return fail("extmap direction is not sendrecv/sendonly/recvonly/inactive");
      e.direction = *d;
    }
    e.uri = std::string(f[1]);
    if (f.size() == 3) e.attributes = std::string(f[2]);
    for (const auto& other : m.extmaps)
      if (other.id == e.id) return fail("extmap id " + std::to_string(e.id) + " used twice");
    if (m.extmaps.size() >= 64) return fail("too many extmap lines");
    m.extmaps.push_back(std::move(e));
    return true;
  }

  bool ssrc(MediaDescription& m, std::optional<std::string_view> value) {
    if (!value) return fail("ssrc needs a value");
    auto [id_text, rest] = split_once(*value, ' ');
    auto id = parse_uint<std::uint32_t>(id_text);
    if (!id) return fail("ssrc id is not a 32-bit number");
    if (rest.empty()) return fail("ssrc needs an attribute");
    if (m.ssrcs.size() >= 64) return fail("too many ssrc lines");
    auto [attr, attr_value] = split_once(rest, ':');
    m.ssrcs.push_back({*id, std::string(attr), std::string(attr_value)});
    return true;
  }

  bool finish_media() {
    if (!in_media_) return true;
    const MediaDescription& m = sdp_.media.back();
    // Dynamic payload types mean nothing without a=rtpmap (RFC 8866 §6.6);
    // a disabled section (port 0) may list them bare, as rejections do.
    if (m.port == 0) return true;
    for (const auto& c : m.codecs)
      if (c.name.empty() && c.payload_type >= 96)
        return fail_at(media_lines_.back(), "payload type " + std::to_string(c.payload_type) +
                                                " has no a=rtpmap");
    return true;
  }

  bool finish() {
    if (!finish_media()) return false;
    if (!seen_o_) return fail_at(0, "missing o= line");
    if (!seen_s_) return fail_at(0, "missing s= line");
    if (!seen_t_) return fail_at(0, "missing t= line");
    std::set<std::string> mids;
    for (std::size_t i = 0; i < sdp_.media.size(); ++i) {
      const auto& mid = sdp_.media[i].mid;
      if (mid && !mids.insert(*mid).second)
        return fail_at(media_lines_[i], "mid '" + *mid + "' used by two media sections");
    }
    for (const auto& g : sdp_.groups)
      for (const auto& mid : g.mids)
        if (!mids.count(mid))
          return fail_at(0, "group " + g.semantics + " names mid '" + mid +
                                "' which no media section has");
    return true;
  }

  const ParseLimits& lim_;
  SessionDescription sdp_;
  std::optional<ParseError> error_;
  std::vector<std::size_t> media_lines_;
  std::size_t line_no_ = 0;
  std::size_t attributes_ = 0;
  bool seen_o_ = false, seen_s_ = false, seen_t_ = false;
  bool in_media_ = false;
  bool direction_seen_ = false;
};

}  // namespace

ParseResult parse(std::string_view text, const ParseLimits& limits) {
  return Parser(limits).run(text);
}

}  // namespace floe::sdp
