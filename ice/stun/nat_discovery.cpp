#include "ice/stun/nat_discovery.hpp"

#include <algorithm>

namespace floe::stun {
namespace {

const char* behaviour_name(int b) {
  switch (b) {
    case 1: return "endpoint-independent";
    case 2: return "address-dependent";
    case 3: return "address-and-port-dependent";
    default: return "unknown";
  }
}

}  // namespace

const char* to_string(MappingBehavior b) { return behaviour_name(static_cast<int>(b)); }
const char* to_string(FilteringBehavior b) { return behaviour_name(static_cast<int>(b)); }

const char* to_string(Hairpinning h) {
  switch (h) {
    case Hairpinning::Supported: return "supported";
    case Hairpinning::NotSupported: return "not-supported";
    case Hairpinning::Unknown: break;
  }
  return "unknown";
}

const char* to_string(ProbeError e) {
  switch (e) {
    case ProbeError::None: return "ok";
    case ProbeError::NoResponse: return "no response from the STUN server";
    case ProbeError::ErrorResponse: return "the STUN server answered with an error";
    case ProbeError::NoMappedAddress: return "the STUN server's answer has no mapped address";
    case ProbeError::NoOtherAddress:
      return "server does not support RFC 5780 (no OTHER-ADDRESS in its answer)";
    case ProbeError::BadOtherAddress:
      return "server's OTHER-ADDRESS is unusable for RFC 5780 (same IP or port, or other family)";
  }
  return "?";
}

NatProbe::NatProbe(Instant now, NatProbeConfig config) : cfg_(std::move(config)) {
  out_.reserve(128);
  begin(now, Step::MappingI);
}

NatProbe::Test NatProbe::test_for(Step step) const {
  const SocketAddress& other = result_.other_address.value_or(cfg_.server);
  switch (step) {
    case Step::MappingI: return {ProbeSocket::Mapping, cfg_.server};
    // §4.3: test II goes to the alternate IP with the primary port, test III
    // to the alternate IP and port.
    case Step::MappingII:
      return {ProbeSocket::Mapping, SocketAddress(other.ip(), cfg_.server.port())};
    case Step::MappingIII: return {ProbeSocket::Mapping, other};
    case Step::FilteringI: return {ProbeSocket::Filtering, cfg_.server};
    case Step::FilteringII: return {ProbeSocket::Filtering, cfg_.server, kChangeIp | kChangePort};
    case Step::FilteringIII: return {ProbeSocket::Filtering, cfg_.server, kChangePort};
    case Step::Hairpin:
      return {ProbeSocket::Hairpin, result_.mapped.value_or(cfg_.server)};
    case Step::Done: break;
  }
  return {};
}

void NatProbe::begin(Instant now, Step step) {
  if (step == Step::Hairpin && (!cfg_.hairpinning || !result_.mapped)) step = Step::Done;
  step_ = step;
  if (step == Step::Done) return finish();
  test_ = test_for(step);
  Bytes request;
  request.reserve(64);
  MessageBuilder b(request, Class::Request, method::Binding, random_transaction_id());
  if (test_.change) b.add_u32(attr::ChangeRequest, test_.change);
  if (!cfg_.software.empty()) b.add_string(attr::Software, cfg_.software);
  b.add_fingerprint();
  txn_.emplace(now, std::move(request), cfg_.transaction);
  test_deadline_ = now + cfg_.test_timeout;
}

std::optional<ProbeTransmit> NatProbe::poll_output() {
  if (done() || !txn_) return std::nullopt;
  ByteView data = txn_->poll_transmit();
  if (data.empty()) return std::nullopt;
  out_.assign(data.begin(), data.end());
  return ProbeTransmit{test_.socket, test_.to, ByteView(out_)};
}

Instant NatProbe::next_timeout() const {
  if (done() || !txn_) return kNever;
  return std::min(txn_->next_timeout(), test_deadline_);
}

void NatProbe::handle_timeout(Instant now) {
  if (done() || !txn_) return;
  txn_->handle_timeout(now);
  if (now >= test_deadline_ || txn_->done()) complete(now, nullptr, nullptr);
}

void NatProbe::handle_input(Instant now, ProbeSocket on, const SocketAddress& from,
                            ByteView data) {
  auto msg = done() ? std::nullopt : Message::parse(data);
  if (!msg || msg->raw().size() != data.size() || msg->method() != method::Binding ||
      msg->transaction_id() != txn_->id() ||
      msg->check_fingerprint() == IntegrityResult::Mismatch) {
    ++result_.ignored;
    return;
  }
  // §4.5: the hairpin test succeeds when our own request comes back to the
  // Mapping socket through the NAT.
  if (step_ == Step::Hairpin) {
    if (on != ProbeSocket::Mapping || msg->cls() != Class::Request) {
      ++result_.ignored;
      return;
    }
    return complete(now, &*msg, &from);
  }
  if (on != test_.socket || (msg->cls() != Class::Success && msg->cls() != Class::Error)) {
    ++result_.ignored;
    return;
  }
  txn_->handle_response(now);
  complete(now, &*msg, &from);
}

void NatProbe::complete(Instant now, const Message* r, const SocketAddress* from) {
  const bool ok = r && r->cls() == Class::Success;
  const auto mapped = ok ? r->mapped_address() : std::nullopt;
  switch (step_) {
    case Step::MappingI:
      return after_mapping_i(now, r);
    case Step::MappingII:
      result_.mapping_tests[1] = mapped;
      if (!mapped) return finish_mapping(now);
      if (*mapped == result_.mapping_tests[0]) {
        result_.mapping = MappingBehavior::EndpointIndependent;
        return finish_mapping(now);
      }
      return begin(now, Step::MappingIII);
    case Step::MappingIII:
      result_.mapping_tests[2] = mapped;
      if (mapped)
        result_.mapping = *mapped == result_.mapping_tests[1]
                              ? MappingBehavior::AddressDependent
                              : MappingBehavior::AddressAndPortDependent;
      return finish_mapping(now);
    case Step::FilteringI:
      result_.filtering_tests[0] = ok;
      // Without an answer from the primary address nothing can be said.
      return begin(now, ok ? Step::FilteringII : Step::Hairpin);
    case Step::FilteringII:
    case Step::FilteringIII: {
      const bool second = step_ == Step::FilteringII;
      // A server that ignored CHANGE-REQUEST answers from the primary
      // address; counting that as "received" would overstate openness.
      const bool honoured =
          ok && from &&
          (second ? from->ip() != cfg_.server.ip() : from->port() != cfg_.server.port());
      if (ok && !honoured) return begin(now, Step::Hairpin);
      result_.filtering_tests[second ? 1 : 2] = ok;
      if (second && !ok) return begin(now, Step::FilteringIII);
      if (second) result_.filtering = FilteringBehavior::EndpointIndependent;
      else
        result_.filtering = ok ? FilteringBehavior::AddressDependent
                               : FilteringBehavior::AddressAndPortDependent;
      return begin(now, Step::Hairpin);
    }
    case Step::Hairpin:
      result_.hairpinning = r ? Hairpinning::Supported : Hairpinning::NotSupported;
      return finish();
    case Step::Done:
      return;
  }
}

void NatProbe::after_mapping_i(Instant now, const Message* r) {
  if (!r) return finish(ProbeError::NoResponse);
  if (r->cls() == Class::Error) {
    if (auto e = r->error_code()) result_.error_code = e->code;
    return finish(ProbeError::ErrorResponse);
  }
  const auto mapped = r->mapped_address();
  if (!mapped) return finish(ProbeError::NoMappedAddress);
  result_.mapped = mapped;
  result_.mapping_tests[0] = mapped;
  result_.response_origin = r->address(attr::ResponseOrigin);
  result_.other_address = r->address(attr::OtherAddress);
  const SocketAddress& local = cfg_.local[static_cast<std::size_t>(ProbeSocket::Mapping)];
  if (!local.ip().is_unspecified() && local.port() != 0) result_.behind_nat = *mapped != local;
  if (!result_.other_address) return finish(ProbeError::NoOtherAddress);
  const SocketAddress& other = *result_.other_address;
  if (other.family() != cfg_.server.family() || other.ip() == cfg_.server.ip() ||
      other.port() == cfg_.server.port())
    return finish(ProbeError::BadOtherAddress);
  begin(now, Step::MappingII);
}

void NatProbe::finish_mapping(Instant now) { begin(now, Step::FilteringI); }

void NatProbe::finish(ProbeError e) {
  if (e != ProbeError::None) result_.error = e;
  step_ = Step::Done;
  txn_.reset();
  test_deadline_ = kNever;
}

}  // namespace floe::stun
