#pragma once
// The connections of one browser leg to the TURN servers its ICE agent
// gathers relayed candidates from (the gateway's `ice.turn_servers`, RFC
// 8656): one io::TurnLink (UDP, TCP or TLS) per server, per call, because a
// TURN allocation is bound to its client 5-tuple. Bytes the transport's
// allocations produce go out on the links; what a link receives goes to the
// leg as an ordinary datagram from (link's local address, server address),
// which WebRtcTransport recognises and unwraps. The leg itself only has to
// own this object (declared after its transport) and send media on a
// relayed route with WebRtcTransport::send_relayed().
#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "gateway/webrtc/media_port.hpp"
#include "gateway/webrtc/transport.hpp"
#include "ice/io/turn_link.hpp"

namespace floe::webrtc {

class TurnLinks {
 public:
  // Opens every link at once; a server that cannot be reached only loses
  // its relayed candidate (the glue's gathering deadline moves on).
  TurnLinks(boost::asio::io_context& io, MediaEndpoint& leg, WebRtcTransport& transport,
            const std::vector<io::TurnServerSpec>& servers);
  ~TurnLinks();
  TurnLinks(const TurnLinks&) = delete;
  TurnLinks& operator=(const TurnLinks&) = delete;

  std::size_t size() const { return links_.size(); }
  const io::TurnLink& link(std::size_t i) const { return *links_[i]; }

 private:
  MediaEndpoint& leg_;
  WebRtcTransport& transport_;
  std::vector<std::unique_ptr<io::TurnLink>> links_;
};

// The transport's allocation settings for `servers` (REST credentials
// minted now).
std::vector<turn::ClientConfig> turn_client_configs(const std::vector<io::TurnServerSpec>& servers);

}  // namespace floe::webrtc
