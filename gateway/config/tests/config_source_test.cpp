#include "gateway/config/config_source.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace floe::cmd {
namespace {

constexpr const char* kUsage =
    "usage: floe thing [options]\n"
    "  --http ADDR:PORT   listen here\n"
    "                     --not-an-option (continuation lines start with text)\n"
    "  --media-port PORT  the port\n"
    "  --origin ORIGIN    repeatable\n"
    "  --trunk SPEC       name=...,proxy=...\n"
    "  --config FILE      a JSON file\n";

struct FakeEnv {
  std::map<std::string, std::string> vars;
  std::function<const char*(const char*)> fn() {
    return [this](const char* n) -> const char* {
      auto it = vars.find(n);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

std::string write_file(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("floe_config_test_" + std::to_string(::getpid()) + "_" +
               std::to_string(std::rand()) + ".json");
  std::ofstream(path) << text;
  return path.string();
}

TEST(ConfigSource, OptionsComeFromTheUsageText) {
  auto o = options_in_usage(kUsage);
  EXPECT_EQ(o, (std::vector<std::string>{"--http", "--media-port", "--origin", "--trunk",
                                         "--config"}));
}

TEST(ConfigSource, EnvironmentNames) {
  EXPECT_EQ(environment_name("--media-port"), "FLOE_MEDIA_PORT");
  EXPECT_EQ(environment_name("http"), "FLOE_HTTP");
}

TEST(ConfigSource, EnvironmentGivesArgsAndNumberedRepeats) {
  FakeEnv env;
  env.vars = {{"FLOE_MEDIA_PORT", "10002"},
              {"FLOE_ORIGIN", "https://a"},
              {"FLOE_ORIGIN_2", "https://b"},
              {"FLOE_BIN", "/usr/bin/floe"},  // not an option: ignored
              {"FLOE_HTTP", ""}};             // empty: unset
  auto args = environment_args(options_in_usage(kUsage), env.fn());
  EXPECT_EQ(args, (std::vector<std::string>{"--media-port", "10002", "--origin", "https://a",
                                            "--origin", "https://b"}));
}

TEST(ConfigSource, FileScalarsArraysAndObjects) {
  auto path = write_file(R"({
    // comments are allowed
    "http": "127.0.0.1:9000", "media-port": 10004,
    "origin": ["https://a", "https://b"],
    "trunk": {"name": "pstn", "password": "a,b\\c", "register": true}
  })");
  auto r = config_file_args(path, options_in_usage(kUsage));
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.args, (std::vector<std::string>{
                        "--http", "127.0.0.1:9000", "--media-port", "10004", "--origin",
                        "https://a", "--origin", "https://b", "--trunk",
                        "name=pstn,password=a\\,b\\\\c,register=true"}));
  auto spec = parse_spec(r.args.back());
  ASSERT_TRUE(spec);
  EXPECT_EQ((*spec)["password"], "a,b\\c");
  EXPECT_EQ((*spec)["register"], "true");
  std::filesystem::remove(path);
}

TEST(ConfigSource, FileErrorsNameTheProblem) {
  auto opts = options_in_usage(kUsage);
  auto typo = write_file(R"({"media-prot": 1})");
  EXPECT_NE(config_file_args(typo, opts).error.find("unknown option 'media-prot'"),
            std::string::npos);
  auto bad = write_file("{ not json");
  EXPECT_NE(config_file_args(bad, opts).error.find("not a JSON object"), std::string::npos);
  auto nested = write_file(R"({"trunk": {"name": {"x": 1}}})");
  EXPECT_NE(config_file_args(nested, opts).error.find("'name' must be"), std::string::npos);
  EXPECT_NE(config_file_args("/nonexistent/floe.json", opts).error.find("cannot read"),
            std::string::npos);
  for (auto& p : {typo, bad, nested}) std::filesystem::remove(p);
}

TEST(ConfigSource, SpecParsing) {
  std::string err;
  EXPECT_FALSE(parse_spec("name=a,broken", &err));
  EXPECT_NE(err.find("broken"), std::string::npos);
  EXPECT_FALSE(parse_spec("a=1,a=2", &err));
  EXPECT_NE(err.find("twice"), std::string::npos);
  auto ok = parse_spec("a=1,b=x=y,");
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["b"], "x=y");
  EXPECT_EQ(ok->size(), 2u);
}

TEST(ConfigSource, PrecedenceFileThenEnvironmentThenCommandLine) {
  auto path = write_file(R"({"media-port": 1, "origin": "https://file"})");
  FakeEnv env;
  env.vars = {{"FLOE_MEDIA_PORT", "2"}};
  std::string err;
  auto args = gather_args(kUsage, {"--config", path, "--media-port", "3"}, env.fn(), &err);
  ASSERT_TRUE(err.empty()) << err;
  EXPECT_EQ(args, (std::vector<std::string>{"--media-port", "1", "--origin", "https://file",
                                            "--media-port", "2", "--media-port", "3"}));
  env.vars["FLOE_CONFIG"] = path;  // the file may come from the environment too
  args = gather_args(kUsage, {}, env.fn(), &err);
  EXPECT_EQ(args.size(), 6u);
  env.vars["FLOE_CONFIG"] = "/nonexistent.json";
  args = gather_args(kUsage, {}, env.fn(), &err);
  EXPECT_TRUE(args.empty());
  EXPECT_NE(err.find("cannot read"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace floe::cmd
