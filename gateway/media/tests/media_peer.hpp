#pragma once
// Shared by media_peer's subcommands (tests/media_peer.cpp): hex lines,
// pcap files, and the codec checks run against third-party peers
// (tests/media_peer_files.cpp).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/address.hpp"
#include "base/bytes.hpp"
#include "base/time.hpp"

namespace floe::media::peer {

inline constexpr std::uint8_t kPcmu = 0;
inline constexpr std::uint8_t kEvent = 101;

std::string hex(ByteView b);
Bytes unhex(const std::string& s);

struct PcapLog {
  struct Entry {
    Duration at;
    Bytes bytes;
  };
  std::vector<Entry> entries;
  void add(Duration at, ByteView b) { entries.push_back({at, Bytes(b.begin(), b.end())}); }
  bool write(const std::string& path, const SocketAddress& from, const SocketAddress& to) const;
};

// Subcommands (see media_peer.cpp for what each prints).
int write_rtcp();
int read_rtcp();
int read_rtp();
int read_pcaps(int argc, char** argv);

}  // namespace floe::media::peer
