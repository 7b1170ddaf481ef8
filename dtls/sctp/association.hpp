#pragma once
// An SCTP association over DTLS (RFC 8261) carrying WebRTC data channels
// (RFC 8831) opened with DCEP (RFC 8832), on usrsctp. Sans-IO: SCTP packets
// in (the DTLS transport's application data), SCTP packets and events out
// (to DtlsTransport::send and the application).
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "dtls/sctp/dcep.hpp"

struct socket;

namespace floe::sctp {

struct SctpConfig {
  std::uint16_t local_port = 5000;   // a=sctp-port (RFC 8841 §5)
  std::uint16_t remote_port = 5000;
  bool dtls_client = true;           // picks even stream ids (RFC 8832 §6)
  std::size_t max_message_size = 256 * 1024;         // our a=max-message-size
  std::size_t remote_max_message_size = 256 * 1024;  // the peer's
  std::size_t mtu = 1150;            // SCTP packet size that fits one DTLS record
  std::uint16_t streams = 1024;      // outbound and inbound streams offered
};

struct ChannelOptions {
  std::string label;
  std::string protocol;
  bool ordered = true;
  std::optional<std::uint16_t> max_retransmits;       // RFC 8831 §6.1 partial reliability
  std::optional<std::uint32_t> max_packet_lifetime_ms;
  std::optional<std::uint16_t> negotiated_id;         // pre-agreed: no DCEP
  std::uint16_t priority = 256;
};

struct SctpCounters {
  std::uint64_t packets_in = 0;
  std::uint64_t packets_out = 0;
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t oversized_dropped = 0;   // larger than our max-message-size
  std::uint64_t bad_dcep = 0;
  std::uint64_t send_failures = 0;
};

class SctpAssociation {
 public:
  enum class State { New, Connecting, Connected, Closed };

  struct Transmit { Bytes data; };
  struct Connected {};
  struct ChannelOpen {
    std::uint16_t id;
    std::string label;
    std::string protocol;
    ChannelType type;
    std::uint32_t reliability_parameter;
    bool by_peer;
  };
  struct Message {
    std::uint16_t id;
    bool binary;
    Bytes data;
  };
  struct ChannelClosed { std::uint16_t id; };
  struct Closed { std::string reason; };
  using Output = std::variant<Transmit, Connected, ChannelOpen, Message, ChannelClosed, Closed>;

  explicit SctpAssociation(SctpConfig config);
  ~SctpAssociation();
  SctpAssociation(const SctpAssociation&) = delete;
  SctpAssociation& operator=(const SctpAssociation&) = delete;

  // Call once DTLS is connected: both ends connect at once (RFC 8841 §9.3
  // needs no listener; SCTP resolves the simultaneous INIT).
  void start(Instant now);
  void handle_input(Instant now, ByteView packet);
  void handle_timeout(Instant now);
  Instant next_timeout() const;
  std::optional<Output> poll_output();

  // Returns the stream id, or nullopt (no free id, bad options, not connected).
  std::optional<std::uint16_t> open_channel(Instant now, const ChannelOptions& options);
  // False when the channel is unknown/closing, the message exceeds the peer's
  // max-message-size, or usrsctp refused it.
  bool send(Instant now, std::uint16_t id, ByteView data, bool binary);
  // RFC 8831 §6.7: reset our outgoing stream; the peer resets its own.
  void close_channel(Instant now, std::uint16_t id);
  // Graceful SCTP SHUTDOWN of the whole association.
  void shutdown(Instant now);

  State state() const { return state_; }
  const SctpCounters& counters() const { return counters_; }
  std::size_t buffered_amount() const;

  // Called by the usrsctp glue, possibly from usrsctp timer processing.
  void on_packet_out(const void* data, std::size_t len);
  void on_inbound(const void* data, std::size_t len, std::uint16_t sid, std::uint32_t ppid,
                  int flags);

 private:
  struct Channel {
    ChannelOptions options;
    ChannelType type = ChannelType::Reliable;
    std::uint32_t reliability = 0;
    bool acked = false;           // DCEP ACK seen (or negotiated / opened by peer)
    bool outgoing_reset = false;  // we reset our outgoing stream
    bool announced = false;
  };
  struct Inbound {
    Bytes data;
    std::uint16_t sid;
    std::uint32_t ppid;
    int flags;
  };
  struct Pending {
    std::uint16_t id;
    std::uint32_t ppid;
    Bytes data;
    std::uint16_t snd_flags;
    std::uint16_t pr_policy;
    std::uint32_t pr_value;
  };

  void configure_socket();
  void process_inbox();
  void on_notification(const Bytes& data);
  void on_message(std::uint16_t sid, std::uint32_t ppid, Bytes data);
  void on_dcep(std::uint16_t sid, const Bytes& data);
  bool send_raw(std::uint16_t sid, std::uint32_t ppid, ByteView data, bool dcep);
  void flush_pending();
  void reset_outgoing(std::uint16_t sid);
  void push(Output o);
  void finish(std::string reason);
  std::uint16_t allocate_id();

  SctpConfig config_;
  void* address_ = nullptr;
  struct socket* sock_ = nullptr;
  State state_ = State::New;
  Instant now_{};
  Instant next_tick_ = kNever;
  std::map<std::uint16_t, Channel> channels_;
  std::map<std::uint16_t, Bytes> reassembly_;
  std::deque<Pending> pending_;       // refused for lack of send buffer; retried
  std::vector<std::uint16_t> pending_resets_;
  std::uint16_t next_id_ = 0;
  SctpCounters counters_;

  mutable std::mutex mu_;             // guards the two queues below
  std::deque<Output> out_;
  std::deque<Inbound> inbox_;
};

}  // namespace floe::sctp
