#include "dtls/setup.hpp"

namespace floe::dtls {

std::optional<Setup> parse_setup(std::string_view v) {
  if (v == "actpass") return Setup::ActPass;
  if (v == "active") return Setup::Active;
  if (v == "passive") return Setup::Passive;
  if (v == "holdconn") return Setup::HoldConn;
  return std::nullopt;
}

std::string_view to_string(Setup s) {
  switch (s) {
    case Setup::ActPass: return "actpass";
    case Setup::Active: return "active";
    case Setup::Passive: return "passive";
    case Setup::HoldConn: return "holdconn";
  }
  return "actpass";
}

std::optional<Setup> answer_setup(Setup offer) {
  switch (offer) {
    case Setup::ActPass: return Setup::Active;
    case Setup::Active: return Setup::Passive;
    case Setup::Passive: return Setup::Active;
    case Setup::HoldConn: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Role> role_from_setup(Setup local, Setup remote) {
  if (local == Setup::Active && (remote == Setup::Passive || remote == Setup::ActPass))
    return Role::Client;
  if (local == Setup::Passive && (remote == Setup::Active || remote == Setup::ActPass))
    return Role::Server;
  // We offered actpass: the answer decides.
  if (local == Setup::ActPass && remote == Setup::Active) return Role::Server;
  if (local == Setup::ActPass && remote == Setup::Passive) return Role::Client;
  return std::nullopt;
}

}  // namespace floe::dtls
