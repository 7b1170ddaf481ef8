#include "gateway/testline/g711.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <numbers>
#include <vector>

namespace floe::testline {
namespace {

// G.711 Table 1/2 anchor points: silence codes and the clipping ends.
TEST(G711, SilenceAndFullScaleCodes) {
  EXPECT_EQ(linear_to_ulaw(0), 0xff);
  EXPECT_EQ(linear_to_ulaw(-1), 0x7f);
  EXPECT_EQ(linear_to_ulaw(32767), 0x80);
  EXPECT_EQ(linear_to_ulaw(-32768), 0x00);
  EXPECT_EQ(linear_to_alaw(0), 0xd5);
  EXPECT_EQ(linear_to_alaw(-8), 0x55);
  EXPECT_EQ(linear_to_alaw(32767), 0xaa);
  EXPECT_EQ(linear_to_alaw(-32768), 0x2a);
  EXPECT_EQ(ulaw_to_linear(0xff), 0);
  EXPECT_EQ(ulaw_to_linear(0x80), 32124);
  EXPECT_EQ(ulaw_to_linear(0x00), -32124);
  EXPECT_EQ(alaw_to_linear(0xd5), 8);
  EXPECT_EQ(alaw_to_linear(0xaa), 32256);
}

// Every code decodes to a value that encodes back to the same code (the
// decoder returns the middle of each quantisation step), except µ-law's
// negative zero (0x7f), which is the same level as 0xff.
TEST(G711, DecodeThenEncodeIsIdentity) {
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    if (code != 0x7f) {
      EXPECT_EQ(linear_to_ulaw(ulaw_to_linear(code)), code) << c;
    }
    EXPECT_EQ(linear_to_alaw(alaw_to_linear(code)), code) << c;
  }
}

// Companding error stays within half a step of each segment: relative error
// under ~3.2% above the first segments, for both laws.
TEST(G711, QuantisationErrorIsBounded) {
  for (int v = -32768; v <= 32767; v += 7) {
    const auto s = static_cast<std::int16_t>(v);
    const int u = ulaw_to_linear(linear_to_ulaw(s));
    const int a = alaw_to_linear(linear_to_alaw(s));
    const int mag = std::abs(v);
    const int bound = std::max(mag / 28, 36);  // 1/32 relative, 1-2 steps near zero
    if (mag < 32000) {
      EXPECT_LE(std::abs(u - v), bound) << v;
      EXPECT_LE(std::abs(a - v), bound) << v;
    }
  }
}

TEST(G711, EncodingIsMonotonic) {
  int last_u = -40000, last_a = -40000;
  for (int v = -32768; v <= 32767; ++v) {
    const int u = ulaw_to_linear(linear_to_ulaw(static_cast<std::int16_t>(v)));
    const int a = alaw_to_linear(linear_to_alaw(static_cast<std::int16_t>(v)));
    ASSERT_GE(u, last_u) << v;
    ASSERT_GE(a, last_a) << v;
    last_u = u;
    last_a = a;
  }
}

double power_at(const std::vector<double>& x, double f, double rate) {
  double re = 0, im = 0;
  for (std::size_t n = 0; n < x.size(); ++n) {
    re += x[n] * std::cos(2 * std::numbers::pi * f * n / rate);
    im -= x[n] * std::sin(2 * std::numbers::pi * f * n / rate);
  }
  return re * re + im * im;
}

// The tone decoded from either law is 1 kHz: that bin holds nearly all the
// power, and the phase continues across packet boundaries by sample index.
TEST(ToneGenerator, OneKilohertzInBothLaws) {
  ToneGenerator tone(1000, 8000);
  for (G711Law law : {G711Law::Ulaw, G711Law::Alaw}) {
    std::vector<std::uint8_t> payload(1600);
    for (std::size_t p = 0; p < 10; ++p)
      tone.fill(law, 12345 + p * 160, std::span<std::uint8_t>(payload.data() + p * 160, 160));
    std::vector<double> x;
    double total = 0;
    for (auto b : payload) {
      x.push_back(decode(law, b));
      total += x.back() * x.back();
    }
    const double at_1k = power_at(x, 1000, 8000);
    // Parseval: a pure sine puts total*N/2 into its bin.
    EXPECT_GT(at_1k, 0.95 * total * x.size() / 2);
    for (double f : {300.0, 500.0, 2000.0, 3000.0}) EXPECT_LT(power_at(x, f, 8000), 0.001 * at_1k);
    // Peak near the configured amplitude.
    double peak = 0;
    for (double v : x) peak = std::max(peak, std::abs(v));
    EXPECT_NEAR(peak, 8000, 400);
  }
}

}  // namespace
}  // namespace floe::testline
