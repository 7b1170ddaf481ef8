#!/usr/bin/env bash
# The browser ends a call the trunk placed: sipp UAC -> floe gateway ->
# Chromium registered as `kate` (DID 4930555999). The INVITE comes with two
# Record-Route entries and a distinct Contact; sipp plays g711a.pcap; the
# browser hangs up 4 s after answering. Checks: audio reached the browser,
# its hang-up ends its call, and Floe's BYE reaches sipp addressed to the
# trunk's Contact with the Route set in Record-Route order (RFC 3261 12.1.1,
# 12.2.1.1; uac_callee_hangs_up.xml), which sipp answers 200.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
start_gateway calleebye --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,codecs=PCMA+PCMU+telephone-event" \
  --route 4930555999=kate --rtp-ports 51000-51999
FLOE_SIP="$(floe_sip calleebye)"
[ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
RC=0
(cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" USER_NAME=kate DID=4930555999 \
  CASES=calleebye SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?
grep -A8 '^BYE ' "$TMP/sipp_calleebye_messages.log" 2>/dev/null | grep -E '^(BYE|Route|CSeq)' || true
sleep 0.3
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
echo "$METRICS" | grep -qx 'floe_bridge_calls_active 0' || { echo "FAIL: bridge calls left active"; RC=1; }
stop_gateway calleebye
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/calleebye.out"; echo "--- floe stderr"; tail -20 "$TMP/calleebye.err"
  for f in "$TMP"/sipp_*messages.log; do [ -f "$f" ] && { echo "--- $f"; tail -60 "$f"; }; done
  echo "FAIL"; exit 1
fi
echo "PASS"
