// Fuzz target: the test line's offer/answer on arbitrary SDP text, and its
// media session on arbitrary RTP/RTCP datagrams. Whatever the offer, an
// accepted one yields an answer that parses and has one section per offered
// section (RFC 3264 §6).
#include <cstdint>
#include <string_view>

#include "gateway/testline/line_sdp.hpp"
#include "gateway/testline/media_session.hpp"
#include "signaling/sdp/parser.hpp"

using namespace floe;
using namespace floe::testline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  LocalSession s(1, *SocketAddress::parse("127.0.0.1:30000"), *SocketAddress::parse("127.0.0.1:30001"));
  std::string answer;
  auto r = s.answer_offer(text, answer);
  if (std::holds_alternative<AudioAgreement>(r)) {
    auto offer = sdp::parse(text);
    auto parsed = sdp::parse(answer);
    if (!offer || !parsed || parsed.value().media.size() != offer.value().media.size())
      __builtin_trap();
  }
  (void)s.make_offer();
  auto a = s.read_answer(text);

  Instant now{};
  MediaSession echo(LineMode::Echo, now, 0, 1, 0, 0, "fuzz");
  AudioAgreement ag;
  ag.remote_rtp = *SocketAddress::parse("127.0.0.1:6000");
  ag.remote_rtcp = *SocketAddress::parse("127.0.0.1:6001");
  if (auto* got = std::get_if<AudioAgreement>(&a)) ag = *got;
  echo.configure(now, ag);
  const ByteView bytes(data, size);
  echo.handle_rtp(now, ag.remote_rtp, bytes);
  echo.handle_rtcp(now, ag.remote_rtcp, bytes);
  while (const Datagram* d = echo.poll_output())
    if (d->size > Datagram::kCapacity) __builtin_trap();
  return 0;
}
