#pragma once
// The SIP side's RTP port range: RTP on even ports, RTCP on the next odd one
// (RFC 3550 §11), handed out round-robin so a port just released is not
// reused at once (late packets of the old call would land in the new one).
// A port pair that the OS refuses (another process holds it) is the
// caller's concern: it releases the pair and asks for the next one.
// Allocation happens at construction only. Not thread-safe: one per worker
// thread, each with its own slice of the configured range, or a lock in the
// owner.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace floe::media {

class RtpPortRange {
 public:
  // [min_port, max_port] inclusive; `min_port` is rounded up to even and a
  // pair is only offered when its RTCP port is within the range too. An
  // empty range (max < min + 1) offers nothing.
  RtpPortRange(std::uint16_t min_port, std::uint16_t max_port);

  // The next free even port after the one handed out last; nullopt when all
  // are in use.
  std::optional<std::uint16_t> acquire();
  // Returns a port from acquire(); other values are ignored (returns false).
  bool release(std::uint16_t rtp_port);

  std::size_t capacity() const { return used_.size(); }
  std::size_t in_use() const { return in_use_; }
  std::uint16_t min_port() const { return first_; }

 private:
  std::uint16_t first_;
  std::vector<bool> used_;  // index i <-> port first_ + 2i
  std::size_t cursor_ = 0;
  std::size_t in_use_ = 0;
};

}  // namespace floe::media
