#!/usr/bin/env bash
# No codec in common between a SIP trunk and Floe, both directions, with
# `floe gateway` and sipp as the trunk:
#  - in: sipp UAC offers only G.729 to DID 4930555222 (routed to the
#    registered browser `dave`): Floe answers 488 and the browser never rings.
#  - out: Chromium calls 5551234; sipp answers 200 with G.729 only (a codec
#    Floe did not offer): Floe ACKs the 2xx and hangs up with BYE (sipp
#    checks both), and the browser sees `ended` reason failed with a message
#    about the codec, never `answered`.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
start_gateway codec --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT" --route 4930555222=dave --rtp-ports 45000-45999
FLOE_SIP="$(floe_sip codec)"
[ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
RC=0
(cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" USER_NAME=dave DID=4930555222 \
  CASES=nocodec SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?

sipp -sf "$E2E_DIR/uas_answer_g729.xml" -i 127.0.0.1 -p "$SIPP_PORT" -mp $((SIPP_PORT + 2)) -m 1 -nostdin \
  -timeout 40s -timeout_error -trace_err -error_file "$TMP/sipp_g729_errors.log" \
  -trace_msg -message_file "$TMP/sipp_g729_messages.log" >"$TMP/sipp_g729.out" 2>&1 &
SIPP_PID=$!
trap '[ -n "${SIPP_PID:-}" ] && kill "$SIPP_PID" 2>/dev/null; sip_e2e_cleanup' EXIT
sleep 0.3
(cd "$NODE_DIR" && PORT="$HTTP" TARGET=5551234 EXPECT=failed EXPECT_MESSAGE=codec node sip_e2e_outgoing.mjs) || RC=$?
SIPP_RC=0
for _ in $(seq 100); do kill -0 "$SIPP_PID" 2>/dev/null || break; sleep 0.1; done
kill "$SIPP_PID" 2>/dev/null || true
wait "$SIPP_PID" || SIPP_RC=$?
SIPP_PID=""
if [ "$SIPP_RC" -eq 0 ]; then
  echo "ok   [out] sipp: Floe ACKed the G.729-only 200 OK and sent BYE"
else
  echo "FAIL [out] sipp exit $SIPP_RC (expected ACK then BYE after its G.729-only 200)"; tail -5 "$TMP/sipp_g729_errors.log" 2>/dev/null; RC=1
fi

METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
stop_gateway codec
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/codec.out"; echo "--- floe stderr"; tail -20 "$TMP/codec.err"
  for f in "$TMP"/sipp_*messages.log; do [ -f "$f" ] && { echo "--- $f"; tail -60 "$f"; }; done
  echo "FAIL"; exit 1
fi
echo "PASS"
