#include "ice/stun/transaction.hpp"

#include <cstring>

namespace floe::stun {

ClientTransaction::ClientTransaction(Instant now, Bytes request, const TransactionConfig& config)
    : cfg_(config), request_(std::move(request)), started_(now), rto_(config.rto) {
  if (request_.size() >= kHeaderSize) std::memcpy(id_.data(), request_.data() + 8, 12);
  deadline_ = now;  // first transmission is due at once
}

ByteView ClientTransaction::poll_transmit() {
  if (!transmit_due_ || done()) return {};
  transmit_due_ = false;
  ++sent_;
  if (cfg_.reliable) {
    deadline_ = started_ + cfg_.ti;
  } else if (sent_ < cfg_.rc) {
    // §6.2.1: the interval doubles after each transmission.
    deadline_ = deadline_ + rto_;
    rto_ *= 2;
  } else {
    deadline_ = deadline_ + cfg_.rm * cfg_.rto;
  }
  return request_;
}

void ClientTransaction::handle_timeout(Instant now) {
  if (done() || now < deadline_ || transmit_due_) return;
  if (cfg_.reliable || sent_ >= cfg_.rc) {
    state_ = State::TimedOut;
    return;
  }
  transmit_due_ = true;
}

Duration ClientTransaction::handle_response(Instant now) {
  if (done()) return Duration::zero();
  state_ = State::Answered;
  return sent_ == 1 ? now - started_ : Duration::zero();
}

}  // namespace floe::stun
