#include "gateway/sip/session_timer.hpp"

#include <algorithm>
#include <vector>

#include "gateway/sip/syntax.hpp"

namespace floe::sip {

namespace {
// delta-seconds is 1*DIGIT; anything past a day-scale bound is nonsense.
constexpr unsigned long kMaxDelta = 0xFFFFFFFFul;
}  // namespace

std::optional<SessionExpires> SessionExpires::parse(std::string_view value) {
  value = trim(value);
  std::size_t semi = value.find(';');
  auto delta = parse_decimal(trim(value.substr(0, semi)), kMaxDelta);
  if (!delta) return std::nullopt;
  SessionExpires se;
  se.delta = static_cast<std::uint32_t>(*delta);
  if (semi != std::string_view::npos) {
    Params params;
    std::size_t pos = semi;
    if (!parse_params(value, pos, params) || pos != value.size()) return std::nullopt;
    if (const Param* r = find_param(params, "refresher")) {
      if (iequals(r->value, "uac")) se.refresher = Refresher::Uac;
      else if (iequals(r->value, "uas")) se.refresher = Refresher::Uas;
      else return std::nullopt;  // §4: refresher-param = "refresher" EQUAL ("uas" / "uac")
    }
  }
  return se;
}

std::string SessionExpires::to_string() const {
  std::string s = std::to_string(delta);
  if (refresher) s += *refresher == Refresher::Uac ? ";refresher=uac" : ";refresher=uas";
  return s;
}

std::optional<std::uint32_t> min_se_of(const Message& m) {
  auto v = m.header("Min-SE");
  if (v.empty()) return std::nullopt;
  v = trim(v);
  auto d = parse_decimal(trim(v.substr(0, v.find(';'))), kMaxDelta);
  if (!d) return std::nullopt;
  return static_cast<std::uint32_t>(*d);
}

std::optional<SessionExpires> session_expires_of(const Message& m) {
  auto v = m.header("Session-Expires");
  if (v.empty()) return std::nullopt;
  return SessionExpires::parse(v);
}

bool has_option_tag(const Message& m, std::string_view header, std::string_view tag) {
  for (auto v : m.all(header)) {
    std::vector<std::string_view> items;
    if (!split_list(v, items)) continue;
    for (auto item : items)
      if (iequals(trim(item), tag)) return true;
  }
  return false;
}

void add_supported(Message& m, std::string_view tag) {
  if (has_option_tag(m, "Supported", tag)) return;
  for (auto& h : m.headers) {
    if (h.name == "Supported") {
      // "Supported:" may be present and empty (§20.37: no extensions).
      h.value = trim(h.value).empty() ? std::string(tag) : h.value + ", " + std::string(tag);
      return;
    }
  }
  m.add("Supported", std::string(tag));
}

namespace {
void add_require(Message& m, std::string_view tag) {
  if (has_option_tag(m, "Require", tag)) return;
  m.add("Require", std::string(tag));
}
}  // namespace

bool apply_422(const Message& response, Message& request) {
  auto wanted = min_se_of(response);
  auto se = session_expires_of(request);
  // §6: a 422 always carries Min-SE; one that asks for no more than we sent
  // cannot be satisfied by a retry (and would loop).
  if (!wanted || !se || se->delta >= *wanted) return false;
  se->delta = *wanted;
  request.set("Session-Expires", se->to_string());
  auto ours = min_se_of(request);
  request.set("Min-SE", std::to_string(std::max(*wanted, ours.value_or(0))));
  return true;
}

SessionTimer::SessionTimer(SessionTimerConfig config)
    : cfg_(config), min_se_(std::max(config.min_se, kMinSessionExpires)) {
  cfg_.session_expires = std::max(cfg_.session_expires, min_se_);
}

void SessionTimer::add_to_request(Message& request) const {
  add_supported(request, "timer");
  SessionExpires se;
  se.delta = active_ ? std::max(interval_, min_se_) : cfg_.session_expires;
  // §7.1: a refresh keeps the refresher of the running session; the first
  // request leaves the choice to the UAS.
  if (active_) se.refresher = we_refresh_ ? Refresher::Uac : Refresher::Uas;
  request.set("Session-Expires", se.to_string());
  request.set("Min-SE", std::to_string(min_se_));
}

void SessionTimer::on_422(const Message& response) {
  auto m = min_se_of(response);
  if (!m) return;
  min_se_ = std::max(min_se_, *m);
  cfg_.session_expires = std::max(cfg_.session_expires, min_se_);
}

void SessionTimer::on_2xx_as_uac(Instant now, const Message& response) {
  auto se = session_expires_of(response);
  if (!se || se->delta == 0) {
    stop();  // §7.2: no Session-Expires in the 2xx, no session expiration
    return;
  }
  // §7.2: refresher=uac makes us the refresher. A 2xx must name one (§9);
  // without it we refresh ourselves, which can only keep the session up.
  start(now, se->delta, se->refresher.value_or(Refresher::Uac) == Refresher::Uac);
}

std::optional<std::uint32_t> SessionTimer::check_request(const Message& request) const {
  auto se = session_expires_of(request);
  if (se && se->delta < min_se_) return min_se_;  // §9: 422 Session Interval Too Small
  return std::nullopt;
}

void SessionTimer::make_422(Message& response) const {
  response.set("Min-SE", std::to_string(min_se_));
}

void SessionTimer::on_2xx_as_uas(Instant now, const Message& request, Message& response) {
  const bool peer_supports = has_option_tag(request, "Supported", "timer");
  auto req_se = session_expires_of(request);
  const std::uint32_t floor = std::max(min_se_, min_se_of(request).value_or(0));
  // §9: the UAS may lower the interval, never below the Min-SE in force.
  std::uint32_t interval = req_se ? std::min(req_se->delta, cfg_.session_expires)
                                  : cfg_.session_expires;
  interval = std::max(interval, floor);
  Refresher who = Refresher::Uas;  // a UAC without the extension cannot refresh for us
  if (peer_supports) who = req_se && req_se->refresher ? *req_se->refresher : cfg_.uas_prefers;
  response.set("Session-Expires", SessionExpires{interval, who}.to_string());
  if (peer_supports) add_require(response, "timer");
  start(now, interval, who == Refresher::Uas);
}

void SessionTimer::start(Instant now, std::uint32_t interval, bool we_refresh) {
  active_ = true;
  we_refresh_ = we_refresh;
  interval_ = interval;
  const Duration full = seconds(interval);
  // §10: refresh at half the interval; the session is over at expiry minus
  // min(32 s, interval/3), leaving time for the BYE to get through.
  refresh_at_ = we_refresh ? now + full / 2 : kNever;
  expire_at_ = now + full - std::min<Duration>(seconds(32), full / 3);
}

Instant SessionTimer::next_timeout() const {
  if (!active_) return kNever;
  return std::min(refresh_at_, expire_at_);
}

std::optional<SessionTimer::Action> SessionTimer::handle_timeout(Instant now) {
  if (!active_) return std::nullopt;
  if (expire_at_ <= now) {
    stop();
    return Action::Expired;
  }
  if (refresh_at_ <= now) {
    refresh_at_ = kNever;  // the refresh's 2xx restarts the timer
    return Action::Refresh;
  }
  return std::nullopt;
}

void SessionTimer::stop() {
  active_ = false;
  refresh_at_ = expire_at_ = kNever;
}

}  // namespace floe::sip
