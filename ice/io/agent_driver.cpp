#include "ice/io/agent_driver.hpp"

#include <algorithm>

namespace floe::io {

IceAgentDriver::IceAgentDriver(boost::asio::io_context& io, ice::IceConfig config)
    : io_(io), agent_(std::move(config)), timer_(io) {}

IceAgentDriver::~IceAgentDriver() {
  timer_.cancel();
  for (auto& a : attachments_) a.mux->detach(a.id);
}

void IceAgentDriver::add_socket(UdpMux& mux) {
  Attachment a{&mux, mux.attach(*this)};
  attachments_.push_back(a);
  for (const auto& u : ufrags_) mux.demux().add_ufrag(u, a.id);
  agent_.add_local_address(Clock::now(), mux.local_address());
  pump();
}

void IceAgentDriver::set_relay(ice::RelayGlue& glue, ServerSender to_server) {
  relay_ = &glue;
  to_server_ = std::move(to_server);
}

void IceAgentDriver::on_server_input(std::size_t server, ByteView bytes) {
  if (!relay_) return;
  auto in = relay_->handle_server_input(Clock::now(), server, bytes);
  if (in && in->result == ice::InputResult::ApplicationData && on_data_) on_data_(in->data, in->peer);
  pump();
}

void IceAgentDriver::end_of_local_addresses() {
  if (relay_) relay_->end_of_local_addresses(Clock::now());
  else agent_.end_of_local_addresses();
  pump();
}

IceAgentDriver::Attachment* IceAgentDriver::attachment_for(const SocketAddress& local) {
  for (auto& a : attachments_)
    if (a.mux->local_address() == local) return &a;
  return nullptr;
}

void IceAgentDriver::sync_ufrags(bool drop_old) {
  const auto& current = agent_.local_credentials().ufrag;
  if (std::find(ufrags_.begin(), ufrags_.end(), current) == ufrags_.end()) {
    ufrags_.push_back(current);
    for (auto& a : attachments_) a.mux->demux().add_ufrag(current, a.id);
  }
  if (!drop_old) return;
  // A new pair was selected after a restart: the old ufrag is dead.
  for (const auto& u : ufrags_)
    if (u != current)
      for (auto& a : attachments_) a.mux->demux().remove_ufrag(u);
  std::erase_if(ufrags_, [&](const std::string& u) { return u != current; });
}

void IceAgentDriver::pump() {
  sync_ufrags(false);
  while (auto o = agent_.poll_output()) {
    if (auto* t = std::get_if<ice::Transmit>(&*o)) {
      if (relay_ && relay_->route(Clock::now(), *t)) continue;
      if (auto* a = attachment_for(t->local)) {
        // Answers to our checks come back on this 5-tuple.
        a->mux->demux().add_tuple(t->local, t->remote, a->id, false);
        a->mux->send_to(t->bytes, t->remote);
      }
      continue;
    }
    if (auto* sel = std::get_if<ice::SelectedPairChanged>(&*o)) {
      if (auto* a = attachment_for(sel->local.base))
        a->mux->demux().add_tuple(sel->local.base, sel->remote.address, a->id, true);
      sync_ufrags(true);
      if (relay_) relay_->on_selected(Clock::now(), *sel);
    }
    if (on_event_) on_event_(*o);
  }
  if (relay_) {
    while (auto t = relay_->poll_transmit())
      if (to_server_) to_server_(t->server, t->bytes);
  }
  arm_timer();
}

void IceAgentDriver::arm_timer() {
  auto next = agent_.next_timeout();
  if (relay_) next = std::min(next, relay_->next_timeout());
  if (next == armed_for_) return;
  armed_for_ = next;
  if (next == kNever) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(next);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;
    armed_for_ = kNever;
    const auto now = Clock::now();
    if (relay_ && relay_->next_timeout() <= now) relay_->handle_timeout(now);
    if (agent_.next_timeout() <= now) agent_.handle_timeout(now);
    pump();
  });
}

bool IceAgentDriver::send(ByteView data) {
  auto route = agent_.selected_route();
  if (!route) return false;
  if (relay_ && relay_->is_relayed(route->local)) return relay_->send(Clock::now(), *route, data);
  auto* a = attachment_for(route->local);
  if (!a) return false;
  // Zero-copy: straight to the socket, the agent only learns that the pair
  // carried traffic (keepalive timing).
  const auto now = Clock::now();
  agent_.note_sent(now);
  return a->mux->send_to(data, route->remote);
}

void IceAgentDriver::on_datagram(const SocketAddress& local, const SocketAddress& remote,
                                 ByteView bytes) {
  auto r = agent_.handle_input(Clock::now(), ice::Datagram{local, remote, bytes});
  if (r == ice::InputResult::ApplicationData && on_data_) on_data_(bytes, remote);
  pump();
}

}  // namespace floe::io
