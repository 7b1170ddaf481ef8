#pragma once
// Where `floe <subcommand>` options come from besides the command line: a
// JSON file (--config FILE, or $FLOE_CONFIG) and the environment
// (FLOE_<OPTION> for every documented --option). All three become one
// argument list parsed by the subcommand's own flag loop, so a setting has
// one meaning and one validation wherever it is written. Precedence is by
// position: file first, then environment, then the command line; a later
// single-valued option overrides an earlier one, repeatable ones add up.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace floe::cmd {

// The `--name` options a usage text documents: every line that starts, after
// at most four spaces, with "--".
std::vector<std::string> options_in_usage(std::string_view usage);

// "--media-port" -> "FLOE_MEDIA_PORT".
std::string environment_name(std::string_view option);

// FLOE_<OPTION>, then FLOE_<OPTION>_1 .. FLOE_<OPTION>_9 for repeated ones,
// for each option in `options`, as "--option" "value" pairs. `getenv` is a
// parameter so tests need not touch the process environment.
std::vector<std::string> environment_args(const std::vector<std::string>& options,
                                          const std::function<const char*(const char*)>& getenv);

// A JSON object whose keys are option names without the dashes:
//   { "http": "0.0.0.0:8080", "media-port": 10000, "origin": ["https://a"],
//     "trunk": [{ "name": "pstn", "proxy": "192.0.2.10:5060" }] }
// Strings, numbers and booleans give one value; arrays repeat the option;
// objects become a spec "key=value,key=value" (',' and '\' escaped with '\').
// Keys not in `options` are an error naming the key, so a typo is not
// silently ignored.
struct ConfigFileResult {
  std::vector<std::string> args;
  std::string error;  // empty on success
};
ConfigFileResult config_file_args(const std::string& path, const std::vector<std::string>& options);

// The inverse of the object form above: "name=pstn,proxy=1.2.3.4:5060".
// nullopt (with `error` set) when an item has no '=' or a key repeats.
std::optional<std::map<std::string, std::string>> parse_spec(std::string_view spec,
                                                             std::string* error = nullptr);

// file + environment + `cli`, with --config itself removed. `error` is set
// (and the result empty) when the file cannot be read or parsed.
std::vector<std::string> gather_args(std::string_view usage, const std::vector<std::string>& cli,
                                     const std::function<const char*(const char*)>& getenv,
                                     std::string* error);

}  // namespace floe::cmd
