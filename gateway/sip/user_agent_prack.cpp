// UserAgent: reliable provisional responses as UAC (RFC 3262).
#include "gateway/sip/session_timer.hpp"
#include "gateway/sip/user_agent.hpp"

namespace floe::sip {

bool UserAgent::on_reliable_provisional(Instant now, const DialogId& id, const Message& response) {
  auto it = dialogs_.find(id);
  auto rseq_text = trim(response.header("RSeq"));
  auto rseq = parse_decimal(rseq_text, 0xFFFFFFFFul);
  auto cseq = response.cseq();
  if (it == dialogs_.end() || !rseq || *rseq == 0 || !cseq) return true;  // §7.1: no valid RSeq
  DialogEntry& de = it->second;
  // §4: the first reliable provisional sets the sequence; a later one is
  // processed only if its RSeq is exactly one higher. Lower or equal is a
  // retransmission (our PRACK is on its way); higher means one was lost
  // and will be retransmitted in order.
  if (de.last_rseq && *rseq != *de.last_rseq + 1) {
    ++stats_.reliable_1xx_dropped;
    return false;
  }
  de.last_rseq = static_cast<std::uint32_t>(*rseq);
  // §7.2: PRACK in the early dialog, RAck = RSeq, CSeq number and method.
  Message prack = de.dialog.make_request("PRACK");
  prack.add("RAck", std::to_string(*rseq) + " " + cseq->to_string());
  RequestInfo info;
  info.dialog = id;
  info.internal = true;
  start_client(now, std::move(prack), std::move(info), next_id_++);
  ++stats_.pracks_sent;
  return true;
}

}  // namespace floe::sip
