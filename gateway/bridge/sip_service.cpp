#include "gateway/bridge/sip_service.hpp"

#include <cstdio>
#include <system_error>

#include "signaling/sdp/text.hpp"

namespace floe::bridge {

namespace {

constexpr Duration kLinger = seconds(32);  // 64*T1: a crossing 2xx or 487 still gets handled

bool matches_rule(const std::string& rule, std::string_view did) {
  if (rule == "*") return true;
  if (!rule.empty() && rule.back() == '*')
    return did.substr(0, rule.size() - 1) == std::string_view(rule).substr(0, rule.size() - 1);
  return did == rule;
}

}  // namespace

SipService::SipService(boost::asio::io_context& io, SipConfig config)
    : io_(io), cfg_(std::move(config)), ports_(cfg_.rtp_port_min, cfg_.rtp_port_max), timer_(io) {
  sip::UserAgentConfig uc;
  uc.host = cfg_.advertised_host.empty() ? cfg_.listen.ip().to_string() : cfg_.advertised_host;
  uc.port = cfg_.listen.port();
  uc.user = "floe";
  uc.user_agent = "Floe";
  uc.session_timer = true;  // RFC 4028: accept Require: timer; SipCall runs the timers
  ua_ = std::make_unique<sip::UserAgent>(uc);
}

SipService::~SipService() {
  timer_.cancel();
  if (net_) net_->close();
}

std::unique_ptr<sip::io::SipTransport> SipService::make_transport(const SocketAddress& at) {
  bool tls_trunk = false;
  for (const auto& t : cfg_.trunks) tls_trunk |= t.transport == "tls";
  const bool tls_listen = !cfg_.tls_certificate.empty() && !cfg_.tls_private_key.empty();
  if (!tls_listen && !tls_trunk)
    return std::make_unique<sip::io::SipTransport>(io_, *ua_, at, cfg_.tcp);
  sip::io::TlsOptions tls;
  tls.certificate_file = cfg_.tls_certificate;
  tls.private_key_file = cfg_.tls_private_key;
  tls.ca_file = cfg_.tls_ca;
  tls.verify_peer = cfg_.tls_verify;
  tls.listen = tls_listen;
  tls.listen_port = cfg_.tls_port;
  return std::make_unique<sip::io::SipTransport>(io_, *ua_, at, cfg_.tcp, tls);
}

void SipService::start() {
  net_ = make_transport(cfg_.listen);
  if (cfg_.listen.port() == 0) {
    // Port 0 picked one: Via and Contact must carry the real port.
    sip::UserAgentConfig uc = ua_->config();
    uc.port = net_->local_udp().port();
    net_.reset();
    ua_ = std::make_unique<sip::UserAgent>(uc);
    SocketAddress bound = cfg_.listen;
    bound.set_port(uc.port);
    net_ = make_transport(bound);
  }
  net_->on_event = [this](sip::UaEvent& e) { on_ua_event(e); };
  const Instant now = Clock::now();
  for (const auto& t : cfg_.trunks) {
    if (!t.register_account) continue;
    sip::RegistrationConfig rc;
    SocketAddress reg = t.registrar.value_or(t.proxy);
    rc.registrar = sip::Uri::sip("", reg.ip().to_string(), reg.port());
    if (t.transport != "udp") sip::set_param(rc.registrar.params, "transport", t.transport);
    rc.aor = trunk_uri(t, t.user);
    rc.credentials = {t.auth_user.empty() ? t.user : t.auth_user, t.password};
    rc.expires = t.expires;
    rc.keepalive = t.keepalive;
    registrations_.emplace_back(t.name, ua_->add_registration(now, rc));
  }
  net_->kick();
}

void SipService::stop() {
  const Instant now = Clock::now();
  for (auto& leg : legs_) {
    if (!leg.call->ended()) leg.call->hangup(now);
    leg.owner = nullptr;
  }
  for (auto& [name, id] : registrations_) ua_->remove_registration(now, id);
  if (net_) net_->kick();
}

SocketAddress SipService::local_tls_address() const {
  return net_ ? net_->local_tls() : SocketAddress();
}

SocketAddress SipService::local_address() const {
  return net_ ? net_->local_udp() : cfg_.listen;
}

IpAddress SipService::media_address() const {
  if (!cfg_.advertised_host.empty())
    if (auto ip = IpAddress::parse(cfg_.advertised_host)) return *ip;
  return media_bind_address();
}

const TrunkConfig* SipService::find_trunk(std::string_view name) const {
  for (const auto& t : cfg_.trunks)
    if (t.name == name) return &t;
  return nullptr;
}

const TrunkConfig* SipService::default_trunk() const {
  if (!cfg_.default_trunk.empty()) return find_trunk(cfg_.default_trunk);
  for (const auto& t : cfg_.trunks)
    if (t.name != cfg_.test_line_trunk) return &t;
  return cfg_.trunks.empty() ? nullptr : &cfg_.trunks.front();
}

bool SipService::registered(std::string_view trunk) const {
  for (const auto& [name, id] : registrations_)
    if (name == trunk) {
      const auto* r = ua_->registration(id);
      return r && r->state() == sip::Registration::State::Registered;
    }
  return false;
}

sip::Uri SipService::trunk_uri(const TrunkConfig& t, std::string_view user) const {
  sip::Uri uri = t.domain.empty() ? sip::Uri::sip(user, t.proxy.ip().to_string(), t.proxy.port())
                                  : sip::Uri::sip(user, t.domain);
  // RFC 3261 §19.1.1: the transport parameter picks TCP or TLS for the hop.
  if (t.transport != "udp") sip::set_param(uri.params, "transport", t.transport);
  return uri;
}

std::optional<SipDestination> SipService::resolve(const std::string& target, std::string* why) const {
  auto fail = [&](std::string s) -> std::optional<SipDestination> {
    if (why) *why = std::move(s);
    return std::nullopt;
  };
  SipDestination d;
  if (target.rfind("sip:", 0) == 0 || target.rfind("sips:", 0) == 0) {
    auto uri = sip::Uri::parse(target);
    if (!uri || uri->host.empty()) return fail("'" + target + "' is not a SIP URI");
    auto ip = IpAddress::parse(uri->host);
    if (!ip) return fail("'" + uri->host + "' is not a numeric address (DNS is not supported)");
    for (const auto& t : cfg_.trunks)
      if (t.proxy.ip() == *ip && t.proxy.port() == uri->port.value_or(5060)) d.trunk = &t;
    if (!d.trunk && ip->is_unspecified()) return fail("unspecified address in '" + target + "'");
    d.request_uri = *uri;
    d.from = d.trunk ? trunk_uri(*d.trunk, d.trunk->user)
                     : sip::Uri::sip("floe", ua_->config().host, ua_->config().port);
    return d;
  }
  if (target.empty() || target.size() > 64) return fail("empty or overlong target");
  for (char c : target)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '+' || c == '*' || c == '#'))
      return fail("'" + target + "' is neither a SIP URI nor a number");
  if (!cfg_.test_line_trunk.empty() && (target == "echo-sip" || target == "tone" || target == "busy"))
    d.trunk = find_trunk(cfg_.test_line_trunk);
  if (!d.trunk) d.trunk = default_trunk();
  if (!d.trunk) return fail("no SIP trunk is configured for '" + target + "'");
  d.request_uri = trunk_uri(*d.trunk, target);
  d.from = trunk_uri(*d.trunk, d.trunk->user);
  return d;
}

