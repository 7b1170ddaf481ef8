#include "ice/stun/transaction.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include <vector>

using namespace floe;
using namespace floe::stun;

namespace {
Bytes binding_request() {
  Bytes b;
  MessageBuilder(b, Class::Request, method::Binding, random_transaction_id());
  return b;
}

// Drives the transaction on a virtual clock, recording when it transmits.
std::vector<long> transmit_times_ms(ClientTransaction& t, Instant start) {
  std::vector<long> times;
  Instant now = start;
  while (!t.done()) {
    if (!t.poll_transmit().empty())
      times.push_back(std::chrono::duration_cast<milliseconds>(now - start).count());
    now = t.next_timeout();
    t.handle_timeout(now);
  }
  times.push_back(std::chrono::duration_cast<milliseconds>(now - start).count());
  return times;
}
}  // namespace

TEST(ClientTransaction, Rfc8489RetransmissionSchedule) {
  // §6.2.1 example: RTO 500 ms, Rc 7, Rm 16: sent at 0, 500, 1500, 3500,
  // 7500, 15500 and 31500 ms; failed at 39500 ms.
  Instant t0{};
  ClientTransaction t(t0, binding_request());
  auto times = transmit_times_ms(t, t0);
  EXPECT_EQ(times, (std::vector<long>{0, 500, 1500, 3500, 7500, 15500, 31500, 39500}));
  EXPECT_EQ(t.state(), ClientTransaction::State::TimedOut);
  EXPECT_EQ(t.transmissions(), 7);
}

TEST(ClientTransaction, ConfigurableRtoAndCounts) {
  Instant t0{};
  ClientTransaction t(t0, binding_request(), {.rto = milliseconds(100), .rc = 3, .rm = 4});
  EXPECT_EQ(transmit_times_ms(t, t0), (std::vector<long>{0, 100, 300, 700}));
}

TEST(ClientTransaction, ReliableSendsOnceThenTi) {
  Instant t0{};
  ClientTransaction t(t0, binding_request(), {.reliable = true});
  EXPECT_EQ(transmit_times_ms(t, t0), (std::vector<long>{0, 39500}));
}

TEST(ClientTransaction, ResponseStopsAndMeasuresRtt) {
  Instant t0{};
  auto req = binding_request();
  ClientTransaction t(t0, req);
  ASSERT_FALSE(t.poll_transmit().empty());
  EXPECT_TRUE(t.poll_transmit().empty());
  EXPECT_EQ(std::memcmp(t.id().data(), req.data() + 8, 12), 0);
  auto rtt = t.handle_response(t0 + milliseconds(42));
  EXPECT_EQ(rtt, milliseconds(42));
  EXPECT_EQ(t.state(), ClientTransaction::State::Answered);
  EXPECT_EQ(t.next_timeout(), kNever);
}

TEST(ClientTransaction, KarnRuleAfterRetransmission) {
  Instant t0{};
  ClientTransaction t(t0, binding_request());
  t.poll_transmit();
  t.handle_timeout(t0 + milliseconds(500));
  ASSERT_FALSE(t.poll_transmit().empty());
  EXPECT_EQ(t.handle_response(t0 + milliseconds(600)), Duration::zero());
}
