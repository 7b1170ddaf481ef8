#!/usr/bin/env bash
# An incoming call nobody answers: sipp UAC -> floe gateway (--ring-timeout 3)
# -> Chromium registered as `erin` that lets it ring. Checks: the browser gets
# `incoming`, sipp gets 480 about 3 s after its INVITE (and ACKs it), and the
# ringing browser call ends.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
start_gateway ring --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT" --route 4930555333=erin \
  --ring-timeout 3 --rtp-ports 46000-46999
FLOE_SIP="$(floe_sip ring)"
[ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
RC=0
(cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" USER_NAME=erin DID=4930555333 \
  CASES=ringtimeout RING_TIMEOUT=3 SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
stop_gateway ring
grep -E "bridge call" "$TMP/ring.out" | tail -3 || true
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/ring.out"; echo "--- floe stderr"; tail -20 "$TMP/ring.err"
  for f in "$TMP"/sipp_*messages.log; do [ -f "$f" ] && { echo "--- $f"; tail -60 "$f"; }; done
  echo "FAIL"; exit 1
fi
echo "PASS"
