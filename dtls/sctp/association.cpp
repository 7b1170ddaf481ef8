#include "dtls/sctp/association.hpp"

#include <arpa/inet.h>
#include <usrsctp.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "dtls/engine_clock.hpp"
#include "dtls/sctp/usrsctp_glue.hpp"

namespace floe::sctp {

using dtls::ScopedEngineClock;
namespace {

int receive_cb(struct socket*, union sctp_sockstore, void* data, std::size_t len,
               struct sctp_rcvinfo rcv, int flags, void* ulp_info) {
  if (data == nullptr) return 1;
  glue::deliver_inbound(ulp_info, data, len, rcv.rcv_sid, ntohl(rcv.rcv_ppid), flags);
  std::free(data);  // usrsctp hands the buffer over (callback API contract)
  return 1;
}

template <typename T>
bool set_opt(struct socket* s, int level, int name, const T& value) {
  return usrsctp_setsockopt(s, level, name, &value, sizeof value) == 0;
}

sockaddr_conn conn_address(void* addr, std::uint16_t port) {
  sockaddr_conn a{};
  a.sconn_family = AF_CONN;
  a.sconn_port = htons(port);
  a.sconn_addr = addr;
  return a;
}

ChannelType type_for(const ChannelOptions& o) {
  std::uint8_t t = o.ordered ? 0x00 : 0x80;
  if (o.max_retransmits) t |= 0x01;
  else if (o.max_packet_lifetime_ms) t |= 0x02;
  return static_cast<ChannelType>(t);
}

}  // namespace

SctpAssociation::SctpAssociation(SctpConfig config) : config_(config) {
  address_ = glue::register_association(this);
  next_id_ = config_.dtls_client ? 0 : 1;
}

SctpAssociation::~SctpAssociation() {
  glue::unregister_association(address_);
  if (sock_ != nullptr) {
    ScopedEngineClock clock(now_);
    usrsctp_close(sock_);  // SO_LINGER 0: aborts at once, frees the association
  }
  glue::release_address(address_);
}

void SctpAssociation::start(Instant now) {
  if (state_ != State::New) return;
  now_ = now;
  glue::advance_timers(now);
  ScopedEngineClock clock(now);
  sock_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, receive_cb, nullptr, 0, address_);
  if (sock_ == nullptr) {
    finish("usrsctp_socket failed");
    return;
  }
  configure_socket();
  sockaddr_conn local = conn_address(address_, config_.local_port);
  if (usrsctp_bind(sock_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    finish("usrsctp_bind failed: " + std::string(std::strerror(errno)));
    return;
  }
  state_ = State::Connecting;
  next_tick_ = now + glue::kTick;
  sockaddr_conn remote = conn_address(address_, config_.remote_port);
  if (usrsctp_connect(sock_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
      errno != EINPROGRESS) {
    finish("usrsctp_connect failed: " + std::string(std::strerror(errno)));
    return;
  }
  process_inbox();
}

void SctpAssociation::configure_socket() {
  usrsctp_set_non_blocking(sock_, 1);
  // Closing aborts instead of lingering: the association's owner is gone.
  linger lg{1, 0};
  set_opt(sock_, SOL_SOCKET, SO_LINGER, lg);
  // A whole max-size message must fit the send buffer (no partial sends);
  // the receive buffer sets the advertised window.
  int sndbuf = static_cast<int>(std::max<std::size_t>(4 * config_.remote_max_message_size, 1 << 20));
  int rcvbuf = static_cast<int>(std::max<std::size_t>(4 * config_.max_message_size, 1 << 20));
  set_opt(sock_, SOL_SOCKET, SO_SNDBUF, sndbuf);
  set_opt(sock_, SOL_SOCKET, SO_RCVBUF, rcvbuf);
  sctp_assoc_value reset{};
  reset.assoc_id = SCTP_ALL_ASSOC;
  reset.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;  // RFC 8831 §6.7 closes by stream reset
  set_opt(sock_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, reset);
  int on = 1;
  set_opt(sock_, IPPROTO_SCTP, SCTP_NODELAY, on);
  set_opt(sock_, IPPROTO_SCTP, SCTP_RECVRCVINFO, on);
  for (std::uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SEND_FAILED_EVENT,
                             SCTP_SHUTDOWN_EVENT, SCTP_PARTIAL_DELIVERY_EVENT}) {
    sctp_event ev{};
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_type = type;
    ev.se_on = 1;
    set_opt(sock_, IPPROTO_SCTP, SCTP_EVENT, ev);
  }
  sctp_initmsg init{};
  init.sinit_num_ostreams = config_.streams;
  init.sinit_max_instreams = config_.streams;
  set_opt(sock_, IPPROTO_SCTP, SCTP_INITMSG, init);
}

void SctpAssociation::handle_input(Instant now, ByteView packet) {
  now_ = now;
  if (sock_ == nullptr || state_ == State::Closed) return;
  ++counters_.packets_in;
  {
    ScopedEngineClock clock(now);
    usrsctp_conninput(address_, packet.data(), packet.size(), 0);
  }
  process_inbox();
  flush_pending();
}

void SctpAssociation::handle_timeout(Instant now) {
  now_ = now;
  if (state_ == State::New || state_ == State::Closed || now < next_tick_) return;
  glue::advance_timers(now);
  next_tick_ = now + glue::kTick;
  process_inbox();
  flush_pending();
  if (!pending_resets_.empty()) {
    auto retry = std::move(pending_resets_);
    pending_resets_.clear();
    ScopedEngineClock clock(now);
    for (auto sid : retry) reset_outgoing(sid);
  }
}

Instant SctpAssociation::next_timeout() const {
  if (state_ == State::New || state_ == State::Closed) return kNever;
  return next_tick_;
}

std::optional<SctpAssociation::Output> SctpAssociation::poll_output() {
  std::lock_guard lock(mu_);
  if (out_.empty()) return std::nullopt;
  Output o = std::move(out_.front());
  out_.pop_front();
  return o;
}

void SctpAssociation::push(Output o) {
  std::lock_guard lock(mu_);
  out_.push_back(std::move(o));
}

void SctpAssociation::on_packet_out(const void* data, std::size_t len) {
  auto* p = static_cast<const std::uint8_t*>(data);
  Bytes packet(p, p + len);
  std::lock_guard lock(mu_);
  ++counters_.packets_out;
  out_.emplace_back(std::in_place_type<Transmit>, std::move(packet));
}

void SctpAssociation::on_inbound(const void* data, std::size_t len, std::uint16_t sid,
                                 std::uint32_t ppid, int flags) {
  auto* p = static_cast<const std::uint8_t*>(data);
  std::lock_guard lock(mu_);
  inbox_.push_back(Inbound{Bytes(p, p + len), sid, ppid, flags});
}

void SctpAssociation::process_inbox() {
  for (;;) {
    Inbound in;
    {
      std::lock_guard lock(mu_);
      if (inbox_.empty()) return;
      in = std::move(inbox_.front());
      inbox_.pop_front();
    }
    if (in.flags & MSG_NOTIFICATION) {
      on_notification(in.data);
      continue;
    }
    // usrsctp delivers a large message in pieces; MSG_EOR marks the last.
    auto& buf = reassembly_[in.sid];
    if (buf.size() + in.data.size() > config_.max_message_size + 1) {
      ++counters_.oversized_dropped;
      buf.clear();
      buf.shrink_to_fit();
      if (in.flags & MSG_EOR) reassembly_.erase(in.sid);
      continue;
    }
    buf.insert(buf.end(), in.data.begin(), in.data.end());
    if (in.flags & MSG_EOR) {
      Bytes msg = std::move(buf);
      reassembly_.erase(in.sid);
      on_message(in.sid, in.ppid, std::move(msg));
    }
  }
}

void SctpAssociation::on_notification(const Bytes& data) {
  const auto* n = reinterpret_cast<const sctp_notification*>(data.data());
  if (data.size() < sizeof(n->sn_header)) return;
  switch (n->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE: {
      if (data.size() < sizeof(sctp_assoc_change)) return;
      switch (n->sn_assoc_change.sac_state) {
        case SCTP_COMM_UP: {
          if (state_ == State::Connected) return;
          state_ = State::Connected;
          // Packets must fit one DTLS record under the path MTU (RFC 8261 §5).
          sctp_paddrparams pp{};
          sockaddr_conn remote = conn_address(address_, config_.remote_port);
          std::memcpy(&pp.spp_address, &remote, sizeof remote);
          pp.spp_flags = SPP_PMTUD_DISABLE;
          pp.spp_pathmtu = static_cast<std::uint32_t>(config_.mtu);
          ScopedEngineClock clock(now_);
          set_opt(sock_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, pp);
          push(Connected{});
          return;
        }
        case SCTP_COMM_LOST: finish("SCTP association lost"); return;
        case SCTP_CANT_STR_ASSOC: finish("SCTP association could not start"); return;
        case SCTP_SHUTDOWN_COMP: finish("SCTP shutdown complete"); return;
        default: return;
      }
    }
    case SCTP_STREAM_RESET_EVENT: {
      const auto& ev = n->sn_strreset_event;
      if (data.size() < sizeof(sctp_stream_reset_event)) return;
      std::size_t count = (std::min<std::size_t>(ev.strreset_length, data.size()) -
                           sizeof(sctp_stream_reset_event)) / sizeof(std::uint16_t);
      const auto* list = reinterpret_cast<const std::uint16_t*>(
          data.data() + sizeof(sctp_stream_reset_event));
      for (std::size_t i = 0; i < count; ++i) {
        std::uint16_t sid = list[i];
        if (ev.strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
          if (auto it = channels_.find(sid); it != channels_.end() && it->second.outgoing_reset) {
            it->second.outgoing_reset = false;
            pending_resets_.push_back(sid);
          }
          continue;
        }
        if (ev.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) {
          // The peer closed its side: close ours too, then the channel is gone.
          auto it = channels_.find(sid);
          if (it == channels_.end()) continue;
          if (!it->second.outgoing_reset) {
            ScopedEngineClock clock(now_);
            reset_outgoing(sid);
          }
          channels_.erase(sid);
          reassembly_.erase(sid);
          push(ChannelClosed{sid});
        }
      }
      return;
    }
    case SCTP_SEND_FAILED_EVENT:
      ++counters_.send_failures;  // includes messages abandoned by partial reliability
      return;
    default:
      return;
  }
}

void SctpAssociation::on_message(std::uint16_t sid, std::uint32_t ppid, Bytes data) {
  if (ppid == kPpidDcep) {
    on_dcep(sid, data);
    return;
  }
  auto it = channels_.find(sid);
  if (it == channels_.end()) {
    ++counters_.bad_dcep;  // user data on a stream no channel owns
    return;
  }
  Channel& ch = it->second;
  if (!ch.acked) {
    // RFC 8832 §6: data from the peer on the stream implies it saw our OPEN.
    ch.acked = true;
    if (!ch.announced) {
      ch.announced = true;
      push(ChannelOpen{sid, ch.options.label, ch.options.protocol, ch.type, ch.reliability, false});
    }
  }
  bool binary;
  switch (ppid) {
    case kPpidString: case kPpidStringPartial: binary = false; break;
    case kPpidBinary: case kPpidBinaryPartial: binary = true; break;
    // RFC 8831 §6.6: an empty message travels as one byte with these PPIDs.
    case kPpidStringEmpty: binary = false; data.clear(); break;
    case kPpidBinaryEmpty: binary = true; data.clear(); break;
    default: ++counters_.bad_dcep; return;
  }
  ++counters_.messages_in;
  push(Message{sid, binary, std::move(data)});
}

void SctpAssociation::on_dcep(std::uint16_t sid, const Bytes& data) {
  if (is_ack(data)) {
    auto it = channels_.find(sid);
    if (it == channels_.end() || it->second.acked) return;
    it->second.acked = true;
    if (!it->second.announced) {
      it->second.announced = true;
      const Channel& ch = it->second;
      push(ChannelOpen{sid, ch.options.label, ch.options.protocol, ch.type, ch.reliability, false});
    }
    return;
  }
  auto open = parse_open(data);
  if (!open || channels_.count(sid) != 0) {
    ++counters_.bad_dcep;
    return;
  }
  Channel ch;
  ch.options.label = open->label;
  ch.options.protocol = open->protocol;
  ch.options.ordered = !is_unordered(open->channel_type);
  ch.options.priority = open->priority;
  ch.type = open->channel_type;
  ch.reliability = open->reliability_parameter;
  ch.acked = true;
  ch.announced = true;
  channels_[sid] = ch;
  {
    ScopedEngineClock clock(now_);
    send_raw(sid, kPpidDcep, encode_ack(), true);
  }
  push(ChannelOpen{sid, ch.options.label, ch.options.protocol, ch.type, ch.reliability, true});
}

std::uint16_t SctpAssociation::allocate_id() {
  for (std::uint32_t id = next_id_; id < config_.streams; id += 2) {
    if (channels_.count(static_cast<std::uint16_t>(id)) == 0) {
      next_id_ = static_cast<std::uint16_t>(id + 2);
      return static_cast<std::uint16_t>(id);
    }
  }
  return 0xffff;
}

std::optional<std::uint16_t> SctpAssociation::open_channel(Instant now,
                                                           const ChannelOptions& options) {
  now_ = now;
  if (state_ != State::Connected) return std::nullopt;
  if (options.max_retransmits && options.max_packet_lifetime_ms) return std::nullopt;
  std::uint16_t id = options.negotiated_id ? *options.negotiated_id : allocate_id();
  if (id >= config_.streams || channels_.count(id) != 0) return std::nullopt;
  Channel ch;
  ch.options = options;
  ch.type = type_for(options);
  ch.reliability = options.max_retransmits ? *options.max_retransmits
                                           : options.max_packet_lifetime_ms.value_or(0);
  if (options.negotiated_id) {
    ch.acked = true;
    ch.announced = true;
    channels_[id] = ch;
    push(ChannelOpen{id, options.label, options.protocol, ch.type, ch.reliability, false});
    return id;
  }
  channels_[id] = ch;
  DataChannelOpen open{ch.type, options.priority, ch.reliability, options.label, options.protocol};
  ScopedEngineClock clock(now);
  if (!send_raw(id, kPpidDcep, encode_open(open), true)) {
    channels_.erase(id);
    return std::nullopt;
  }
  return id;
}

bool SctpAssociation::send(Instant now, std::uint16_t id, ByteView data, bool binary) {
  now_ = now;
  auto it = channels_.find(id);
  if (state_ != State::Connected || it == channels_.end() || it->second.outgoing_reset)
    return false;
  if (data.size() > config_.remote_max_message_size) return false;
  static constexpr std::uint8_t kEmpty[1] = {0};
  std::uint32_t ppid = data.empty() ? (binary ? kPpidBinaryEmpty : kPpidStringEmpty)
                                    : (binary ? kPpidBinary : kPpidString);
  ScopedEngineClock clock(now);
  if (!send_raw(id, ppid, data.empty() ? ByteView(kEmpty) : data, false)) return false;
  ++counters_.messages_out;
  return true;
}

bool SctpAssociation::send_raw(std::uint16_t sid, std::uint32_t ppid, ByteView data, bool dcep) {
  Pending p{sid, ppid, Bytes(data.begin(), data.end()), 0, 0, 0};
  if (!dcep) {
    const Channel& ch = channels_.at(sid);
    // RFC 8832 §6: until the ACK arrives, everything goes ordered.
    if (is_unordered(ch.type) && ch.acked) p.snd_flags |= SCTP_UNORDERED;
    if (ch.options.max_retransmits) {
      p.pr_policy = SCTP_PR_SCTP_RTX;
      p.pr_value = *ch.options.max_retransmits;
    } else if (ch.options.max_packet_lifetime_ms) {
      p.pr_policy = SCTP_PR_SCTP_TTL;
      p.pr_value = *ch.options.max_packet_lifetime_ms;
    }
  }
  pending_.push_back(std::move(p));
  flush_pending();
  return true;
}

void SctpAssociation::flush_pending() {
  if (sock_ == nullptr || state_ != State::Connected) return;
  ScopedEngineClock clock(now_);
  while (!pending_.empty()) {
    Pending& p = pending_.front();
    sctp_sendv_spa spa{};
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = p.id;
    spa.sendv_sndinfo.snd_ppid = htonl(p.ppid);
    spa.sendv_sndinfo.snd_flags = p.snd_flags;
    if (p.pr_policy != 0) {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = p.pr_policy;
      spa.sendv_prinfo.pr_value = p.pr_value;
    }
    ssize_t r = usrsctp_sendv(sock_, p.data.data(), p.data.size(), nullptr, 0, &spa, sizeof spa,
                              SCTP_SENDV_SPA, 0);
    if (r < 0 && (errno == EWOULDBLOCK || errno == EAGAIN)) return;  // retried on next event
    if (r < 0) ++counters_.send_failures;
    pending_.pop_front();
  }
}

void SctpAssociation::close_channel(Instant now, std::uint16_t id) {
  now_ = now;
  auto it = channels_.find(id);
  if (it == channels_.end() || it->second.outgoing_reset || sock_ == nullptr) return;
  flush_pending();
  ScopedEngineClock clock(now);
  reset_outgoing(id);
}

void SctpAssociation::reset_outgoing(std::uint16_t sid) {
  alignas(sctp_reset_streams) std::uint8_t buf[sizeof(sctp_reset_streams) + sizeof(std::uint16_t)]{};
  auto* srs = reinterpret_cast<sctp_reset_streams*>(buf);
  srs->srs_assoc_id = SCTP_ALL_ASSOC;
  srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  srs->srs_number_streams = 1;
  srs->srs_stream_list[0] = sid;
  auto it = channels_.find(sid);
  if (usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, sizeof buf) == 0) {
    if (it != channels_.end()) it->second.outgoing_reset = true;
  } else {
    pending_resets_.push_back(sid);  // another reset in flight: retry on the next tick
  }
}

void SctpAssociation::shutdown(Instant now) {
  now_ = now;
  if (sock_ == nullptr || state_ == State::Closed) return;
  flush_pending();
  ScopedEngineClock clock(now);
  usrsctp_shutdown(sock_, SHUT_WR);
}

void SctpAssociation::finish(std::string reason) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  for (auto& [id, ch] : channels_) push(ChannelClosed{id});
  channels_.clear();
  pending_.clear();
  push(Closed{std::move(reason)});
}

std::size_t SctpAssociation::buffered_amount() const {
  std::size_t n = 0;
  for (const auto& p : pending_) n += p.data.size();
  return n;
}

}  // namespace floe::sctp
