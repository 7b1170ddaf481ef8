#!/usr/bin/env bash
# The browser disappears in the middle of a trunk's call: sipp UAC -> floe
# gateway -> Chromium registered as `liam`, answered, audio flowing; then the
# page is closed without a hangup (tab closed). Checks: Floe still ends the
# SIP leg with a BYE along the dialog (Contact, Route; sipp's
# uac_callee_hangs_up.xml waits up to 50 s), prints how long that took, and
# no bridge call is left active.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
start_gateway gone --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,codecs=PCMA+PCMU+telephone-event" \
  --route 4930556000=liam --rtp-ports 54000-54999
FLOE_SIP="$(floe_sip gone)"
[ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
RC=0
(cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" USER_NAME=liam DID=4930556000 \
  CASES=closepage SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?
sleep 0.3
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
echo "$METRICS" | grep -qx 'floe_bridge_calls_active 0' || { echo "FAIL: bridge calls left active"; RC=1; }
stop_gateway gone
grep -E "bridge call" "$TMP/gone.out" | tail -3 || true
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/gone.out"; echo "--- floe stderr"; tail -20 "$TMP/gone.err"
  for f in "$TMP"/sipp_*messages.log; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done
  echo "FAIL"; exit 1
fi
echo "PASS"
