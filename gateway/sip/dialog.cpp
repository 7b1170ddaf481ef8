#include "gateway/sip/dialog.hpp"

#include <algorithm>

namespace floe::sip {

bool is_target_refresh(std::string_view method) {
  return method == "INVITE" || method == "UPDATE" || method == "SUBSCRIBE" ||
         method == "NOTIFY" || method == "REFER";
}

std::optional<Dialog> Dialog::from_uac(const Message& request, const Message& response) {
  if (response.status <= 100 || response.status >= 300) return std::nullopt;
  auto to = response.to();
  auto from = request.from();
  auto cseq = request.cseq();
  if (!to || !from || !cseq || to->tag().empty() || from->tag().empty()) return std::nullopt;
  Dialog d;
  d.uac_ = true;
  d.id_ = {std::string(request.call_id()), from->tag(), to->tag()};
  d.state_ = response.status < 200 ? State::Early : State::Confirmed;
  d.secure_ = request.request_uri.scheme == "sips";
  d.local_seq_ = cseq->number;
  d.local_ = *from;
  d.remote_ = *to;
  // §12.1.2: the route set is the Record-Route list in reverse order.
  auto rr = response.name_addrs("Record-Route");
  d.route_set_.assign(rr.rbegin(), rr.rend());
  auto contacts = response.name_addrs("Contact");
  d.remote_target_ = contacts.empty() ? request.request_uri : contacts.front().uri;
  auto local_contacts = request.name_addrs("Contact");
  if (!local_contacts.empty()) d.local_contact_ = local_contacts.front().to_string();
  return d;
}

std::optional<Dialog> Dialog::from_uas(const Message& request, const Message& response) {
  auto to = response.to();
  auto from = request.from();
  auto cseq = request.cseq();
  if (!to || !from || !cseq || to->tag().empty()) return std::nullopt;
  Dialog d;
  d.uac_ = false;
  d.id_ = {std::string(request.call_id()), to->tag(), from->tag()};
  d.state_ = response.status < 200 ? State::Early : State::Confirmed;
  d.secure_ = request.request_uri.scheme == "sips";
  d.remote_seq_ = cseq->number;
  d.local_seq_ = 0;  // §12.1.1: the UAS's first request starts its own numbering
  d.local_ = *to;
  d.remote_ = *from;
  // §12.1.1: Record-Route in the order received.
  d.route_set_ = request.name_addrs("Record-Route");
  auto contacts = request.name_addrs("Contact");
  if (!contacts.empty()) d.remote_target_ = contacts.front().uri;
  else d.remote_target_ = from->uri;
  auto local_contacts = response.name_addrs("Contact");
  if (!local_contacts.empty()) d.local_contact_ = local_contacts.front().to_string();
  return d;
}

Message Dialog::make_request(std::string_view method) {
  if (method != "ACK" && method != "CANCEL") {
    // A UAS that has not sent yet picks a start value; any will do (§8.1.1.5).
    local_seq_ = local_seq_ == 0 ? 1 : local_seq_ + 1;
  }
  Message m = Message::request(std::string(method), remote_target_);
  std::vector<NameAddr> routes = route_set_;
  if (!routes.empty() && !routes.front().uri.has_lr()) {
    // §12.2.1.1 strict routing: the first route becomes the Request-URI and
    // the remote target goes last in Route.
    m.request_uri = routes.front().uri;
    m.request_uri.headers.clear();
    routes.erase(routes.begin());
    NameAddr target;
    target.uri = remote_target_;
    routes.push_back(target);
  }
  for (const auto& r : routes) m.add("Route", r.to_string());
  m.add("Max-Forwards", "70");
  m.add("From", local_.to_string());
  m.add("To", remote_.to_string());
  m.add("Call-ID", id_.call_id);
  m.add("CSeq", std::to_string(local_seq_) + " " + std::string(method));
  if (!local_contact_.empty() && (is_target_refresh(method) || method == "ACK"))
    m.add("Contact", local_contact_);
  return m;
}

Message Dialog::make_ack(std::uint32_t invite_cseq) const {
  Dialog copy = *this;
  Message ack = copy.make_request("ACK");
  ack.set("CSeq", std::to_string(invite_cseq) + " ACK");
  return ack;
}

Uri Dialog::next_hop() const {
  if (!route_set_.empty()) return route_set_.front().uri;
  return remote_target_;
}

void Dialog::refresh_target(const Message& m) {
  auto contacts = m.name_addrs("Contact");
  if (!contacts.empty() && !contacts.front().wildcard) remote_target_ = contacts.front().uri;
}

bool Dialog::accept_request(const Message& request) {
  auto cseq = request.cseq();
  if (!cseq) return false;
  if (request.method != "ACK" && request.method != "CANCEL") {
    if (remote_seq_ && cseq->number < *remote_seq_) return false;
    if (remote_seq_ && cseq->number == *remote_seq_ && request.method != "ACK") {
      // Same number, new branch: a different request reusing the CSeq is
      // out of order too (§12.2.2 requires strictly greater).
      return false;
    }
    remote_seq_ = cseq->number;
  }
  if (is_target_refresh(request.method)) refresh_target(request);
  if (request.method == "BYE") state_ = State::Terminated;
  return true;
}

void Dialog::handle_response(const Message& request, const Message& response) {
  if (response.status >= 200 && response.status < 300) {
    if (request.method == "INVITE" && state_ == State::Early && uac_) {
      // §13.2.2.4: the 2xx confirms the early dialog and its Record-Route
      // recomputes the route set.
      auto rr = response.name_addrs("Record-Route");
      route_set_.assign(rr.rbegin(), rr.rend());
    }
    if (request.method == "INVITE") confirm();
    if (is_target_refresh(request.method)) refresh_target(response);
  } else if (response.status > 100 && response.status < 200 && state_ == State::Early) {
    refresh_target(response);
  }
  // §12.2.1.2: 481 or 408 to an in-dialog request ends the dialog.
  if (state_ == State::Confirmed && (response.status == 481 || response.status == 408))
    state_ = State::Terminated;
}

}  // namespace floe::sip