SipCall& SipService::create_call(const TrunkConfig* trunk, SipLegOwner* owner) {
  SipCallOptions o;
  o.session_expires = cfg_.session_expires;
  o.min_se = cfg_.min_se;
  if (trunk && !trunk->password.empty())
    o.credentials = sip::DigestCredentials{trunk->auth_user.empty() ? trunk->user : trunk->auth_user,
                                           trunk->password};
  legs_.push_back(Leg{std::make_unique<SipCall>(*ua_, o), owner, trunk});
  ++counters_.calls_out;
  return *legs_.back().call;
}

void SipService::attach(SipCall& call, SipLegOwner* owner) {
  for (auto& leg : legs_)
    if (leg.call.get() == &call) {
      leg.owner = owner;
      deliver(leg);
    }
}

void SipService::release(SipCall& call) {
  for (auto& leg : legs_)
    if (leg.call.get() == &call) {
      leg.owner = nullptr;
      leg.linger_until = Clock::now() + kLinger;
    }
  arm_timer();
}

void SipService::kick() {
  if (!net_) return;
  net_->kick();
  for (auto& leg : legs_) deliver(leg);
  net_->kick();  // what the owners did in response
  arm_timer();
}

IpAddress SipService::media_bind_address() const {
  if (cfg_.media_address) return *cfg_.media_address;
  return cfg_.listen.ip();
}

void SipService::deliver(Leg& leg) {
  while (auto e = leg.call->poll_event()) {
    if (leg.owner) leg.owner->on_sip_event(*e);
  }
}

void SipService::on_ua_event(sip::UaEvent& e) {
  const Instant now = Clock::now();
  if (e.kind == sip::UaEvent::Kind::IncomingRequest && !e.dialog) {
    on_incoming_request(e);
    return;
  }
  if (e.kind == sip::UaEvent::Kind::RegistrationChanged) {
    for (auto& [name, id] : registrations_)
      if (id == e.id) {
        const auto* r = ua_->registration(id);
        static const char* kStates[] = {"idle", "registering", "registered", "retrying",
                                        "unregistering", "unregistered"};
        std::printf("floe gateway: SIP trunk %s registration %s (status %d)\n", name.c_str(),
                    r ? kStates[static_cast<int>(r->state())] : "gone", e.status);
        std::fflush(stdout);
      }
    return;
  }
  for (auto& leg : legs_) {
    if (!leg.call->matches(e)) continue;
    leg.call->handle_event(now, e);
    deliver(leg);
    arm_timer();
    return;
  }
  if (e.kind == sip::UaEvent::Kind::IncomingRequest) {
    // An in-dialog request for a dialog no call owns (the UA knew it).
    ua_->respond(now, e.id, ua_->make_response(e.id, 481));
  }
}

