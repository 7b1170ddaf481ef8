#pragma once
// The browser leg of a call as one sans-IO engine: ICE (RFC 8445) carries
// everything; what ICE hands up from a validated pair is split by its first
// byte (RFC 7983 §7): DTLS records go to the DTLS transport (RFC 6347), RTP
// and RTCP (RFC 5761 §4 on the same port) are unprotected in place with the
// DTLS-SRTP keys (RFC 5764), and DTLS application data carries SCTP (RFC
// 8261) with the data channels (RFC 8831/8832).
//
// Media path: handle_input() decrypts into the caller's buffer and returns a
// view of the plain packet; protect_rtp()/protect_rtcp() encrypt in place and
// the caller sends the result on media_route(). Neither allocates.
// Everything else (STUN, DTLS, SCTP) leaves through poll_output().
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/time.hpp"
#include "dtls/sctp/association.hpp"
#include "dtls/srtp/session.hpp"
#include "dtls/transport.hpp"
#include "ice/agent/agent.hpp"
#include "ice/agent/relay_glue.hpp"

namespace floe::webrtc {

struct WebRtcConfig {
  ice::IceConfig ice;
  ice::IceRole ice_role = ice::IceRole::Controlled;
  std::shared_ptr<dtls::DtlsContext> dtls_context;
  dtls::Role dtls_role = dtls::Role::Client;
  dtls::Fingerprint remote_fingerprint;  // from the peer's a=fingerprint
  // SCTP over DTLS when the peer accepted an application section.
  bool data_channel = true;
  std::uint16_t local_sctp_port = 5000;
  std::uint16_t remote_sctp_port = 5000;
  std::size_t remote_max_message_size = 65536;  // RFC 8841 §6.1 default
  // TURN servers to gather relayed candidates from (RFC 8656, the gateway's
  // `ice.turn_servers`): one allocation each, through ice::RelayGlue. The
  // owner carries their bytes (set_relay_sender, and handle_input with the
  // link's addresses, see set_relay_link).
  std::vector<turn::ClientConfig> turn_servers;
  // Gathering (and so end-of-candidates) waits at most this long for them.
  Duration relay_gather_deadline = seconds(3);
};

struct WebRtcCounters {
  std::uint64_t rtp_in = 0;
  std::uint64_t rtcp_in = 0;
  std::uint64_t rtp_out = 0;
  std::uint64_t rtcp_out = 0;
  std::uint64_t media_before_keys = 0;  // RTP/RTCP before DTLS finished
  std::uint64_t srtp_drops = 0;         // auth, replay, ... (SrtpSession::counters())
  std::uint64_t dtls_before_start = 0;
  std::uint64_t unknown_class = 0;      // RFC 7983 classes we do not speak (ZRTP, ...)
  std::uint64_t dtls_unsendable = 0;    // DTLS output while ICE had no selected pair
  std::uint64_t early_dtls_held = 0;    // DTLS from a pair valid only on the peer's side yet
  std::uint64_t early_dtls_replayed = 0;
  std::uint64_t early_media_held = 0;   // SRTP/SRTCP likewise, delivered by take_early_media()
  std::uint64_t early_media_replayed = 0;
};

namespace out {
struct LocalCandidate { ice::Candidate candidate; };
struct GatheringComplete {};
struct IceStateChanged { ice::IceState state; };
struct SelectedPair { ice::Candidate local, remote; };
// DTLS went out on a valid pair before ICE selected one (RFC 8445 §12.1.1
// lets data use a valid pair before nomination); media may come back on it.
struct DataRoute { SocketAddress local, remote; };
struct DtlsConnected { Duration handshake_time; dtls::SrtpProfile profile; };
struct SctpConnected {};
struct ChannelOpen { std::uint16_t id; std::string label; std::string protocol; };
struct ChannelMessage { std::uint16_t id; bool binary; Bytes data; };
struct ChannelClosed { std::uint16_t id; };
// The transport is dead: ICE failed, the DTLS handshake failed (wrong
// fingerprint, timeout) or the peer closed DTLS. `reason` is for humans.
struct Failed { std::string reason; };
}  // namespace out

using WebRtcOutput =
    std::variant<ice::Transmit, out::LocalCandidate, out::GatheringComplete, out::IceStateChanged,
                 out::SelectedPair, out::DataRoute, out::DtlsConnected, out::SctpConnected, out::ChannelOpen,
                 out::ChannelMessage, out::ChannelClosed, out::Failed>;

// A decrypted media packet inside the buffer handed to handle_input().
struct MediaIn {
  enum class Kind : std::uint8_t { None, Rtp, Rtcp } kind = Kind::None;
  std::span<std::uint8_t> packet;
};

class WebRtcTransport {
 public:
  static constexpr std::size_t kMaxOverhead = srtp::SrtpSession::kMaxOverhead;

  explicit WebRtcTransport(WebRtcConfig config);
  ~WebRtcTransport();
  WebRtcTransport(const WebRtcTransport&) = delete;
  WebRtcTransport& operator=(const WebRtcTransport&) = delete;

  const ice::IceCredentials& local_credentials() const { return ice_.local_credentials(); }
  void set_remote_credentials(std::string ufrag, std::string pwd);
  // For an offerer that learns them from the answer, before start(): the
  // DTLS role Floe takes, the peer's fingerprint and its SCTP parameters.
  void set_peer(dtls::Role dtls_role, const dtls::Fingerprint& remote_fingerprint,
                bool data_channel, std::uint16_t remote_sctp_port,
                std::size_t remote_max_message_size);
  void add_local_address(Instant now, const SocketAddress& base);
  void end_of_local_addresses();
  ice::RemoteCandidateResult add_remote_candidate(std::string_view sdp);
  void end_of_remote_candidates();

