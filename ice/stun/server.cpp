#include "ice/stun/server.hpp"

#include <algorithm>

namespace floe::stun {
namespace {

// PADDING (RFC 5780 §7.6) is filled from here; a STUN message is never
// longer than 64 KiB, and static zeros cost nothing until touched.
const std::array<std::uint8_t, 65536> kZeros{};

SocketAddress unmap_v4(const SocketAddress& a) {
  if (!a.ip().is_v4_mapped()) return a;
  return SocketAddress(IpAddress::v4(a.ip().data() + 12), a.port());
}

bool is_parse_of_non_stun(ParseError e) {
  return e == ParseError::TooShort || e == ParseError::NotStun || e == ParseError::BadMagicCookie;
}

}  // namespace

const char* to_string(ServerDrop d) {
  switch (d) {
    case ServerDrop::NotStun: return "not_stun";
    case ServerDrop::Malformed: return "malformed";
    case ServerDrop::BadFingerprint: return "bad_fingerprint";
    case ServerDrop::NotRequest: return "not_request";
    case ServerDrop::UnknownSocket: return "unknown_socket";
    case ServerDrop::Count_: break;
  }
  return "?";
}

BindingServer::BindingServer(ServerConfig config) : cfg_(std::move(config)) {
  // Room for any ordinary reply; only PADDING echoes can grow it further.
  out_.reserve(512);
}

SocketId BindingServer::add_socket(const ServerSocket& socket) {
  Entry e{socket, {}};
  for (auto& row : e.peer) row.fill(kNone);
  sockets_.push_back(e);
  link_group(socket);
  return static_cast<SocketId>(sockets_.size() - 1);
}

void BindingServer::link_group(const ServerSocket& s) {
  const auto id = static_cast<SocketId>(sockets_.size() - 1);
  for (std::size_t i = 0; i < sockets_.size(); ++i) {
    Entry& other = sockets_[i];
    if (other.info.group != s.group || other.info.transport != s.transport) continue;
    // Each socket learns the new one, and the new one learns each of them.
    other.peer[s.alternate_ip][s.alternate_port] = id;
    sockets_[id].peer[other.info.alternate_ip][other.info.alternate_port] =
        static_cast<SocketId>(i);
  }
}

bool BindingServer::behaviour_discovery(SocketId id) const {
  if (id >= sockets_.size()) return false;
  for (const auto& row : sockets_[id].peer)
    for (SocketId p : row)
      if (p == kNone) return false;
  return true;
}

std::optional<ServerTransmit> BindingServer::poll_output() {
  auto t = pending_;
  pending_.reset();
  return t;
}

void BindingServer::emit(SocketId from, const SocketAddress& to) {
  pending_ = ServerTransmit{from, to, ByteView(out_)};
}

void BindingServer::reply_error(SocketId on, const SocketAddress& to, const Message& req,
                                int code, std::span<const std::uint16_t> unknown) {
  MessageBuilder b(out_, Class::Error, req.method(), req.transaction_id());
  b.add_error_code(code, {});
  if (!unknown.empty()) b.add_unknown_attributes(unknown);
  if (!cfg_.software.empty()) b.add_string(attr::Software, cfg_.software);
  if (req.has(attr::Fingerprint)) b.add_fingerprint();
  (code == 420 ? counters_.error_420 : counters_.error_400)++;
  emit(on, to);
}

void BindingServer::handle_input(Instant, SocketId on, const SocketAddress& source,
                                 ByteView data) {
  pending_.reset();
  ++counters_.received;
  if (on >= sockets_.size()) return drop(ServerDrop::UnknownSocket);
  const Entry& self = sockets_[on];
  const bool udp = self.info.transport == Transport::Udp;

  ParseError err = ParseError::None;
  auto parsed = Message::parse(data, &err);
  if (!parsed)
    return drop(is_parse_of_non_stun(err) ? ServerDrop::NotStun : ServerDrop::Malformed);
  const Message& req = *parsed;
  // A datagram carries exactly one message (RFC 8489 §6.3): trailing bytes
  // mean the length field lies.
  if (udp && req.raw().size() != data.size()) return drop(ServerDrop::Malformed);
  if (req.check_fingerprint() == IntegrityResult::Mismatch)
    return drop(ServerDrop::BadFingerprint);
  if (req.cls() == Class::Indication) {
    ++counters_.indications;
    return;
  }
  if (req.cls() != Class::Request) return drop(ServerDrop::NotRequest);

  const SocketAddress from = unmap_v4(source);
  if (req.method() != method::Binding) return reply_error(on, from, req, 400);

  // RFC 8489 §6.3.1.1: comprehension-required attributes we do not act on
  // are listed in a 420. Without the alternate sockets the RFC 5780
  // attributes cannot be honoured, so they count as not understood (§6.1).
  const bool rfc5780 = behaviour_discovery(on);
  std::array<std::uint16_t, kMaxAttributes + 2> unknown{};
  std::size_t n = req.unknown_required(std::span(unknown).first(kMaxAttributes));
  if (!rfc5780) {
    const auto flags = req.u32(attr::ChangeRequest);
    if (req.has(attr::ChangeRequest) && (!flags || *flags != 0))
      unknown[n++] = attr::ChangeRequest;
    if (req.has(attr::ResponsePort)) unknown[n++] = attr::ResponsePort;
  }
  if (n > 0) return reply_error(on, from, req, 420, std::span(unknown).first(n));

  std::uint32_t change = 0;
  if (req.has(attr::ChangeRequest)) {
    auto flags = req.u32(attr::ChangeRequest);
    if (!flags) return reply_error(on, from, req, 400);
    change = *flags & (kChangeIp | kChangePort);
  }
  std::optional<std::uint16_t> response_port;
  if (const Attribute* rp = req.find(attr::ResponsePort)) {
    // Port 0 names no destination a reply could reach.
    if (rp->value.size() != 4 || load_be16(rp->value.data()) == 0)
      return reply_error(on, from, req, 400);
    response_port = load_be16(rp->value.data());
  }
  // A TCP connection has a single 4-tuple: the reply cannot leave from
  // another socket or go to another port, so such requests are refused.
  if (!udp && (change != 0 || response_port)) return reply_error(on, from, req, 400);

  const bool change_ip = change & kChangeIp;
  const bool change_port = change & kChangePort;
  const SocketId out_socket =
      self.peer[self.info.alternate_ip ^ change_ip][self.info.alternate_port ^ change_port];
  if (out_socket == kNone) return reply_error(on, from, req, 400);
  SocketAddress to = from;
  if (response_port) to.set_port(*response_port);

  MessageBuilder b(out_, Class::Success, method::Binding, req.transaction_id());
  // RFC 8489 §14.2: the mapped address is the request's source, even when
  // RESPONSE-PORT sends the reply elsewhere (RFC 5780 §7.5).
  b.add_xor_address(attr::XorMappedAddress, from);
  if (rfc5780) {
    const SocketAddress& origin = sockets_[out_socket].info.local;
    if (!origin.ip().is_unspecified()) b.add_address(attr::ResponseOrigin, origin);
    // RFC 5780 §7.4: where "change IP and port" answers from, seen from the
    // primary socket that test I (§4.3) reaches. Every socket of the group
    // names the same alternate socket: clients such as coturn's
    // turnutils_natdiscovery take OTHER-ADDRESS from the test II response
    // to aim test III, and a per-socket answer would send them elsewhere.
    const SocketId other = self.peer[1][1];
    b.add_address(attr::OtherAddress, sockets_[other].info.local);
  }
  if (!cfg_.software.empty()) b.add_string(attr::Software, cfg_.software);
  const bool fingerprint = req.has(attr::Fingerprint);
  if (udp && req.has(attr::Padding)) {
    // RFC 5780 §7.6: PADDING probes how the NAT handles fragments, so the
    // reply is padded to the request's size; never beyond, so a spoofed
    // source (or RESPONSE-PORT) gains no amplification.
    const std::size_t tail = 4 + (fingerprint ? 8 : 0);
    const std::size_t size = out_.size() + tail;
    if (req.raw().size() >= size + 4) {
      const std::size_t pad = (req.raw().size() - size) & ~std::size_t{3};
      b.add(attr::Padding, ByteView(kZeros.data(), std::min(pad, kZeros.size())));
    }
  }
  if (fingerprint) b.add_fingerprint();

  ++counters_.binding_success;
  if (out_socket != on) ++counters_.changed_origin;
  if (response_port) ++counters_.response_port;
  emit(out_socket, to);
}

FrameStatus frame_stream(ByteView buffered, std::size_t* size) {
  if (!buffered.empty() && (buffered[0] & 0xC0) != 0) return FrameStatus::NotStun;
  if (buffered.size() < kHeaderSize) return FrameStatus::NeedMore;
  const std::size_t n = Message::message_size(buffered);
  if (n == 0) return FrameStatus::NotStun;
  if (buffered.size() < n) return FrameStatus::NeedMore;
  *size = n;
  return FrameStatus::Complete;
}

}  // namespace floe::stun
