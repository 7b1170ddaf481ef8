#include "gateway/webrtc/transport.hpp"

#include <algorithm>
#include <cstring>

#include "dtls/srtp/demux.hpp"

namespace floe::webrtc {

WebRtcTransport::WebRtcTransport(WebRtcConfig config)
    : cfg_(std::move(config)), ice_(cfg_.ice) {
  ice_.set_role(cfg_.ice_role);
  if (!cfg_.turn_servers.empty()) {
    relay_.emplace(ice_, cfg_.relay_gather_deadline);
    relay_links_.resize(cfg_.turn_servers.size());
  }
}

WebRtcTransport::~WebRtcTransport() = default;

void WebRtcTransport::set_remote_credentials(std::string ufrag, std::string pwd) {
  ice_.set_remote_credentials(std::move(ufrag), std::move(pwd));
}

void WebRtcTransport::set_peer(dtls::Role dtls_role, const dtls::Fingerprint& remote_fingerprint,
                               bool data_channel, std::uint16_t remote_sctp_port,
                               std::size_t remote_max_message_size) {
  if (started_) return;
  cfg_.dtls_role = dtls_role;
  cfg_.remote_fingerprint = remote_fingerprint;
  cfg_.data_channel = data_channel;
  cfg_.remote_sctp_port = remote_sctp_port;
  cfg_.remote_max_message_size = remote_max_message_size;
}

void WebRtcTransport::start_relays(Instant now) {
  last_now_ = now;
  if (!relay_ || relay_->server_count() > 0) return;
  for (const auto& server : cfg_.turn_servers) relay_->add_server(now, server);
}

void WebRtcTransport::add_local_address(Instant now, const SocketAddress& base) {
  // Allocations start with gathering, so that end_of_local_addresses()
  // right after the host addresses waits for them.
  start_relays(now);
  ice_.add_local_address(now, base);
  drain(now);
}

void WebRtcTransport::end_of_local_addresses() {
  // With TURN servers the glue forwards it once relayed gathering settled
  // (or its deadline passed), so no relayed candidate follows end-of-candidates.
  if (relay_) {
    relay_->end_of_local_addresses(last_now_);
    drain(last_now_);
  } else {
    ice_.end_of_local_addresses();
  }
}

void WebRtcTransport::set_relay_sender(RelaySender sender) {
  relay_sender_ = std::move(sender);
  flush_relay();
}

void WebRtcTransport::set_relay_link(std::size_t server, const SocketAddress& link_local) {
  if (server < relay_links_.size()) relay_links_[server] = link_local;
}

void WebRtcTransport::flush_relay() {
  if (!relay_ || !relay_sender_) return;
  while (auto t = relay_->poll_transmit()) relay_sender_(t->server, t->bytes);
}

bool WebRtcTransport::send_relayed(Instant now, const ice::Route& route, ByteView bytes) {
  if (!relay_ || failed_ || closed_) return false;
  last_now_ = now;
  const bool ok = relay_->send(now, route, bytes);
  flush_relay();
  return ok;
}

void WebRtcTransport::release_relays(Instant now) {
  if (!relay_) return;
  relay_->close(now);
  flush_relay();
}

void WebRtcTransport::emit_transmit(Instant now, ice::Transmit t) {
  if (relay_ && relay_->route(now, t)) return;
  out_.emplace_back(std::move(t));
}

ice::RemoteCandidateResult WebRtcTransport::add_remote_candidate(std::string_view sdp) {
  return ice_.add_remote_candidate(sdp);
}

void WebRtcTransport::end_of_remote_candidates() { ice_.end_of_remote_candidates(); }

void WebRtcTransport::start(Instant now) {
  if (started_) return;
  started_ = true;
  start_relays(now);
  if (cfg_.dtls_role == dtls::Role::Server) start_dtls(now);
  drain(now);
}

void WebRtcTransport::start_dtls(Instant now) {
  if (dtls_ || failed_) return;
  dtls::DtlsConfig dc;
  dc.role = cfg_.dtls_role;
  dc.remote_fingerprint = cfg_.remote_fingerprint;
  // A WebRTC peer always negotiates use_srtp (RFC 8827 §6.5); a handshake
  // without it would leave the media unkeyable.
  dc.require_srtp = true;
  dtls_.emplace(cfg_.dtls_context, dc);
  dtls_->start(now);
}

void WebRtcTransport::close(Instant now) {
  if (closed_) return;
  closed_ = true;
  if (sctp_) sctp_->shutdown(now);
  if (dtls_) dtls_->close(now);
  drain(now);
  ice_.close();
}

MediaIn WebRtcTransport::handle_input(Instant now, const SocketAddress& local,
                                      const SocketAddress& remote,
                                      std::span<std::uint8_t> datagram) {
  if (closed_) return {};
  last_now_ = now;
  for (std::size_t i = 0; i < relay_links_.size(); ++i)
    if (relay_links_[i] == local && cfg_.turn_servers[i].server == remote)
      return handle_relay_input(now, i, datagram);
  const auto r = ice_.handle_input(now, ice::Datagram{local, remote, datagram});
  if (r != ice::InputResult::ApplicationData) {
    if (r == ice::InputResult::Stun) {
      drain(now);
      // A check response may just have made the pair of a held record valid.
      if (early_count_) replay_early(now);
    } else {
      const auto cls = srtp::classify(datagram);
      if (cls == srtp::PacketClass::Dtls || cls == srtp::PacketClass::Rtp ||
          cls == srtp::PacketClass::Rtcp)
        hold_early(local, remote, datagram);
    }
    return {};
  }
  return handle_application_data(now, datagram);
}

bool WebRtcTransport::receivable(const SocketAddress& local, const SocketAddress& remote) const {
  if (auto r = ice_.selected_route(); r && r->local == local && r->remote == remote) return true;
  for (const auto& p : ice_.check_list().pairs())
    if (p.valid && p.local.base == local && p.remote.address == remote) return true;
  return false;
}

void WebRtcTransport::hold_early(const SocketAddress& local, const SocketAddress& remote,
                                 ByteView datagram) {
  if (failed_ || closed_ || datagram.size() > early_[0].bytes.size()) return;
  const auto s = ice_.state();
  if (s == ice::IceState::Failed || s == ice::IceState::Closed) return;
  // Oldest out when full: the peer retransmits a whole flight anyway.
  if (early_count_ == early_.size()) {
    if (early_[0].ready) --early_media_ready_;
    std::move(early_.begin() + 1, early_.end(), early_.begin());
    --early_count_;
  }
  auto& e = early_[early_count_++];
  e.local = local;
  e.remote = remote;
  e.at = last_now_;
  e.media = srtp::classify(datagram) != srtp::PacketClass::Dtls;
  e.ready = false;
  e.length = datagram.size();
  std::copy(datagram.begin(), datagram.end(), e.bytes.begin());
  ++(e.media ? counters_.early_media_held : counters_.early_dtls_held);
}

MediaIn WebRtcTransport::take_early_media(Instant now, std::span<std::uint8_t> buffer) {
  for (std::size_t i = 0; i < early_count_; ++i) {
    auto& e = early_[i];
    if (!e.ready) continue;
    MediaIn in;
    if (e.length + kMaxOverhead <= buffer.size()) {
      std::copy(e.bytes.begin(), e.bytes.begin() + static_cast<std::ptrdiff_t>(e.length),
                buffer.begin());
      auto d = buffer.first(e.length);
      if (ice_.handle_input(now, ice::Datagram{e.local, e.remote, d}) ==
          ice::InputResult::ApplicationData) {
        ++counters_.early_media_replayed;
        in = handle_application_data(now, d);
      }
    }
    std::move(early_.begin() + static_cast<std::ptrdiff_t>(i) + 1,
              early_.begin() + static_cast<std::ptrdiff_t>(early_count_),
              early_.begin() + static_cast<std::ptrdiff_t>(i));
    --early_count_;
    --early_media_ready_;
    if (in.kind != MediaIn::Kind::None) return in;
    --i;  // refused after all: look at the next one
  }
  return {};
}

void WebRtcTransport::replay_early(Instant now) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < early_count_; ++i) {
    auto& e = early_[i];
    if (now - e.at > seconds(2)) {  // DTLS was retransmitted by now; media is stale
      if (e.ready) --early_media_ready_;
      continue;
    }
    if (e.ready || !receivable(e.local, e.remote) || e.media) {
      if (!e.ready && e.media && receivable(e.local, e.remote)) {
        e.ready = true;
        ++early_media_ready_;
      }
      if (kept != i) early_[kept] = e;
      ++kept;
      continue;
    }
    std::span<std::uint8_t> d(e.bytes.data(), e.length);
    if (ice_.handle_input(now, ice::Datagram{e.local, e.remote, d}) ==
        ice::InputResult::ApplicationData) {
      ++counters_.early_dtls_replayed;
      handle_application_data(now, d);
    }
  }
  early_count_ = kept;
}

