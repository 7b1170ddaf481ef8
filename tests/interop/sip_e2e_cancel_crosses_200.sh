#!/usr/bin/env bash
# The browser hangs up while the trunk rings, and the trunk's 200 OK crosses
# Floe's CANCEL (RFC 3261 9.1): Chromium calls 5551234 through floe gateway
# and hangs up on `ringing`; sipp (uas_cancel_crosses_200.xml) answers the
# CANCEL 200 and then the INVITE 200 instead of 487. Checks: the browser's
# call ends at once and never becomes `answered`; Floe ACKs the late 2xx and
# sends BYE (sipp exits 0 only then); no bridge call left active.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
SIPP_PID=""
trap '[ -n "$SIPP_PID" ] && kill "$SIPP_PID" 2>/dev/null; sip_e2e_cleanup' EXIT
start_gateway cross --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT" --rtp-ports 53000-53999
sipp -sf "$E2E_DIR/uas_cancel_crosses_200.xml" -i 127.0.0.1 -p "$SIPP_PORT" -mp $((SIPP_PORT + 2)) \
  -m 1 -nostdin -timeout 40s -timeout_error -trace_err -error_file "$TMP/sipp_errors.log" \
  -trace_msg -message_file "$TMP/sipp_messages.log" >"$TMP/sipp.out" 2>&1 &
SIPP_PID=$!
sleep 0.3
RC=0
(cd "$NODE_DIR" && PORT="$HTTP" TARGET=5551234 HANGUP_ON_RINGING=1 EXPECT=hangup node sip_e2e_outgoing.mjs) || RC=$?
S=0
for _ in $(seq 100); do kill -0 "$SIPP_PID" 2>/dev/null || break; sleep 0.1; done
kill "$SIPP_PID" 2>/dev/null || true
wait "$SIPP_PID" || S=$?
SIPP_PID=""
if [ "$S" -eq 0 ]; then
  echo "ok   sipp: CANCEL, then Floe ACKed the crossing 200 OK and sent BYE"
else
  echo "FAIL sipp exit $S"; tail -5 "$TMP/sipp_errors.log" 2>/dev/null; RC=1
fi
grep -E '^(INVITE|CANCEL|ACK|BYE) |^SIP/2.0 [0-9]|^CSeq' "$TMP/sipp_messages.log" 2>/dev/null | tr '\n' ' ' | sed 's/$/\n/' || true
sleep 0.3
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
echo "$METRICS" | grep -qx 'floe_bridge_calls_active 0' || { echo "FAIL: bridge calls left active"; RC=1; }
stop_gateway cross
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/cross.out"; echo "--- floe stderr"; tail -20 "$TMP/cross.err"
  echo "FAIL"; exit 1
fi
echo "PASS"
