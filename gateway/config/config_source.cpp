#include "gateway/config/config_source.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace floe::cmd {
namespace {

bool known(const std::vector<std::string>& options, std::string_view name) {
  return std::find(options.begin(), options.end(), name) != options.end();
}

std::string escape_spec(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// One JSON value as an option value; nullopt for null, arrays and objects.
std::optional<std::string> scalar(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_float()) {
    std::ostringstream os;
    os << v.get<double>();
    return os.str();
  }
  return std::nullopt;
}

std::optional<std::string> spec_of(const nlohmann::json& obj, std::string* error) {
  std::string spec;
  for (const auto& [k, v] : obj.items()) {
    auto s = scalar(v);
    if (!s) {
      *error = "'" + k + "' must be a string, number or boolean";
      return std::nullopt;
    }
    if (!spec.empty()) spec += ',';
    spec += escape_spec(k) + "=" + escape_spec(*s);
  }
  return spec;
}

}  // namespace

std::vector<std::string> options_in_usage(std::string_view usage) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < usage.size()) {
    auto end = usage.find('\n', pos);
    if (end == std::string_view::npos) end = usage.size();
    auto line = usage.substr(pos, end - pos);
    pos = end + 1;
    auto first = line.find_first_not_of(' ');
    // Options sit at the left margin (a few spaces); deeper lines continue
    // the description above them and may mention other options.
    if (first == std::string_view::npos || first > 4 || line.compare(first, 2, "--") != 0)
      continue;
    auto stop = first + 2;
    while (stop < line.size() &&
           (std::isalnum(static_cast<unsigned char>(line[stop])) || line[stop] == '-'))
      ++stop;
    std::string name(line.substr(first, stop - first));
    if (name.size() > 2 && !known(out, name)) out.push_back(std::move(name));
  }
  return out;
}

std::string environment_name(std::string_view option) {
  std::string out = "FLOE_";
  for (char c : option.substr(option.starts_with("--") ? 2 : 0))
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> environment_args(const std::vector<std::string>& options,
                                          const std::function<const char*(const char*)>& getenv) {
  std::vector<std::string> out;
  for (const auto& o : options) {
    if (o == "--config") continue;  // FLOE_CONFIG is read by gather_args itself
    const auto base = environment_name(o);
    for (int i = 0; i <= 9; ++i) {
      const auto name = i == 0 ? base : base + "_" + std::to_string(i);
      if (const char* v = getenv(name.c_str()); v && *v) {
        out.push_back(o);
        out.emplace_back(v);
      }
    }
  }
  return out;
}

ConfigFileResult config_file_args(const std::string& path, const std::vector<std::string>& options) {
  ConfigFileResult r;
  std::ifstream in(path);
  if (!in) {
    r.error = "cannot read config file " + path;
    return r;
  }
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false, /*ignore_comments=*/true);
  if (doc.is_discarded() || !doc.is_object()) {
    r.error = path + ": not a JSON object (options by name, see --help)";
    return r;
  }
  for (const auto& [key, value] : doc.items()) {
    const std::string option = "--" + key;
    if (key == "config" || !known(options, option)) {
      r.error = path + ": unknown option '" + key + "' (see --help)";
      r.args.clear();
      return r;
    }
    auto add = [&](const nlohmann::json& v) {
      std::string why;
      std::optional<std::string> s = v.is_object() ? spec_of(v, &why) : scalar(v);
      if (!s) {
        r.error = path + ": '" + key + "': " +
                  (why.empty() ? "must be a string, number, boolean or object" : why);
        return false;
      }
      r.args.push_back(option);
      r.args.push_back(std::move(*s));
      return true;
    };
    if (value.is_array()) {
      for (const auto& v : value)
        if (!add(v)) return {{}, r.error};
    } else if (!add(value)) {
      return {{}, r.error};
    }
  }
  return r;
}

std::optional<std::map<std::string, std::string>> parse_spec(std::string_view spec,
                                                             std::string* error) {
  std::map<std::string, std::string> out;
  std::string key, value, *cur = &key;
  bool have_eq = false;
  auto finish = [&]() -> bool {
    if (key.empty() && !have_eq && value.empty()) return true;  // empty item (trailing ',')
    if (!have_eq || key.empty()) {
      if (error) *error = "'" + key + "' is not key=value";
      return false;
    }
    if (!out.emplace(key, value).second) {
      if (error) *error = "'" + key + "' given twice";
      return false;
    }
    key.clear();
    value.clear();
    cur = &key;
    have_eq = false;
    return true;
  };
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const char c = spec[i];
    if (c == '\\' && i + 1 < spec.size()) {
      *cur += spec[++i];
    } else if (c == ',') {
      if (!finish()) return std::nullopt;
    } else if (c == '=' && !have_eq) {
      have_eq = true;
      cur = &value;
    } else {
      *cur += c;
    }
  }
  if (!finish()) return std::nullopt;
  return out;
}

std::vector<std::string> gather_args(std::string_view usage, const std::vector<std::string>& cli,
                                     const std::function<const char*(const char*)>& getenv,
                                     std::string* error) {
  const auto options = options_in_usage(usage);
  std::optional<std::string> file;
  if (const char* f = getenv("FLOE_CONFIG"); f && *f) file = f;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < cli.size(); ++i) {
    if (cli[i] == "--config" && i + 1 < cli.size()) {
      file = cli[++i];
      continue;
    }
    rest.push_back(cli[i]);
  }
  std::vector<std::string> out;
  if (file) {
    auto r = config_file_args(*file, options);
    if (!r.error.empty()) {
      if (error) *error = r.error;
      return {};
    }
    out = std::move(r.args);
  }
  auto env = environment_args(options, getenv);
  out.insert(out.end(), env.begin(), env.end());
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace floe::cmd
