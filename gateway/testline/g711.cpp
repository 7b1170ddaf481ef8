#include "gateway/testline/g711.hpp"

#include <cmath>
#include <numbers>

namespace floe::testline {

namespace {

constexpr int kUlawBias = 0x84;    // G.711 µ-law: 33 added before segmenting
constexpr int kUlawClip = 32635;   // largest magnitude that stays in segment 7 with the bias

// Index of the highest set bit among bits 7..14 of a biased µ-law magnitude,
// minus 7: the segment (exponent) number 0..7.
int ulaw_segment(int magnitude) {
  int seg = 0;
  for (int v = magnitude >> 8; v != 0 && seg < 7; v >>= 1) ++seg;
  return seg;
}

}  // namespace

std::uint8_t linear_to_ulaw(std::int16_t sample) {
  int v = sample;
  int sign = 0;
  if (v < 0) {
    sign = 0x80;
    v = -v;
  }
  if (v > kUlawClip) v = kUlawClip;
  v += kUlawBias;
  const int seg = ulaw_segment(v);
  const int mantissa = (v >> (seg + 3)) & 0x0f;
  // The code word is transmitted with all bits inverted.
  return static_cast<std::uint8_t>(~(sign | (seg << 4) | mantissa));
}

std::int16_t ulaw_to_linear(std::uint8_t code) {
  const int c = static_cast<std::uint8_t>(~code);
  const int seg = (c >> 4) & 0x07;
  const int magnitude = ((((c & 0x0f) << 3) + kUlawBias) << seg) - kUlawBias;
  return static_cast<std::int16_t>((c & 0x80) ? -magnitude : magnitude);
}

std::uint8_t linear_to_alaw(std::int16_t sample) {
  // A-law works on 13-bit magnitudes; negative values use one's complement
  // so that -1 and 0 land in the same first step, as the tables do.
  int v = sample >> 3;
  std::uint8_t mask;
  if (v >= 0) {
    mask = 0xd5;  // sign bit set for positive, then even bits inverted (0x55)
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  int seg = 0;
  while (seg < 8 && v > ((0x20 << seg) - 1)) ++seg;
  if (seg >= 8) return static_cast<std::uint8_t>(0x7f ^ mask);
  int code = seg << 4;
  code |= (seg < 2 ? (v >> 1) : (v >> seg)) & 0x0f;
  return static_cast<std::uint8_t>(code ^ mask);
}

std::int16_t alaw_to_linear(std::uint8_t code) {
  const int c = code ^ 0x55;
  const int seg = (c & 0x70) >> 4;
  int magnitude = (c & 0x0f) << 4;
  // Reconstruct at the middle of the quantisation step.
  if (seg == 0) {
    magnitude += 8;
  } else {
    magnitude += 0x108;
    magnitude <<= seg - 1;
  }
  return static_cast<std::int16_t>((c & 0x80) ? magnitude : -magnitude);
}

ToneGenerator::ToneGenerator(double frequency_hz, double peak, std::uint32_t sample_rate)
    : frequency_(frequency_hz), peak_(peak), rate_(sample_rate) {}

std::int16_t ToneGenerator::sample(std::uint64_t index) const {
  // A whole-Hz tone repeats every second, so reduce the index modulo the
  // rate first: the phase stays exact however long the call lasts.
  const auto cycle = static_cast<std::uint64_t>(rate_);
  const double phase = std::fmod(static_cast<double>(index % cycle) * frequency_ /
                                     static_cast<double>(rate_),
                                 1.0);
  return static_cast<std::int16_t>(std::lround(peak_ * std::sin(2 * std::numbers::pi * phase)));
}

void ToneGenerator::fill(G711Law law, std::uint64_t first, std::span<std::uint8_t> out) const {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = encode(law, sample(first + i));
}

}  // namespace floe::testline