MediaIn WebRtcTransport::handle_relay_input(Instant now, std::size_t server,
                                            std::span<std::uint8_t> datagram) {
  auto in = relay_->handle_server_input(now, server, datagram);
  if (!in || in->result != ice::InputResult::ApplicationData) {
    // TURN responses (a new relayed candidate), or a check on the relay.
    drain(now);
    return {};
  }
  // The payload sits behind a ChannelData or Send header inside `datagram`;
  // the media path decrypts in place and the owner protects its answer in
  // the same buffer, so move it to the front.
  const auto offset = static_cast<std::size_t>(in->data.data() - datagram.data());
  const std::size_t n = in->data.size();
  if (offset + n > datagram.size()) return {};
  std::memmove(datagram.data(), datagram.data() + offset, n);
  return handle_application_data(now, datagram.first(n));
}

MediaIn WebRtcTransport::handle_application_data(Instant now, std::span<std::uint8_t> datagram) {
  // The agent only passes up data from a pair it validated (RFC 8445 §7.3,
  // DESIGN.md "no RTP bleed"), so everything below came over a checked path.
  switch (srtp::classify(datagram)) {
    case srtp::PacketClass::Rtp: {
      if (!srtp_.ready()) {
        ++counters_.media_before_keys;
        return {};
      }
      auto n = srtp_.unprotect_rtp(datagram);
      if (!n) {
        ++counters_.srtp_drops;
        return {};
      }
      ++counters_.rtp_in;
      return {MediaIn::Kind::Rtp, datagram.first(*n)};
    }
    case srtp::PacketClass::Rtcp: {
      if (!srtp_.ready()) {
        ++counters_.media_before_keys;
        return {};
      }
      auto n = srtp_.unprotect_rtcp(datagram);
      if (!n) {
        ++counters_.srtp_drops;
        return {};
      }
      ++counters_.rtcp_in;
      return {MediaIn::Kind::Rtcp, datagram.first(*n)};
    }
    case srtp::PacketClass::Dtls:
      if (!dtls_) {
        // An active peer's ClientHello can beat our own nomination: a
        // DTLS client waits for the pair, a server was created at start().
        ++counters_.dtls_before_start;
        return {};
      }
      dtls_->handle_input(now, datagram);
      drain(now);
      return {};
    default:
      ++counters_.unknown_class;
      return {};
  }
}

