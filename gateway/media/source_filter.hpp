#pragma once
// Which remote transport address the SIP leg accepts media from (DESIGN.md
// "RTP bleed"). Two modes:
//   Strict: only the address:port the SDP signalled (c= and m= port, or
//           a=rtcp for RTCP).
//   Learn:  "symmetric RTP" for endpoints behind NAT, whose packets come from
//           a different address than they signal: within a short learning
//           window opened when the remote SDP is applied, the first source
//           seen is locked in, and from then on only it is accepted. After
//           the window closes with nothing learned, only the signalled
//           address is accepted (and locked when it shows up).
// The lock is only reopened when the signalled address changes (a re-INVITE
// moving the media), never by traffic. Feed it only packets that already
// parsed as RTP (and, for SRTP, authenticated), so garbage cannot win the
// race. One filter per socket: RTP and RTCP learn separately.
#include <cstdint>
#include <optional>

#include "base/address.hpp"
#include "base/time.hpp"

namespace floe::media {

enum class SourceMode : std::uint8_t { Strict, Learn };

enum class SourceDrop : std::uint8_t {
  NoRemote = 0,      // nothing signalled yet, or a hold address (0.0.0.0 / port 0)
  NotSignalled,      // Strict, or Learn after the window: not the signalled address
  NotLearned,        // Learn, locked: not the locked source
};
inline constexpr std::size_t kSourceDropCount = 3;
const char* to_string(SourceDrop d);

struct SourceFilterCounters {
  std::uint64_t accepted = 0;
  std::uint64_t dropped[kSourceDropCount] = {};
  std::uint64_t learned = 0;  // locks taken (one per signalled address)
};

class SourceFilter {
 public:
  static constexpr Duration kDefaultWindow = seconds(2);

  explicit SourceFilter(SourceMode mode, Duration learning_window = kDefaultWindow);

  // The remote SDP named `remote` at `now` (answer received, or offer from
  // the far end applied). Re-opens learning only when the address changes.
  void set_signalled(Instant now, const SocketAddress& remote);

  // Whether a packet from `from` is accepted; counts it either way.
  bool accept(Instant now, const SocketAddress& from);

  // Where to send to this leg: the locked source in Learn mode once locked
  // (symmetric RTP answers the address media comes from), else the
  // signalled address. nullopt when nothing usable is signalled.
  std::optional<SocketAddress> destination() const;

  SourceMode mode() const { return mode_; }
  const std::optional<SocketAddress>& locked() const { return locked_; }
  bool learning(Instant now) const;
  const SourceFilterCounters& counters() const { return counters_; }

 private:
  bool drop(SourceDrop why);

  SourceMode mode_;
  Duration window_;
  std::optional<SocketAddress> signalled_;
  std::optional<SocketAddress> locked_;
  Instant window_end_{};
  SourceFilterCounters counters_;
};

}  // namespace floe::media
