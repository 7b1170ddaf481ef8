#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "signaling/server/http_policy.hpp"

namespace floe::signaling {
namespace {

TEST(HttpPolicy, OriginAllowList) {
  EXPECT_TRUE(origin_allowed({}, "http://127.0.0.1:8080", "127.0.0.1:8080", false));
  EXPECT_FALSE(origin_allowed({}, "http://evil.example", "127.0.0.1:8080", false));
  EXPECT_FALSE(origin_allowed({}, "http://127.0.0.1:8080", "127.0.0.1:8080", true));
  EXPECT_TRUE(origin_allowed({}, "https://floe.example:8443", "floe.example:8443", true));
  EXPECT_TRUE(origin_allowed({}, "", "x", false));  // not a browser page
  EXPECT_TRUE(origin_allowed({"https://app.example"}, "https://app.example", "floe", true));
  EXPECT_FALSE(origin_allowed({"https://app.example"}, "https://app.example.evil", "floe", true));
  EXPECT_FALSE(origin_allowed({"https://app.example"}, "https://floe", "floe", true));
  EXPECT_TRUE(origin_allowed({"*"}, "https://anything", "floe", true));
}

TEST(HttpPolicy, QueryToken) {
  EXPECT_EQ(target_path("/ws?token=a"), "/ws");
  EXPECT_EQ(query_param("/ws?token=123%3Aalice%3Asig", "token"), "123:alice:sig");
  EXPECT_EQ(query_param("/ws?x=1&token=t&y", "token"), "t");
  EXPECT_EQ(query_param("/ws?tokenx=1", "token"), std::nullopt);
  EXPECT_EQ(query_param("/ws", "token"), std::nullopt);
  EXPECT_EQ(query_param("/ws?token=%zz", "token"), std::nullopt);
  EXPECT_EQ(query_param("/ws?token=%4", "token"), std::nullopt);
  EXPECT_EQ(query_param("/ws?token=a%00b", "token"), std::nullopt);
}

TEST(HttpPolicy, StaticFilesStayInsideRoot) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("floe_static_" + std::to_string(::getpid()));
  fs::create_directories(dir / "web" / "css");
  std::ofstream(dir / "web" / "index.html") << "<html>";
  std::ofstream(dir / "web" / "css" / "a.css") << "a{}";
  std::ofstream(dir / "secret.txt") << "no";
  std::ofstream(dir / "web" / ".hidden") << "no";
  fs::create_symlink(dir / "secret.txt", dir / "web" / "link.txt");
  fs::path root = dir / "web";

  EXPECT_EQ(resolve_static(root, "/")->filename(), "index.html");
  EXPECT_EQ(resolve_static(root, "/index.html?x=1")->filename(), "index.html");
  EXPECT_EQ(resolve_static(root, "/css/a.css")->filename(), "a.css");
  EXPECT_EQ(resolve_static(root, "/css/"), std::nullopt);  // no index.html there
  for (const char* bad : {"/../secret.txt", "/%2e%2e/secret.txt", "/css/../../secret.txt",
                          "/.hidden", "/link.txt", "/missing", "relative", "/css//a.css",
                          "/css\\a.css", "/%00", "/css"})
    EXPECT_EQ(resolve_static(root, bad), std::nullopt) << bad;
  EXPECT_EQ(resolve_static("", "/"), std::nullopt);
  EXPECT_EQ(mime_type("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("a.bin"), "application/octet-stream");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace floe::signaling
