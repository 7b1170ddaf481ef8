#pragma once
// Small bounded text helpers shared by the SDP parser and the offer/answer
// code. Internal to signaling/sdp.
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signaling/sdp/session_description.hpp"

namespace floe::sdp {

// Digits only, no sign or spaces; nullopt when empty or out of T's range.
template <class T>
std::optional<T> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  if (v > std::numeric_limits<T>::max()) return std::nullopt;
  return static_cast<T>(v);
}

bool all_digits(std::string_view s);
// RFC 8866 §9 token-char.
bool is_token(std::string_view s);
// Printable ASCII, TAB, and bytes >= 0x80 (UTF-8 in s= or i=); no other controls.
bool printable(std::string_view s);
// RFC 8839 §5.4 ice-char (ALPHA / DIGIT / "+" / "/"), min..256 long.
bool valid_ice_string(std::string_view s, std::size_t min);
// "<nettype> <addrtype> <address>" with nothing else.
bool valid_connection(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

// Space-separated fields (runs of spaces collapse); at most `max`, the last
// one keeps the rest of the text.
std::vector<std::string_view> split_fields(std::string_view s, std::size_t max);
// At most `max` pieces split by `sep`, the last one keeps the rest.
std::vector<std::string_view> split_all(std::string_view s, char sep, std::size_t max);
// (before, after) the first `sep`; (s, "") when there is none.
std::pair<std::string_view, std::string_view> split_once(std::string_view s, char sep);
// "name:value" -> (name, value); "name" -> (name, nullopt).
std::pair<std::string_view, std::optional<std::string_view>> split_attribute(std::string_view s);

inline std::optional<std::string> opt_string(std::optional<std::string_view> v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::optional<Direction> parse_direction(std::string_view s);
std::optional<Setup> parse_setup(std::string_view s);
// Validates the hex pairs and the digest length for known hash functions;
// normalises to lower-case algorithm and upper-case hex.
std::optional<Fingerprint> parse_fingerprint(std::string_view s);

}  // namespace floe::sdp
