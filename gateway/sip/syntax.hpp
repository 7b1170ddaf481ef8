#pragma once
// Lexical pieces of the RFC 3261 §25 grammar shared by the parser and the
// header-value parsers: tokens, linear white space, quoted strings, generic
// parameters, and comma-separated lists that respect quotes and <>.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace floe::sip {

bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);
inline bool is_ws(char c) { return c == ' ' || c == '\t'; }
// token characters, §25.1: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
bool is_token_char(char c);
bool is_token(std::string_view s);
std::string_view trim(std::string_view s);
// Digits only, no sign, no overflow past `max`.
std::optional<unsigned long> parse_decimal(std::string_view s, unsigned long max);

// Reads a quoted-string starting at s[pos] == '"'; on success advances pos past
// the closing quote and returns the unescaped contents.
std::optional<std::string> read_quoted(std::string_view s, std::size_t& pos);
// Wraps in quotes, escaping '"' and '\'.
std::string quote(std::string_view s);

// Generic parameter: ";name" or ";name=value". A quoted value is kept with
// its quotes so the header re-serializes as received; use unquoted() to read.
struct Param {
  std::string name;
  std::string value;
  bool has_value = false;
  std::string unquoted() const;
};
using Params = std::vector<Param>;

const Param* find_param(const Params& params, std::string_view name);
// Sets or replaces a parameter; an empty optional value makes ";name".
void set_param(Params& params, std::string_view name, std::optional<std::string_view> value);
void remove_param(Params& params, std::string_view name);
std::string params_to_string(const Params& params);

// Parses *( SEMI generic-param ) from s[pos..]; LWS around ';' and '=' is
// allowed. Stops at end or at a character that cannot continue the list.
// Returns false on a malformed parameter.
bool parse_params(std::string_view s, std::size_t& pos, Params& out);

// Splits a header value at commas outside quoted strings and <...>.
// Empty elements are dropped. Returns false on an unterminated quote or <.
bool split_list(std::string_view value, std::vector<std::string_view>& out);

}  // namespace floe::sip
