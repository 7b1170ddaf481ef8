#pragma once
// A dialog (RFC 3261 §12): the peer-to-peer state created by a 101-299
// response with a To tag. It numbers local requests, checks the order of
// remote ones, remembers the route set and remote target, and builds
// in-dialog requests and the ACK for a 2xx (§13.2.2.4), which the dialog, not
// the INVITE transaction, owns.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/sip/headers.hpp"
#include "gateway/sip/message.hpp"

namespace floe::sip {

struct DialogId {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  auto operator<=>(const DialogId&) const = default;
};

class Dialog {
 public:
  enum class State : std::uint8_t { Early, Confirmed, Terminated };

  // §12.1.2: the UAC side, from the request it sent and a 101-299 response
  // carrying a To tag. nullopt when the response cannot create a dialog.
  static std::optional<Dialog> from_uac(const Message& request, const Message& response);
  // §12.1.1: the UAS side, from the received request and the response (with
  // the UAS's To tag and Contact) it sends.
  static std::optional<Dialog> from_uas(const Message& request, const Message& response);

  const DialogId& id() const { return id_; }
  State state() const { return state_; }
  bool is_uac() const { return uac_; }
  bool secure() const { return secure_; }
  std::uint32_t local_seq() const { return local_seq_; }
  std::optional<std::uint32_t> remote_seq() const { return remote_seq_; }
  const NameAddr& local_uri() const { return local_; }
  const NameAddr& remote_uri() const { return remote_; }
  const Uri& remote_target() const { return remote_target_; }
  const std::vector<NameAddr>& route_set() const { return route_set_; }
  const std::string& local_contact() const { return local_contact_; }
  void set_local_contact(std::string contact) { local_contact_ = std::move(contact); }

  // §12.2.1.1: an in-dialog request with Request-URI, Route, From, To,
  // Call-ID, CSeq and Contact; the sender adds Via. CSeq increments.
  Message make_request(std::string_view method);
  // §13.2.2.4: the ACK for a 2xx carries the INVITE's CSeq number.
  Message make_ack(std::uint32_t invite_cseq) const;
  // The URI whose host/port is the next hop: the first route, else the target.
  Uri next_hop() const;
  // Advances the local sequence after a request was rebuilt (auth retry).
  void set_local_seq(std::uint32_t seq) { local_seq_ = seq; }

  // §12.2.2: a request from the peer. False (answer 500) when its CSeq is
  // lower than the last one; target-refresh requests update the target.
  bool accept_request(const Message& request);
  // A response in this dialog (UAC): 2xx confirms an early dialog and, for a
  // target refresh, updates the remote target.
  void handle_response(const Message& request, const Message& response);
  void confirm() { if (state_ == State::Early) state_ = State::Confirmed; }
  void terminate() { state_ = State::Terminated; }

 private:
  void refresh_target(const Message& m);

  DialogId id_;
  State state_ = State::Early;
  bool uac_ = true;
  bool secure_ = false;
  std::uint32_t local_seq_ = 0;
  std::optional<std::uint32_t> remote_seq_;
  NameAddr local_;
  NameAddr remote_;
  Uri remote_target_;
  std::vector<NameAddr> route_set_;
  std::string local_contact_;
};

// Target-refresh requests (§12.2, RFC 3311): their Contact replaces the target.
bool is_target_refresh(std::string_view method);

}  // namespace floe::sip
