#include "gateway/sip/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

#include "base/random.hpp"

namespace floe::sip {

namespace {

std::string hex(const unsigned char* p, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

bool is_sess(DigestAlgorithm a) {
  return a == DigestAlgorithm::Md5Sess || a == DigestAlgorithm::Sha256Sess;
}

void skip_lws(std::string_view s, std::size_t& pos) {
  while (pos < s.size() && (is_ws(s[pos]) || s[pos] == '\r' || s[pos] == '\n')) ++pos;
}

std::string nc_hex(std::uint32_t nc) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", nc);
  return buf;
}

// Parses the value of an Authorization header we built, to see which nonce
// count and realm a rejected request carried.
std::optional<std::pair<std::string, std::string>> realm_and_nc(std::string_view value) {
  auto c = Challenge::parse(value);
  if (!c) return std::nullopt;
  std::string nc;
  auto pos = value.find("nc=");
  if (pos != std::string_view::npos) nc = std::string(value.substr(pos + 3, 8));
  return std::make_pair(c->realm, nc);
}

}  // namespace

std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view name) {
  if (name.empty() || iequals(name, "MD5")) return DigestAlgorithm::Md5;
  if (iequals(name, "MD5-sess")) return DigestAlgorithm::Md5Sess;
  if (iequals(name, "SHA-256")) return DigestAlgorithm::Sha256;
  if (iequals(name, "SHA-256-sess")) return DigestAlgorithm::Sha256Sess;
  return std::nullopt;
}

std::string_view digest_algorithm_name(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::Md5: return "MD5";
    case DigestAlgorithm::Md5Sess: return "MD5-sess";
    case DigestAlgorithm::Sha256: return "SHA-256";
    case DigestAlgorithm::Sha256Sess: return "SHA-256-sess";
  }
  return "MD5";
}