void WebRtcTransport::handle_timeout(Instant now) {
  last_now_ = now;
  if (relay_ && relay_->next_timeout() <= now) relay_->handle_timeout(now);
  ice_.handle_timeout(now);
  if (early_count_) replay_early(now);
  if (dtls_ && dtls_->next_timeout() <= now) dtls_->handle_timeout(now);
  if (sctp_ && sctp_->next_timeout() <= now) sctp_->handle_timeout(now);
  drain(now);
}

Instant WebRtcTransport::next_timeout() const {
  Instant t = ice_.next_timeout();
  if (dtls_) t = std::min(t, dtls_->next_timeout());
  if (sctp_) t = std::min(t, sctp_->next_timeout());
  if (relay_) t = std::min(t, relay_->next_timeout());
  return t;
}

std::optional<WebRtcOutput> WebRtcTransport::poll_output() {
  if (out_.empty()) return std::nullopt;
  auto o = std::move(out_.front());
  out_.pop_front();
  return o;
}

void WebRtcTransport::drain(Instant now) {
  // DTLS output becomes ICE output, SCTP output becomes DTLS output: go
  // round until every engine is quiet.
  for (int round = 0; round < 64; ++round) {
    bool any = drain_sctp(now);
    any = drain_dtls(now) || any;
    any = drain_ice(now) || any;
    if (!any) break;
  }
  flush_relay();
}

