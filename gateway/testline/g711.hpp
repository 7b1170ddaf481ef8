#pragma once
// G.711 (ITU-T G.711, 1988) companding for 8 kHz telephone audio, and the
// test line's 1 kHz tone source. Encoders take 16-bit linear PCM; the
// segment/quantisation steps follow the recommendation's tables (µ-law with
// the 0x84 bias, A-law with even-bit inversion), so a decoder on any SIP
// peer reads the same levels back.
#include <cstdint>
#include <span>

namespace floe::testline {

// RFC 3551 §4.5.14: PCMU is payload type 0, PCMA payload type 8.
enum class G711Law : std::uint8_t { Ulaw, Alaw };

std::uint8_t linear_to_ulaw(std::int16_t sample);
std::uint8_t linear_to_alaw(std::int16_t sample);
std::int16_t ulaw_to_linear(std::uint8_t code);
std::int16_t alaw_to_linear(std::uint8_t code);

inline std::uint8_t encode(G711Law law, std::int16_t sample) {
  return law == G711Law::Ulaw ? linear_to_ulaw(sample) : linear_to_alaw(sample);
}
inline std::int16_t decode(G711Law law, std::uint8_t code) {
  return law == G711Law::Ulaw ? ulaw_to_linear(code) : alaw_to_linear(code);
}

// A sine tone addressed by absolute sample index, so a packet's payload is a
// function of its RTP timestamp alone: packets skipped during a hold or a
// late timer leave no phase jump relative to the timestamp line.
class ToneGenerator {
 public:
  ToneGenerator(double frequency_hz, double peak, std::uint32_t sample_rate = 8000);
  // Encodes out.size() samples starting at sample index `first`.
  void fill(G711Law law, std::uint64_t first, std::span<std::uint8_t> out) const;
  std::int16_t sample(std::uint64_t index) const;

 private:
  double frequency_;
  double peak_;
  std::uint32_t rate_;
};

}  // namespace floe::testline
