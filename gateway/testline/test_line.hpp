#pragma once
// The built-in SIP test line (issue 5, "Embedded default"): a small UAS that
// `floe gateway` runs on 127.0.0.1 with no config, reached over real SIP and
// RTP so a browser call through the gateway exercises the whole path.
//
//   echo-sip  answers; every RTP packet goes back to its source
//   tone      answers; plays a 1 kHz tone in the negotiated G.711 law
//   busy      486 Busy Here
//   ring      180 Ringing and never answers (480 after ring_time): for CANCEL
//   other     404 Not Found
//
// Offers come in the INVITE (answered in the 200) or, for an INVITE without
// SDP, the 200 carries our offer and the ACK the answer (RFC 3261 §13.2.1).
// re-INVITE and UPDATE with SDP are answered with the mirrored direction
// (hold/resume, RFC 3264 §8.4). Either side may BYE; the line hangs up by
// itself after max_call_duration, or media_timeout without RTP/RTCP from the
// caller. RFC 4733 digits the caller sends are recorded (CallReport::dtmf).
// One sip::UserAgent and SipTransport of its own, on the caller's io_context
// thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/sip/io/transport.hpp"
#include "gateway/sip/user_agent.hpp"
#include "gateway/testline/line_sdp.hpp"
#include "gateway/testline/rtp_endpoint.hpp"

namespace floe::testline {

struct TestLineConfig {
  // SIP on UDP and TCP. Port 5070 keeps 5060 free for the gateway's own SIP
  // listener on the same host; port 0 picks a free one (see local_address()).
  SocketAddress listen = SocketAddress(IpAddress::v4(0x7f000001), 5070);
  bool tcp = true;
  // RTP/RTCP pairs on listen's address; 0/0 lets the kernel choose.
  PortRange rtp_ports{};
  // Hang up (BYE) after this long; zero: calls last until the peer ends them.
  Duration max_call_duration{};
  // No RTP or RTCP from the caller for this long: BYE ("media timeout").
  // Zero: never. RTCP continues during a hold, so held calls survive.
  Duration media_timeout = seconds(60);
  // How long "ring" rings before 480 Temporarily Unavailable.
  Duration ring_time = seconds(60);
  std::size_t max_calls = 64;  // beyond this, 486
  sip::TimerConfig timers;
};

struct TestLineStats {
  std::uint64_t invites = 0;         // initial INVITEs received
  std::uint64_t answered = 0;
  std::uint64_t busy = 0;            // 486: the busy number or max_calls reached
  std::uint64_t not_found = 0;       // 404
  std::uint64_t sdp_rejected = 0;    // 488/400/415 to an INVITE or re-INVITE
  std::uint64_t cancelled = 0;
  std::uint64_t reinvites = 0;       // re-INVITE and UPDATE answered 200
  std::uint64_t peer_hangups = 0;    // BYE from the caller
  std::uint64_t line_hangups = 0;    // BYE from us (max duration, bad ACK, ACK timeout, close)
  std::uint64_t no_port = 0;         // 503: no RTP port pair free
};

// What one call's media did, reported when the call ends.
struct CallReport {
  std::string number;
  std::string call_id;
  MediaCounters media;
  std::string dtmf;                     // RFC 4733 digits received, in order
  std::vector<std::uint16_t> dtmf_durations;  // each one's duration (8 kHz units)
  Duration duration{};
  std::string ended_by;  // "peer BYE", "max duration", "cancel", ...
};

class TestLine {
 public:
  // Binds the SIP listener; throws std::system_error when it cannot.
  TestLine(boost::asio::io_context& io, TestLineConfig config);
  ~TestLine();
  TestLine(const TestLine&) = delete;
  TestLine& operator=(const TestLine&) = delete;

  // The bound SIP address (UDP; TCP on the same port when enabled).
  SocketAddress local_address() const;
  // "sip:<number>@127.0.0.1:5070"
  std::string uri(std::string_view number) const;
  std::size_t active_calls() const { return calls_.size(); }
  const TestLineStats& stats() const { return stats_; }
  // Media counters summed over ended calls.
  const MediaCounters& ended_media() const { return ended_media_; }
  // Prometheus text (floe_testline_*) for the gateway's /metrics.
  std::string metrics() const;
  const sip::UserAgent& user_agent() const { return *ua_; }

  // Ends every call (BYE, or 480 to one still ringing), then closes the
  // sockets. Call before stopping the io_context; the destructor does too.
  void close();

  // Optional: one line per call event, for the gateway's log.
  std::function<void(std::string_view)> log;
  // Optional: called when a call ends, with its media figures. Neither
  // callback runs from the destructor.
  std::function<void(const CallReport&)> on_call_ended;

 private:
  enum class Number : std::uint8_t { Echo, Tone, Ring };
  struct Call {
    std::uint64_t id = 0;
    Number number = Number::Echo;
    std::string number_text;
    std::string call_id;
    std::uint64_t invite_tx = 0;  // while ringing
    std::optional<sip::DialogId> dialog;
    std::unique_ptr<RtpEndpoint> media;
    std::unique_ptr<LocalSession> sdp;
    bool answer_in_ack = false;  // our offer went in a 2xx; the ACK answers it
    bool ending = false;         // our BYE is out
    std::string end_reason;      // why we sent it
    Instant started{};
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  void open_transport();
  void on_event(sip::UaEvent& e);
  void on_invite(const sip::UaEvent& e);
  void on_in_dialog(Call& call, const sip::UaEvent& e);
  void on_ack(Call& call, const sip::Message& ack);
  void start_media(Call& call, Instant now);
  bool answer(Call& call, std::uint64_t tx, const sip::Message& request, bool initial);
  void reply(std::uint64_t tx, int status, std::string_view reason = {},
             std::string_view warning = {});
  void hang_up(Call& call, std::string_view why);
  void end(std::uint64_t call_id, std::string_view why);
  Call* find_dialog(const sip::DialogId& id);
  Call* find_invite(std::uint64_t tx);
  void start_timer(Call& call, Duration after, std::function<void(Call&)> fire);
  void say(const std::string& line) const;

  boost::asio::io_context& io_;
  TestLineConfig cfg_;
  std::unique_ptr<sip::UserAgent> ua_;
  std::unique_ptr<sip::io::SipTransport> net_;
  std::map<std::uint64_t, std::unique_ptr<Call>> calls_;
  std::uint64_t next_call_ = 1;
  std::uint16_t port_cursor_ = 0;
  TestLineStats stats_;
  MediaCounters ended_media_;
  bool closed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace floe::testline
