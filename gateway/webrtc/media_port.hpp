#pragma once
// The gateway's browser-side UDP port (DESIGN.md "Sockets"): one or more
// sockets (one per local address, all on the same port number) shared by
// every call. IceDemux routes STUN by ufrag and DTLS/SRTP by the 5-tuple
// ICE validated; datagrams are read in batches and copied into one scratch
// buffer with room for the SRTP trailer, so an endpoint can unprotect,
// rewrite and protect in place without allocating. A Binding request with
// no USERNAME (a plain STUN client, not an ICE check) is answered by the
// embedded STUN server, so the media port doubles as the browser's STUN
// server.
#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ice/agent/demux.hpp"
#include "ice/io/udp_socket.hpp"
#include "ice/stun/server.hpp"

namespace floe::webrtc {

class MediaEndpoint {
 public:
  virtual ~MediaEndpoint() = default;
  // `buffer` holds the datagram in its first `length` bytes and has spare
  // room after it; it is only valid during the call.
  virtual void on_datagram(const SocketAddress& local, const SocketAddress& remote,
                           std::span<std::uint8_t> buffer, std::size_t length) = 0;
};

struct MediaPortCounters {
  std::uint64_t received = 0;
  std::uint64_t unroutable = 0;
  std::uint64_t truncated = 0;
  std::uint64_t stun_answered = 0;
  std::uint64_t send_failures = 0;
};

class MediaPort {
 public:
  static constexpr std::size_t kScratch = 2048 + 64;

  explicit MediaPort(boost::asio::io_context& io, std::size_t expected_calls = 256);
  ~MediaPort();
  MediaPort(const MediaPort&) = delete;
  MediaPort& operator=(const MediaPort&) = delete;

  // Binds one socket per address; port 0 on the first picks a port that the
  // others then share. Concrete addresses only: they are candidate bases.
  // With `skip_unbindable`, an address that cannot be bound (e.g. an IPv6
  // address still in duplicate address detection) is left out and listed
  // in `skipped`; it fails only when none could be bound.
  std::error_code open(const std::vector<SocketAddress>& addresses, bool skip_unbindable = false,
                       std::vector<std::pair<SocketAddress, std::error_code>>* skipped = nullptr);
  void close();
  const std::vector<SocketAddress>& local_addresses() const { return locals_; }

  ice::AgentId attach(MediaEndpoint& endpoint);
  void detach(ice::AgentId id);
  ice::IceDemux& demux() { return demux_; }

  bool send_to(const SocketAddress& local, ByteView bytes, const SocketAddress& to);
  const MediaPortCounters& counters() const { return counters_; }

 private:
  struct Socket {
    std::unique_ptr<io::UdpSocket> socket;
    std::unique_ptr<io::RecvBatch> batch;
    SocketAddress local;
    stun::SocketId stun_id = 0;
  };
  void arm(std::size_t index);
  void on_readable(std::size_t index);
  bool answer_plain_stun(Socket& s, const SocketAddress& from, ByteView bytes);

  boost::asio::io_context& io_;
  std::vector<Socket> sockets_;
  std::vector<SocketAddress> locals_;
  ice::IceDemux demux_;
  stun::BindingServer stun_;
  std::unordered_map<ice::AgentId, MediaEndpoint*> endpoints_;
  ice::AgentId next_id_ = 1;
  std::array<std::uint8_t, kScratch> scratch_{};
  MediaPortCounters counters_;
  bool open_ = false;
};

}  // namespace floe::webrtc
