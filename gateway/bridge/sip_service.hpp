#pragma once
// Floe's SIP side as one service on the caller's io_context: the shared
// UserAgent and its Asio transport (one listener for every trunk and call),
// trunk registrations with OPTIONS keepalive (inbound OPTIONS are answered
// 200 by the UA), the SIP legs of calls (SipCall engines, kept until their
// dialog is really over), inbound INVITE routing (trunk check by source
// address, DID -> browser user) and the SIP-side RTP port range.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "gateway/bridge/config.hpp"
#include "gateway/bridge/sip_call.hpp"
#include "gateway/media/port_range.hpp"
#include "gateway/sip/io/transport.hpp"

namespace floe::bridge {

// Whoever a SIP leg reports to (the bridged call). Events are delivered on
// the io_context thread, never re-entrantly from the owner's own calls into
// the SipCall (the service drains after each UA event and after kick()).
class SipLegOwner {
 public:
  virtual ~SipLegOwner() = default;
  virtual void on_sip_event(SipCallEvent& e) = 0;
};

// Where a browser's `call` target goes.
struct SipDestination {
  const TrunkConfig* trunk = nullptr;
  sip::Uri request_uri;
  sip::Uri from;  // our identity on that trunk
};

// An INVITE from a trunk that routes to a browser user.
struct IncomingInvite {
  const TrunkConfig* trunk = nullptr;
  std::string user;       // the browser user to ring
  std::string from;       // the caller, for the browser ("Name <sip:...>")
  SipCall* call = nullptr;  // already took the INVITE; owner must attach()
};

struct SipServiceCounters {
  std::uint64_t calls_out = 0;
  std::uint64_t calls_in = 0;
  std::uint64_t in_not_from_trunk = 0;  // 403
  std::uint64_t in_no_route = 0;        // 404 / 480
  std::uint64_t rtp_ports_exhausted = 0;
};

class SipService {
 public:
  SipService(boost::asio::io_context& io, SipConfig config);
  ~SipService();
  SipService(const SipService&) = delete;
  SipService& operator=(const SipService&) = delete;

  // Binds the SIP listener and starts registrations. Throws
  // std::system_error naming the address when it cannot bind.
  void start();
  // Sends unREGISTERs and stops; calls still up get BYE.
  void stop();

  const SipConfig& config() const { return cfg_; }
  sip::UserAgent& ua() { return *ua_; }
  SocketAddress local_address() const;
  // The TLS listener (port 0 when there is none).
  SocketAddress local_tls_address() const;
  // The host written in our SDP c= lines.
  IpAddress media_address() const;

  // `target`: "sip:user@host[:port]" (a host that is a configured trunk's
  // address uses that trunk's credentials; any other numeric host is dialled
  // directly), or a number/name for the default trunk. `echo-sip`, `tone`
  // and `busy` go to the test-line trunk when one is configured.
  std::optional<SipDestination> resolve(const std::string& target, std::string* why) const;

  // A new outgoing SIP leg on `trunk`, reporting to `owner`.
  SipCall& create_call(const TrunkConfig* trunk, SipLegOwner* owner);
  // Attaches an owner to a leg created for an incoming INVITE.
  void attach(SipCall& call, SipLegOwner* owner);
  // The owner is going away; the leg lingers until its dialog is over.
  void release(SipCall& call);
  // After using a SipCall's API directly: sends, delivers, re-arms.
  void kick();

  // An INVITE routed to a browser user; unset or returning false: 480.
  std::function<bool(IncomingInvite&)> on_incoming;

  // The SIP side's RTP port range and the address RTP sockets bind to.
  media::RtpPortRange& ports() { return ports_; }
  IpAddress media_bind_address() const;
  const TrunkConfig* find_trunk(std::string_view name) const;
  const TrunkConfig* default_trunk() const;
  bool registered(std::string_view trunk) const;
  const SipServiceCounters& counters() const { return counters_; }
  std::size_t active_legs() const { return legs_.size(); }
  std::string metrics() const;

 private:
  struct Leg {
    std::unique_ptr<SipCall> call;
    SipLegOwner* owner = nullptr;
    const TrunkConfig* trunk = nullptr;
    Instant linger_until = kNever;
  };
  std::unique_ptr<sip::io::SipTransport> make_transport(const SocketAddress& at);
  void on_ua_event(sip::UaEvent& e);
  void on_incoming_request(sip::UaEvent& e);
  const TrunkConfig* trunk_for_source(const sip::Message& request) const;
  std::string route_user(std::string_view did) const;
  void deliver(Leg& leg);
  void arm_timer();
  void on_timer();
  sip::Uri trunk_uri(const TrunkConfig& t, std::string_view user) const;

  boost::asio::io_context& io_;
  SipConfig cfg_;
  std::unique_ptr<sip::UserAgent> ua_;
  std::unique_ptr<sip::io::SipTransport> net_;
  std::list<Leg> legs_;
  std::vector<std::pair<std::string, std::uint64_t>> registrations_;  // trunk name -> id
  media::RtpPortRange ports_;
  boost::asio::steady_timer timer_;
  Instant armed_ = kNever;
  SipServiceCounters counters_;
  bool delivering_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace floe::bridge
