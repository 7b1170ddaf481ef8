#pragma once
// What every `floe <subcommand>` parser needs: walking flags with their
// values, strict number parsing, and a uniform usage error (exit status 2).
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace floe::cmd {

template <typename T>
std::optional<T> parse_number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

class CommandLine {
 public:
  CommandLine(std::string_view name, std::span<const std::string_view> args)
      : name_(name), args_(args) {}

  // Moves to the next flag; false when none is left.
  bool next() { return ++i_ < args_.size(); }
  std::string_view flag() const { return args_[i_]; }
  // Consumes the argument after the current flag, if there is one.
  std::optional<std::string_view> value() {
    if (i_ + 1 >= args_.size()) return std::nullopt;
    return args_[++i_];
  }
  bool help() const { return flag() == "-h" || flag() == "--help"; }

  int fail(const std::string& msg, const char* usage = nullptr) const {
    std::fprintf(stderr, "floe %.*s: %s\n%s", static_cast<int>(name_.size()), name_.data(),
                 msg.c_str(), usage ? usage : "");
    return 2;
  }

 private:
  std::string_view name_;
  std::span<const std::string_view> args_;
  std::size_t i_ = static_cast<std::size_t>(-1);
};

}  // namespace floe::cmd