bool WebRtcTransport::drain_ice(Instant now) {
  bool any = false;
  while (auto o = ice_.poll_output()) {
    any = true;
    if (auto* t = std::get_if<ice::Transmit>(&*o)) {
      emit_transmit(now, std::move(*t));
    } else if (auto* c = std::get_if<ice::LocalCandidate>(&*o)) {
      out_.emplace_back(out::LocalCandidate{std::move(c->candidate)});
    } else if (std::holds_alternative<ice::GatheringComplete>(*o)) {
      out_.emplace_back(out::GatheringComplete{});
    } else if (auto* s = std::get_if<ice::StateChanged>(&*o)) {
      out_.emplace_back(out::IceStateChanged{s->state});
      if (s->state == ice::IceState::Failed) fail("ICE failed: no candidate pair works");
    } else if (auto* p = std::get_if<ice::SelectedPairChanged>(&*o)) {
      out_.emplace_back(out::SelectedPair{p->local, p->remote});
      // A relayed pair gets a channel (RFC 8656 §12): 4-byte headers.
      if (relay_) relay_->on_selected(now, *p);
      if (started_ && cfg_.dtls_role == dtls::Role::Client) start_dtls(now);
    }
  }
  // The controlled side learns of the selection only when the peer
  // nominates, which browsers may delay; the first flight need not wait.
  if (started_ && !dtls_ && cfg_.dtls_role == dtls::Role::Client && data_route()) {
    start_dtls(now);
    any = true;
  }
  return any;
}

bool WebRtcTransport::drain_dtls(Instant now) {
  if (!dtls_) return false;
  bool any = false;
  while (auto o = dtls_->poll_output()) {
    any = true;
    if (auto* t = std::get_if<dtls::DtlsTransport::Transmit>(&*o)) {
      // The handshake retransmits on its own timer, so a flight sent before
      // the server side has a selected pair is only a counted loss.
      if (ice_.send(now, t->data)) continue;
      if (auto route = data_route()) {
        if (!announced_route_ || *announced_route_ != std::make_pair(route->local, route->remote)) {
          announced_route_ = std::make_pair(route->local, route->remote);
          out_.emplace_back(out::DataRoute{route->local, route->remote});
        }
        emit_transmit(now, ice::Transmit{route->local, route->remote, std::move(t->data)});
        ice_.note_sent(now);
      } else {
        ++counters_.dtls_unsendable;
      }
    } else if (auto* c = std::get_if<dtls::DtlsTransport::Connected>(&*o)) {
      std::string error;
      if (!c->srtp || !srtp_.set_keys(*c->srtp, &error)) {
        fail("SRTP keys unusable: " + (error.empty() ? std::string("none negotiated") : error));
        continue;
      }
      out_.emplace_back(out::DtlsConnected{c->handshake_time, c->srtp->profile});
      if (cfg_.data_channel && !sctp_) {
        sctp::SctpConfig sc;
        sc.local_port = cfg_.local_sctp_port;
        sc.remote_port = cfg_.remote_sctp_port;
        sc.dtls_client = cfg_.dtls_role == dtls::Role::Client;
        sc.remote_max_message_size = cfg_.remote_max_message_size;
        sc.mtu = std::min<std::size_t>(1150, dtls_->max_application_payload());
        sctp_.emplace(sc);
        sctp_->start(now);
      }
    } else if (auto* f = std::get_if<dtls::DtlsTransport::Failed>(&*o)) {
      fail("DTLS failed: " + f->reason);
    } else if (std::holds_alternative<dtls::DtlsTransport::Closed>(*o)) {
      fail("DTLS closed by the peer");
    } else if (auto* a = std::get_if<dtls::DtlsTransport::ApplicationData>(&*o)) {
      if (sctp_) sctp_->handle_input(now, a->data);
    }
  }
  return any;
}

