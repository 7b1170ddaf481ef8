#include "ice/agent/demux.hpp"

#include <algorithm>

#include "ice/stun/message.hpp"

namespace floe::ice {

PacketClass classify_packet(ByteView bytes) {
  if (bytes.empty()) return PacketClass::Unknown;
  const auto b = bytes[0];
  if (b <= 3) return PacketClass::Stun;
  if (b >= 20 && b <= 63) return PacketClass::Dtls;
  if (b >= 128 && b <= 191) return PacketClass::Rtp;
  return PacketClass::Unknown;
}

IceDemux::IceDemux(std::size_t expected_agents) {
  by_ufrag_.reserve(expected_agents * 2);     // a restart briefly holds two
  by_tuple_.reserve(expected_agents * 8);
  owned_.reserve(expected_agents);
}

void IceDemux::add_ufrag(std::string_view ufrag, AgentId id) {
  auto it = by_ufrag_.find(ufrag);
  if (it != by_ufrag_.end()) {
    it->second = id;
    return;
  }
  by_ufrag_.emplace(std::string(ufrag), id);
  owned_[id].ufrags.emplace_back(ufrag);
}

void IceDemux::remove_ufrag(std::string_view ufrag) {
  auto it = by_ufrag_.find(ufrag);
  if (it == by_ufrag_.end()) return;
  auto o = owned_.find(it->second);
  if (o != owned_.end()) std::erase(o->second.ufrags, std::string(ufrag));
  by_ufrag_.erase(it);
}

void IceDemux::add_tuple(const SocketAddress& local, const SocketAddress& remote, AgentId id,
                         bool validated) {
  Tuple key{local, remote};
  auto it = by_tuple_.find(key);
  if (it != by_tuple_.end()) {
    // A validated path is not taken over by another agent's mere attempt.
    if (it->second.id != id && it->second.validated && !validated) return;
    if (it->second.id != id) {
      auto o = owned_.find(it->second.id);
      if (o != owned_.end()) std::erase(o->second.tuples, key);
      owned_[id].tuples.push_back(key);
    }
    it->second = TupleEntry{id, validated || (it->second.id == id && it->second.validated)};
    return;
  }
  by_tuple_.emplace(key, TupleEntry{id, validated});
  owned_[id].tuples.push_back(key);
}

void IceDemux::remove_agent(AgentId id) {
  auto o = owned_.find(id);
  if (o == owned_.end()) return;
  for (const auto& u : o->second.ufrags) by_ufrag_.erase(u);
  for (const auto& t : o->second.tuples) by_tuple_.erase(t);
  owned_.erase(o);
}

std::optional<AgentId> IceDemux::route(const SocketAddress& local, const SocketAddress& remote,
                                       ByteView bytes, PacketClass* cls_out) {
  const auto cls = classify_packet(bytes);
  if (cls_out) *cls_out = cls;
  const auto tuple = by_tuple_.find(Tuple{local, remote});
  if (cls == PacketClass::Stun) {
    auto m = stun::Message::parse(bytes);
    if (!m) {
      ++counters_.malformed;
      return std::nullopt;
    }
    if (m->cls() == stun::Class::Request) {
      auto user = m->string(stun::attr::Username);
      if (user) {
        auto lfrag = user->substr(0, user->find(':'));
        auto it = by_ufrag_.find(lfrag);
        if (it != by_ufrag_.end()) {
          ++counters_.routed_by_ufrag;
          return it->second;
        }
        ++counters_.unknown_ufrag;
        return std::nullopt;
      }
    }
    if (tuple == by_tuple_.end()) {
      ++counters_.unknown_tuple;
      return std::nullopt;
    }
    ++counters_.routed_by_tuple;
    return tuple->second.id;
  }
  if (tuple == by_tuple_.end()) {
    ++counters_.unknown_tuple;
    return std::nullopt;
  }
  if (!tuple->second.validated) {
    ++counters_.unvalidated_data;
    return std::nullopt;
  }
  ++counters_.routed_by_tuple;
  return tuple->second.id;
}

}  // namespace floe::ice