  // TURN (WebRtcConfig::turn_servers). Bytes for server `i` go to the
  // sender, synchronously (valid during the call); until a sender is set
  // they wait. Whatever the connection to server `i` receives comes back in
  // handle_input() with local = `link_local` and remote = the server's
  // address; relayed data inside it is handled as if it had arrived on the
  // relayed address (RFC 8656 §11/§12), decrypted at the start of the buffer.
  using RelaySender = std::function<void(std::size_t server, ByteView bytes)>;
  void set_relay_sender(RelaySender sender);
  void set_relay_link(std::size_t server, const SocketAddress& link_local);
  bool is_relayed(const SocketAddress& local) const { return relay_ && relay_->is_relayed(local); }
  // Media out on a relayed route (media_route().local is a relayed
  // address): wrapped in ChannelData/Send and handed to the sender.
  bool send_relayed(Instant now, const ice::Route& route, ByteView bytes);
  const ice::RelayGlue* relay() const { return relay_ ? &*relay_ : nullptr; }
  // Deletes the allocations (Refresh 0) through the sender; the owner calls
  // it before its links go away.
  void release_relays(Instant now);

  // The DTLS server waits for a ClientHello; the client starts once ICE
  // has a valid pair (it needs a path for its first flight).
  void start(Instant now);
  void close(Instant now);

  // `datagram` is received bytes the transport may decrypt in place.
  MediaIn handle_input(Instant now, const SocketAddress& local, const SocketAddress& remote,
                       std::span<std::uint8_t> datagram);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  std::optional<WebRtcOutput> poll_output();

  // Media out. `buffer` holds `length` plain bytes and room for kMaxOverhead
  // more; returns the protected length, or nullopt (no keys yet, no path,
  // or libsrtp refused). The caller sends buffer[0, n) on media_route() and
  // then calls note_sent().
  std::optional<std::size_t> protect_rtp(std::span<std::uint8_t> buffer, std::size_t length);
  std::optional<std::size_t> protect_rtcp(std::span<std::uint8_t> buffer, std::size_t length);
  std::optional<ice::Route> media_route() const;
  // The selected pair, else the best valid one (for the DTLS handshake).
  std::optional<ice::Route> data_route() const;
  void note_sent(Instant now) { ice_.note_sent(now); }
  // Media that arrived over a pair before it was valid here and is now
  // deliverable (see EarlyRecord): copied into `buffer` (room for
  // kMaxOverhead included), decrypted in place like handle_input() does.
  // Kind::None when there is none; call until then after handle_input()
  // and handle_timeout().
  bool has_early_media() const { return early_media_ready_ > 0; }
  MediaIn take_early_media(Instant now, std::span<std::uint8_t> buffer);

  // Data channels (after SctpConnected).
  bool send_message(Instant now, std::uint16_t channel, ByteView data, bool binary);
  std::optional<std::uint16_t> open_channel(Instant now, const sctp::ChannelOptions& options);

  bool media_ready() const { return srtp_.ready(); }
  bool failed() const { return failed_; }
  const ice::IceAgent& ice() const { return ice_; }
  const dtls::DtlsTransport* dtls() const { return dtls_ ? &*dtls_ : nullptr; }
  const srtp::SrtpSession& srtp() const { return srtp_; }
  const WebRtcCounters& counters() const { return counters_; }

 private:
  void start_dtls(Instant now);
  bool receivable(const SocketAddress& local, const SocketAddress& remote) const;
  void hold_early(const SocketAddress& local, const SocketAddress& remote, ByteView datagram);
  void replay_early(Instant now);
  void start_relays(Instant now);
  MediaIn handle_application_data(Instant now, std::span<std::uint8_t> datagram);
  MediaIn handle_relay_input(Instant now, std::size_t server, std::span<std::uint8_t> datagram);
  void emit_transmit(Instant now, ice::Transmit t);
  void flush_relay();
  void drain(Instant now);
  bool drain_ice(Instant now);
  bool drain_dtls(Instant now);
  bool drain_sctp(Instant now);
  void fail(std::string reason);

  // DTLS records that arrived over a pair the peer validated before our own
  // check on it succeeded (RFC 8445 §12.1 lets it send there; a browser
  // answering our offer sends its ClientHello so). The agent drops them;
  // they are kept here, in fixed storage, and fed again once the pair is
  // valid on our side, instead of waiting ~1 s for the peer's retransmission.
  struct EarlyRecord {
    SocketAddress local, remote;
    Instant at{};
    bool media = false;  // SRTP/SRTCP (else DTLS)
    bool ready = false;  // media whose pair is valid now: take_early_media()
    std::size_t length = 0;
    std::array<std::uint8_t, 1500> bytes{};
  };
  std::array<EarlyRecord, 8> early_{};
  std::size_t early_count_ = 0;
  std::size_t early_media_ready_ = 0;

  WebRtcConfig cfg_;
  ice::IceAgent ice_;
  std::optional<ice::RelayGlue> relay_;  // with turn_servers
  RelaySender relay_sender_;
  std::vector<std::optional<SocketAddress>> relay_links_;
  Instant last_now_{};
  std::optional<dtls::DtlsTransport> dtls_;
  srtp::SrtpSession srtp_;
  std::optional<sctp::SctpAssociation> sctp_;
  std::deque<WebRtcOutput> out_;
  WebRtcCounters counters_;
  std::optional<std::pair<SocketAddress, SocketAddress>> announced_route_;
  bool started_ = false;
  bool failed_ = false;
  bool closed_ = false;
};

}  // namespace floe::webrtc
