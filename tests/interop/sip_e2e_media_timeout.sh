#!/usr/bin/env bash
# A trunk that goes silent: sipp UAC -> floe gateway (--media-timeout 3) ->
# Chromium registered as `gina`, answered, and sipp never sends RTP. Checks:
# Floe ends the call with a BYE to the trunk about 3 s in (sipp answers it,
# uac_silent.xml), and the browser call ends with a reason that names the
# media timeout rather than a plain hang-up.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
start_gateway silent --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,codecs=PCMA+PCMU+telephone-event" \
  --route 4930555555=gina --media-timeout 3 --rtp-ports 49000-49999
FLOE_SIP="$(floe_sip silent)"
[ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
RC=0
(cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" USER_NAME=gina DID=4930555555 \
  CASES=silent MEDIA_TIMEOUT=3 SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
stop_gateway silent
grep -E "bridge call" "$TMP/silent.out" | tail -3 || true
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/silent.out"; echo "--- floe stderr"; tail -20 "$TMP/silent.err"
  for f in "$TMP"/sipp_*messages.log; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done
  echo "FAIL"; exit 1
fi
echo "PASS"