std::optional<Challenge> Challenge::parse(std::string_view v) {
  std::size_t pos = 0;
  skip_lws(v, pos);
  std::size_t start = pos;
  while (pos < v.size() && is_token_char(v[pos])) ++pos;
  if (!iequals(v.substr(start, pos - start), "Digest")) return std::nullopt;
  Challenge c;
  bool have_nonce = false;
  while (true) {
    skip_lws(v, pos);
    if (pos >= v.size()) break;
    if (v[pos] == ',') {
      ++pos;
      continue;
    }
    std::size_t ns = pos;
    while (pos < v.size() && is_token_char(v[pos])) ++pos;
    if (pos == ns) return std::nullopt;
    auto name = v.substr(ns, pos - ns);
    skip_lws(v, pos);
    if (pos >= v.size() || v[pos] != '=') return std::nullopt;
    ++pos;
    skip_lws(v, pos);
    std::string value;
    if (pos < v.size() && v[pos] == '"') {
      auto q = read_quoted(v, pos);
      if (!q) return std::nullopt;
      value = std::move(*q);
    } else {
      std::size_t vs = pos;
      while (pos < v.size() && v[pos] != ',' && !is_ws(v[pos])) ++pos;
      value = std::string(v.substr(vs, pos - vs));
    }
    if (iequals(name, "realm")) c.realm = value;
    else if (iequals(name, "nonce")) {
      c.nonce = value;
      have_nonce = true;
    } else if (iequals(name, "opaque")) {
      c.opaque = value;
      c.has_opaque = true;
    } else if (iequals(name, "algorithm")) {
      c.algorithm_name = value;
      c.algorithm = parse_digest_algorithm(value);
    } else if (iequals(name, "stale")) c.stale = iequals(value, "true");
    else if (iequals(name, "qop")) {
      std::string_view list = value;
      while (!list.empty()) {
        auto comma = list.find(',');
        auto item = trim(list.substr(0, comma));
        if (!item.empty()) c.qop.push_back(to_lower(item));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
  }
  (void)have_nonce;
  return c;
}

std::string digest_hash_hex(DigestAlgorithm a, std::string_view data) {
  const EVP_MD* md = (a == DigestAlgorithm::Md5 || a == DigestAlgorithm::Md5Sess) ? EVP_md5()
                                                                                   : EVP_sha256();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return {};
  return hex(out, len);
}

std::string digest_response(const DigestInput& in) {
  auto H = [&](std::string_view s) { return digest_hash_hex(in.algorithm, s); };
  std::string ha1 = H(in.username + ":" + in.realm + ":" + in.password);
  if (is_sess(in.algorithm)) ha1 = H(ha1 + ":" + in.nonce + ":" + in.cnonce);
  std::string a2 = in.method + ":" + in.uri;
  if (in.qop == "auth-int") a2 += ":" + H(in.body);
  std::string ha2 = H(a2);
  if (in.qop.empty()) return H(ha1 + ":" + in.nonce + ":" + ha2);
  return H(ha1 + ":" + in.nonce + ":" + nc_hex(in.nc) + ":" + in.cnonce + ":" + in.qop + ":" +
           ha2);
}

DigestClient::DigestClient(DigestCredentials credentials)
    : credentials_(std::move(credentials)), cnonce_([] {
        std::uint8_t b[12];
        random_bytes(b);
        return hex(b, sizeof b);
      }) {}

bool DigestClient::handle_challenge(const Message& request, const Message& response) {
  const bool proxy = response.status == 407;
  const char* header = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
  const char* auth_header = proxy ? "Proxy-Authorization" : "Authorization";
  bool answered_any = false;
  std::map<std::string, bool> seen_realm;
  for (auto value : response.all(header)) {
    auto c = Challenge::parse(value);
    // RFC 8760 §2.4: use the topmost challenge per realm whose algorithm we support.
    if (!c || !c->algorithm || seen_realm[c->realm]) continue;
    if (!c->qop.empty() && std::find(c->qop.begin(), c->qop.end(), "auth") == c->qop.end() &&
        std::find(c->qop.begin(), c->qop.end(), "auth-int") == c->qop.end())
      continue;
    seen_realm[c->realm] = true;
    c->proxy = proxy;
    // Did the rejected request carry first-use credentials for this realm?
    bool fresh_rejected = false;
    for (auto sent : request.all(auth_header)) {
      auto rn = realm_and_nc(sent);
      if (rn && rn->first == c->realm && (rn->second.empty() || rn->second == "00000001"))
        fresh_rejected = true;
    }
    if (fresh_rejected && !c->stale) continue;
    realms_[c->realm] = RealmState{std::move(*c), 0};
    answered_any = true;
  }
  return answered_any;
}

void DigestClient::authorize(Message& request) {
  request.remove("Authorization");
  request.remove("Proxy-Authorization");
  for (auto& [realm, st] : realms_) {
    const Challenge& c = st.challenge;
    DigestInput in;
    in.algorithm = *c.algorithm;
    in.username = credentials_.username;
    in.password = credentials_.password;
    in.realm = c.realm;
    in.nonce = c.nonce;
    in.method = request.method;
    in.uri = request.request_uri.to_string();
    if (!c.qop.empty()) {
      bool auth = std::find(c.qop.begin(), c.qop.end(), "auth") != c.qop.end();
      in.qop = auth ? "auth" : "auth-int";
      in.nc = ++st.nc;
      in.cnonce = cnonce_();
      in.body = as_chars(request.body);
    }
    std::string v = "Digest username=" + quote(in.username) + ", realm=" + quote(in.realm) +
                    ", nonce=" + quote(in.nonce) + ", uri=" + quote(in.uri) +
                    ", response=" + quote(digest_response(in)) +
                    ", algorithm=" + std::string(digest_algorithm_name(in.algorithm));
    if (!in.qop.empty())
      v += ", qop=" + in.qop + ", nc=" + nc_hex(in.nc) + ", cnonce=" + quote(in.cnonce);
    if (c.has_opaque) v += ", opaque=" + quote(c.opaque);
    request.add(c.proxy ? "Proxy-Authorization" : "Authorization", std::move(v));
  }
}

}  // namespace floe::sip
