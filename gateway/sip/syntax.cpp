#include "gateway/sip/syntax.hpp"

#include <algorithm>
#include <cctype>

namespace floe::sip {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
void skip_ws(std::string_view s, std::size_t& pos) {
  while (pos < s.size() && is_ws(s[pos])) ++pos;
}
// Characters a parameter value may hold besides token chars: hosts ([::1]),
// and the URI param-unreserved set (§25.1) used in URI parameters.
bool is_param_value_char(char c) {
  return is_token_char(c) || c == '[' || c == ']' || c == ':' || c == '/' || c == '&' ||
         c == '$';
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_':
    case '+': case '`': case '\'': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_ws(s.front()) || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (is_ws(s.back()) || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::optional<unsigned long> parse_decimal(std::string_view s, unsigned long max) {
  if (s.empty()) return std::nullopt;
  unsigned long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned long>(c - '0');
    if (v > max) return std::nullopt;
  }
  return v;
}

std::optional<std::string> read_quoted(std::string_view s, std::size_t& pos) {
  if (pos >= s.size() || s[pos] != '"') return std::nullopt;
  std::string out;
  std::size_t i = pos + 1;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      pos = i + 1;
      return out;
    }
    if (c == '\\') {
      // quoted-pair excludes CR and LF (§25.1).
      if (i + 1 >= s.size() || s[i + 1] == '\r' || s[i + 1] == '\n') return std::nullopt;
      out.push_back(s[i + 1]);
      i += 2;
      continue;
    }
    if (c == '\r' || c == '\n') return std::nullopt;
    out.push_back(c);
    ++i;
  }
  return std::nullopt;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Param::unquoted() const {
  if (value.size() >= 2 && value.front() == '"') {
    std::size_t pos = 0;
    if (auto q = read_quoted(value, pos)) return *q;
  }
  return value;
}

const Param* find_param(const Params& params, std::string_view name) {
  for (const auto& p : params)
    if (iequals(p.name, name)) return &p;
  return nullptr;
}

void set_param(Params& params, std::string_view name, std::optional<std::string_view> value) {
  for (auto& p : params) {
    if (iequals(p.name, name)) {
      p.value = value ? std::string(*value) : std::string();
      p.has_value = value.has_value();
      return;
    }
  }
  params.push_back({std::string(name), value ? std::string(*value) : std::string(),
                    value.has_value()});
}

void remove_param(Params& params, std::string_view name) {
  std::erase_if(params, [&](const Param& p) { return iequals(p.name, name); });
}

std::string params_to_string(const Params& params) {
  std::string out;
  for (const auto& p : params) {
    out += ';';
    out += p.name;
    if (p.has_value) {
      out += '=';
      out += p.value;
    }
  }
  return out;
}

bool parse_params(std::string_view s, std::size_t& pos, Params& out) {
  while (true) {
    std::size_t save = pos;
    skip_ws(s, pos);
    if (pos >= s.size() || s[pos] != ';') {
      pos = save;
      return true;
    }
    ++pos;
    skip_ws(s, pos);
    std::size_t start = pos;
    while (pos < s.size() && is_token_char(s[pos])) ++pos;
    if (pos == start) return false;
    Param p;
    p.name = std::string(s.substr(start, pos - start));
    std::size_t after_name = pos;
    skip_ws(s, pos);
    if (pos < s.size() && s[pos] == '=') {
      ++pos;
      skip_ws(s, pos);
      if (pos < s.size() && s[pos] == '"') {
        std::size_t qstart = pos;
        if (!read_quoted(s, pos)) return false;
        p.value = std::string(s.substr(qstart, pos - qstart));
      } else {
        std::size_t vstart = pos;
        while (pos < s.size() && is_param_value_char(s[pos])) ++pos;
        if (pos == vstart) return false;
        p.value = std::string(s.substr(vstart, pos - vstart));
      }
      p.has_value = true;
    } else {
      pos = after_name;
    }
    out.push_back(std::move(p));
  }
}

bool split_list(std::string_view value, std::vector<std::string_view>& out) {
  std::size_t start = 0;
  bool in_quote = false;
  bool in_angle = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (in_quote) {
      if (c == '\\') ++i;
      else if (c == '"') in_quote = false;
      continue;
    }
    if (in_angle) {
      if (c == '>') in_angle = false;
      continue;
    }
    if (c == '"') in_quote = true;
    else if (c == '<') in_angle = true;
    else if (c == ',') {
      auto item = trim(value.substr(start, i - start));
      if (!item.empty()) out.push_back(item);
      start = i + 1;
    }
  }
  if (in_quote || in_angle) return false;
  auto item = trim(value.substr(start));
  if (!item.empty()) out.push_back(item);
  return true;
}

}  // namespace floe::sip
