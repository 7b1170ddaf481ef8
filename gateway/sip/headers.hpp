#pragma once
// Typed views of the header values the transaction and dialog layers need:
// name-addr/addr-spec (From, To, Contact, Route, Record-Route), Via and CSeq
// (RFC 3261 §20, §25.1), plus header-name canonicalisation (compact forms).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/sip/syntax.hpp"
#include "gateway/sip/uri.hpp"

namespace floe::sip {

// Expands compact forms (§7.3.3) and fixes the case of known names, so
// lookups and serialization use one spelling. Unknown names are kept as-is.
std::string canonical_header_name(std::string_view name);
// The long form of a one-letter compact name, else `name` unchanged; no
// allocation, for lookups (stored names are already canonical).
std::string_view expand_compact(std::string_view name);
// Headers whose values are comma-separated lists (§7.3.1) and may be split.
bool is_list_header(std::string_view canonical_name);

// name-addr / addr-spec with header parameters (tag, expires, q, ...).
struct NameAddr {
  std::string display_name;  // unquoted
  Uri uri;
  Params params;
  bool wildcard = false;     // "Contact: *"

  static std::optional<NameAddr> parse(std::string_view text);
  std::string tag() const;
  std::string to_string() const;  // always name-addr form
};

struct Via {
  std::string protocol = "SIP";
  std::string version = "2.0";
  std::string transport;  // upper case: UDP, TCP, TLS, WS, ...
  std::string host;       // IPv6 without brackets
  std::optional<std::uint16_t> port;
  Params params;

  static std::optional<Via> parse(std::string_view text);
  std::string branch() const;
  // RFC 3261 §8.1.1.7: branches of RFC 3261 clients start with this cookie.
  bool rfc3261_branch() const { return branch().starts_with("z9hG4bK"); }
  std::string sent_by() const;
  std::string to_string() const;
};

struct CSeq {
  std::uint32_t number = 0;
  std::string method;

  static std::optional<CSeq> parse(std::string_view text);
  std::string to_string() const { return std::to_string(number) + " " + method; }
};

inline constexpr std::string_view kBranchCookie = "z9hG4bK";

// callid = word [ "@" word ] (§25.1).
bool is_valid_call_id(std::string_view s);

}  // namespace floe::sip
