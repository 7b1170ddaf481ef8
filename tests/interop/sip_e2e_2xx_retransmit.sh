#!/usr/bin/env bash
# A retransmitted 200 OK from the trunk (its first ACK "lost"): Chromium calls
# 5551234 through floe gateway; sipp UAS (uas_2xx_retransmit.xml) sends the
# 200 three times. Checks: Floe ACKs each copy (RFC 3261 13.2.2.4) along the
# record-routed dialog, the browser sees one `answered` and hears its audio
# back through sipp's -rtp_echo, and its hang-up reaches sipp as a BYE to the
# trunk's Contact with Route rr=edge; no bridge call left active.
# sipp runs with -nr: otherwise it takes Floe's second (identical, as RFC 3261
# wants) ACK for a retransmission and answers it with its last message, the
# 200, forever.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
SIPP_PID=""
trap '[ -n "$SIPP_PID" ] && kill "$SIPP_PID" 2>/dev/null; sip_e2e_cleanup' EXIT
start_gateway rtx --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT" --rtp-ports 52000-52999
sipp -sf "$E2E_DIR/uas_2xx_retransmit.xml" -i 127.0.0.1 -p "$SIPP_PORT" -mp $((SIPP_PORT + 2)) -rtp_echo -nr \
  -m 1 -nostdin -timeout 40s -timeout_error -trace_err -error_file "$TMP/sipp_errors.log" \
  -trace_msg -message_file "$TMP/sipp_messages.log" >"$TMP/sipp.out" 2>&1 &
SIPP_PID=$!
sleep 0.3
RC=0
(cd "$NODE_DIR" && PORT="$HTTP" TARGET=5551234 node sip_e2e_outgoing.mjs) || RC=$?
S=0
for _ in $(seq 100); do kill -0 "$SIPP_PID" 2>/dev/null || break; sleep 0.1; done
kill "$SIPP_PID" 2>/dev/null || true
wait "$SIPP_PID" || S=$?
SIPP_PID=""
ACKS=$(grep -c '^ACK ' "$TMP/sipp_messages.log" 2>/dev/null || true)
if [ "$S" -eq 0 ] && [ "$ACKS" -eq 3 ]; then
  echo "ok   sipp: each of the three 200 OKs got its ACK ($ACKS) with Route rr=edge; the BYE followed the dialog"
else
  echo "FAIL sipp exit $S, ACKs seen $ACKS (want 3)"; tail -5 "$TMP/sipp_errors.log" 2>/dev/null; RC=1
fi
sleep 0.3
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
echo "$METRICS" | grep -qx 'floe_bridge_calls_active 0' || { echo "FAIL: bridge calls left active"; RC=1; }
stop_gateway rtx
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/rtx.out"; echo "--- floe stderr"; tail -20 "$TMP/rtx.err"
  echo "--- sipp"; grep -E '^(INVITE|ACK|BYE|SIP/2.0|Route)' "$TMP/sipp_messages.log" 2>/dev/null | head -40
  echo "FAIL"; exit 1
fi
echo "PASS"
