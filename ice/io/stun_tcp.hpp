#pragma once
// STUN over TCP for the Binding server: an acceptor whose connections frame
// the byte stream into messages (stun::frame_stream) and write the replies
// back on the same connection.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <system_error>

#include "base/address.hpp"
#include "ice/stun/server.hpp"

namespace floe::io {

struct StunServerStats;

class StunTcpListener {
 public:
  // The engine and stats must outlive the listener.
  StunTcpListener(boost::asio::io_context& io, stun::BindingServer& engine, stun::SocketId id,
                  StunServerStats& stats);
  ~StunTcpListener();
  StunTcpListener(const StunTcpListener&) = delete;
  StunTcpListener& operator=(const StunTcpListener&) = delete;

  std::error_code open(const SocketAddress& local, bool reuse_port = false);
  void start();
  // Closes the acceptor and every open connection.
  void close();

  static constexpr std::size_t kMaxConnections = 1024;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace floe::io
