#pragma once
// A thin Asio driver for the sans-IO UserAgent: one UDP socket and one TCP
// listener on the same address (RFC 3261 §18: SIP on 5060 UDP and TCP), an
// optional TLS listener (§26.2, 5061), outgoing TCP and TLS connections on
// demand, one StreamFramer per connection, and a timer armed at
// UserAgent::next_timeout(). Everything runs on the caller's io_context
// thread; nothing here takes a lock.
// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>

#include <boost/asio.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>

#include "gateway/sip/framer.hpp"
#include "gateway/sip/io/tls.hpp"
#include "gateway/sip/user_agent.hpp"

namespace floe::sip::io {

struct TransportStats {
  std::uint64_t udp_in = 0, udp_out = 0;
  std::uint64_t tcp_in = 0, tcp_out = 0;
  std::uint64_t tcp_accepted = 0, tcp_connected = 0, tcp_closed = 0;
  std::uint64_t framing_errors = 0;  // stream closed after a framer error
  std::uint64_t partial_timeouts = 0;  // closed: a message stayed incomplete too long
  std::uint64_t send_errors = 0;
  std::uint64_t tls_in = 0, tls_out = 0;
  std::uint64_t tls_accepted = 0, tls_connected = 0;
  std::uint64_t tls_handshake_failures = 0;  // either side; includes failed verification
  std::uint64_t delivery_failures = 0;  // reported to the UA (connect/handshake/write failed)
};

class SipTransport {
 public:
  // A connection holding part of a message for this long is closed: a
  // Content-Length that promises more than ever comes would otherwise pin
  // the buffer forever (64*T1, the longest a transaction waits).
  static constexpr Duration kPartialMessageTimeout = seconds(32);
  void set_partial_timeout(Duration d) {
    partial_timeout_ = d;
    if (acceptor_ || tls_) sweep();  // re-arm at the new pace
  }

  // Binds UDP (and TCP when `tcp` is set) on `local`; port 0 picks one.
  SipTransport(boost::asio::io_context& io, UserAgent& ua, const SocketAddress& local,
               bool tcp = true);
  // As above, plus TLS: outgoing TLS connections for Transport::Tls targets
  // (sips: URIs, transport=tls) and, with tls.listen, a TLS listener on
  // local's IP at tls.listen_port whose port goes into the UserAgent's
  // tls_port. Throws when the certificate or key cannot be loaded.
  SipTransport(boost::asio::io_context& io, UserAgent& ua, const SocketAddress& local,
               bool tcp, const TlsOptions& tls);
  ~SipTransport();

  // Call after using the UserAgent's API directly (send_request, respond,
  // ...): sends what it queued, delivers events, re-arms the timer.
  void kick();
  // Every UserAgent event goes here, on the io_context thread.
  std::function<void(UaEvent&)> on_event;

  SocketAddress local_udp() const;
  SocketAddress local_tcp() const;
  SocketAddress local_tls() const;  // empty without a TLS listener
  const TransportStats& stats() const { return stats_; }
  void close();

 private:
  struct Connection;
  using ConnectionKey = std::pair<Transport, SocketAddress>;
  void receive_udp();
  void accept_tcp();
  void accept_tls();
  void start_read(const std::shared_ptr<Connection>& c);
  void send(Transmit t);
  void send_stream(Transport transport, const SocketAddress& to, Bytes bytes);
  void on_connected(const std::shared_ptr<Connection>& c);
  void write_next(const std::shared_ptr<Connection>& c);
  void drop(const std::shared_ptr<Connection>& c);
  // drop() plus, when something could not be delivered, telling the UA
  // (UserAgent::handle_transport_error) so its transactions fail or fall
  // back at once instead of waiting for timer B/F.
  void fail(const std::shared_ptr<Connection>& c);
  void arm_timer();
  void sweep();

  boost::asio::io_context& io_;
  UserAgent& ua_;
  boost::asio::ip::udp::socket udp_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<TlsContexts> tls_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> tls_acceptor_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer sweep_timer_;
  std::map<ConnectionKey, std::shared_ptr<Connection>> connections_;
  std::array<std::uint8_t, 65536> udp_buf_{};
  boost::asio::ip::udp::endpoint udp_from_;
  Instant armed_ = kNever;
  Duration partial_timeout_ = kPartialMessageTimeout;
  TransportStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace floe::sip::io