bool WebRtcTransport::drain_sctp(Instant) {
  if (!sctp_) return false;
  bool any = false;
  while (auto o = sctp_->poll_output()) {
    any = true;
    if (auto* t = std::get_if<sctp::SctpAssociation::Transmit>(&*o)) {
      if (dtls_) dtls_->send(t->data);
    } else if (std::holds_alternative<sctp::SctpAssociation::Connected>(*o)) {
      out_.emplace_back(out::SctpConnected{});
    } else if (auto* c = std::get_if<sctp::SctpAssociation::ChannelOpen>(&*o)) {
      out_.emplace_back(out::ChannelOpen{c->id, std::move(c->label), std::move(c->protocol)});
    } else if (auto* m = std::get_if<sctp::SctpAssociation::Message>(&*o)) {
      out_.emplace_back(out::ChannelMessage{m->id, m->binary, std::move(m->data)});
    } else if (auto* cc = std::get_if<sctp::SctpAssociation::ChannelClosed>(&*o)) {
      out_.emplace_back(out::ChannelClosed{cc->id});
    }
  }
  return any;
}

void WebRtcTransport::fail(std::string reason) {
  if (failed_ || closed_) return;
  failed_ = true;
  out_.emplace_back(out::Failed{std::move(reason)});
}

std::optional<std::size_t> WebRtcTransport::protect_rtp(std::span<std::uint8_t> buffer,
                                                        std::size_t length) {
  if (!srtp_.ready() || failed_ || closed_) return std::nullopt;
  auto n = srtp_.protect_rtp(buffer, length);
  if (n) ++counters_.rtp_out;
  return n;
}

std::optional<std::size_t> WebRtcTransport::protect_rtcp(std::span<std::uint8_t> buffer,
                                                         std::size_t length) {
  if (!srtp_.ready() || failed_ || closed_) return std::nullopt;
  auto n = srtp_.protect_rtcp(buffer, length);
  if (n) ++counters_.rtcp_out;
  return n;
}

std::optional<ice::Route> WebRtcTransport::data_route() const {
  if (failed_ || closed_) return std::nullopt;
  if (auto r = ice_.selected_route()) return r;
  for (const auto& p : ice_.check_list().pairs())  // sorted by priority
    if (p.valid) return ice::Route{p.local.base, p.remote.address};
  return std::nullopt;
}

std::optional<ice::Route> WebRtcTransport::media_route() const {
  if (failed_ || closed_) return std::nullopt;
  return ice_.selected_route();
}

bool WebRtcTransport::send_message(Instant now, std::uint16_t channel, ByteView data,
                                   bool binary) {
  if (!sctp_ || failed_) return false;
  bool ok = sctp_->send(now, channel, data, binary);
  drain(now);
  return ok;
}

std::optional<std::uint16_t> WebRtcTransport::open_channel(Instant now,
                                                           const sctp::ChannelOptions& options) {
  if (!sctp_ || failed_) return std::nullopt;
  auto id = sctp_->open_channel(now, options);
  drain(now);
  return id;
}

}  // namespace floe::webrtc