const TrunkConfig* SipService::trunk_for_source(const sip::Message& request) const {
  auto via = request.top_via();
  if (!via) return nullptr;
  std::string host = via->host;
  if (const auto* p = sip::find_param(via->params, "received")) host = p->value;
  auto ip = IpAddress::parse(host);
  if (!ip) return nullptr;
  for (const auto& t : cfg_.trunks)
    if (t.proxy.ip() == *ip || (t.registrar && t.registrar->ip() == *ip)) return &t;
  return nullptr;
}

std::string SipService::route_user(std::string_view did) const {
  for (const auto& r : cfg_.routes)
    if (matches_rule(r.match, did)) return r.user;
  return std::string(did);
}

void SipService::on_incoming_request(sip::UaEvent& e) {
  const Instant now = Clock::now();
  const sip::Message& q = e.message;
  if (q.method != "INVITE") {
    // Out-of-dialog MESSAGE, SUBSCRIBE, ... are not for us (OPTIONS the UA answered).
    sip::Message r = ua_->make_response(e.id, 405);
    r.add("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, UPDATE");
    ua_->respond(now, e.id, std::move(r));
    return;
  }
  const TrunkConfig* trunk = trunk_for_source(q);
  if (!trunk) {
    // DESIGN.md: calls come from configured trunks only.
    ++counters_.in_not_from_trunk;
    ua_->respond(now, e.id, ua_->make_response(e.id, 403, "Not From A Configured Trunk"));
    return;
  }
  std::string user = route_user(q.request_uri.user);
  SipCallOptions o;
  o.session_expires = cfg_.session_expires;
  o.min_se = cfg_.min_se;
  legs_.push_back(Leg{std::make_unique<SipCall>(*ua_, o), nullptr, trunk});
  Leg& leg = legs_.back();
  leg.linger_until = now + kLinger;  // reaped unless an owner attaches
  ++counters_.calls_in;
  leg.call->incoming(now, e.id, q);
  if (leg.call->ended()) return;
  IncomingInvite in;
  in.trunk = trunk;
  in.user = user;
  if (auto f = q.from()) in.from = f->display_name.empty() ? f->uri.to_string()
                                                           : f->display_name + " <" + f->uri.to_string() + ">";
  in.call = leg.call.get();
  if (user.empty() || !on_incoming || !on_incoming(in)) {
    ++counters_.in_no_route;
    leg.call->reject(now, user.empty() ? 404 : 480);
  }
  arm_timer();
}

void SipService::arm_timer() {
  Instant next = kNever;
  for (const auto& leg : legs_) {
    next = std::min(next, leg.call->next_timeout());
    if (!leg.owner && leg.linger_until != kNever) next = std::min(next, leg.linger_until);
  }
  if (next == armed_) return;
  armed_ = next;
  if (next == kNever) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(next);
  std::weak_ptr<int> alive = alive_;
  timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    armed_ = kNever;
    on_timer();
  });
}

void SipService::on_timer() {
  const Instant now = Clock::now();
  for (auto& leg : legs_)
    if (leg.call->next_timeout() <= now) leg.call->handle_timeout(now);
  net_->kick();
  for (auto& leg : legs_) deliver(leg);
  // Ownerless legs go when their linger (64*T1) is over, whatever state they
  // are in: a CANCELled INVITE whose final response never comes has no timer
  // C in the UA (README "Limits") and would otherwise stay forever. A leg
  // still up gets its BYE (or 480) first.
  for (auto& leg : legs_)
    if (!leg.owner && leg.linger_until <= now && !leg.call->ended()) leg.call->hangup(now);
  legs_.remove_if([&](const Leg& leg) { return !leg.owner && leg.linger_until <= now; });
  net_->kick();
  arm_timer();
}

std::string SipService::metrics() const {
  const auto& s = ua_->stats();
  std::string m;
  auto line = [&](const char* name, const char* type, std::uint64_t v) {
    m += std::string("# TYPE ") + name + " " + type + "\n" + name + " " + std::to_string(v) + "\n";
  };
  line("floe_sip_calls_out_total", "counter", counters_.calls_out);
  line("floe_sip_calls_in_total", "counter", counters_.calls_in);
  line("floe_sip_calls_in_not_from_trunk_total", "counter", counters_.in_not_from_trunk);
  line("floe_sip_calls_in_no_route_total", "counter", counters_.in_no_route);
  line("floe_sip_legs_active", "gauge", legs_.size());
  line("floe_sip_requests_total", "counter", s.requests);
  line("floe_sip_responses_total", "counter", s.responses);
  line("floe_sip_garbage_total", "counter", s.garbage);
  line("floe_sip_bad_requests_total", "counter", s.bad_requests);
  line("floe_sip_rtp_ports_in_use", "gauge", ports_.in_use());
  return m;
}

}  // namespace floe::bridge
