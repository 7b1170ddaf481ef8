#include "gateway/media/port_range.hpp"

namespace floe::media {

RtpPortRange::RtpPortRange(std::uint16_t min_port, std::uint16_t max_port) : first_(0) {
  // Ports 0 and 1 are not usable; computed wide so 65535 cannot wrap.
  std::uint32_t lo = min_port + (min_port & 1u);
  if (lo < 2) lo = 2;
  if (lo + 1 > max_port) return;
  first_ = static_cast<std::uint16_t>(lo);
  used_.assign((max_port - lo - 1) / 2 + 1, false);
}

std::optional<std::uint16_t> RtpPortRange::acquire() {
  const std::size_t n = used_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = (cursor_ + i) % n;
    if (!used_[k]) {
      used_[k] = true;
      ++in_use_;
      cursor_ = (k + 1) % n;
      return static_cast<std::uint16_t>(first_ + 2 * k);
    }
  }
  return std::nullopt;
}

bool RtpPortRange::release(std::uint16_t port) {
  if (port < first_ || (port - first_) % 2 != 0) return false;
  const std::size_t k = (port - first_) / 2u;
  if (k >= used_.size() || !used_[k]) return false;
  used_[k] = false;
  --in_use_;
  return true;
}

}  // namespace floe::media
