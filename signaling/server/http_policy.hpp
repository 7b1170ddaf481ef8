#pragma once
// The decisions the HTTP front end makes before any session work, kept free
// of Beast so they are unit-tested directly: which Origin may open a
// WebSocket, reading ?token= from the upgrade URL, and mapping a request
// path to a file under the web root without escaping it.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace floe::signaling {

// `allowed` holds full origins ("https://app.example.org"), or "*" for any.
// Empty list: only the page's own origin (scheme://Host) may connect.
// A request without an Origin header is not from a browser page and is let
// through; the token, when configured, still applies.
bool origin_allowed(const std::vector<std::string>& allowed, std::string_view origin,
                    std::string_view host, bool tls);

// Splits "/ws?x=1&token=a%3Ab" into its path and the decoded value of `name`.
std::string_view target_path(std::string_view target);
std::optional<std::string> query_param(std::string_view target, std::string_view name);
// %XX decoding; nullopt on a bad escape or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view s);

// The file a GET path names under `root`, or nullopt when the path is
// malformed, climbs out with "..", or names nothing regular.
std::optional<std::filesystem::path> resolve_static(const std::filesystem::path& root,
                                                    std::string_view target);
std::string_view mime_type(const std::filesystem::path& file);

}  // namespace floe::signaling
