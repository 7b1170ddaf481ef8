#include "base/bytes.hpp"

#include <gtest/gtest.h>

using namespace floe;

TEST(ByteReader, LatchesOnShortRead) {
  const std::uint8_t d[] = {1, 2, 3};
  ByteReader r{ByteView(d)};
  EXPECT_EQ(r.u16(), 0x0102);
  EXPECT_EQ(r.u16(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0);  // stays failed even though one byte is left
}

TEST(ByteWriter, BigEndian) {
  Bytes out;
  ByteWriter w(out);
  w.u16(0x1234);
  w.u32(0xdeadbeef);
  ASSERT_EQ(out.size(), 6u);
  ByteReader r(out);
  EXPECT_EQ(r.u16(), 0x1234);
  EXPECT_EQ(r.u32(), 0xdeadbeefu);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}
