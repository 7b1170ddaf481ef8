#!/usr/bin/env bash
# End to end, browser calls out: headless Chromium -> Floe (WebRTC leg) ->
# SIP trunk = sipp UAS on loopback. Steps (gateway/bridge/tests/bridge_chromium.mjs):
# RTP echo through sipp (-rtp_echo) heard back in the browser, BYE from the
# trunk, 486, CANCEL while ringing, 183 early media, digest challenge on the
# INVITE, DTMF 1# at an RTP sink (and as SIP INFO to a dtmf=info trunk), data channel <-> MESSAGE, media timeout,
# re-INVITE hold/resume from the trunk. sipp's exit status and the browser's
# events are both checked.
set -euo pipefail
source "$(dirname "$0")/bridge_common.bash"
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing"; exit 1; }
[ -d "$NODE_DIR/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

SIPP_PORT=$(free_port_block)
SIPP_INFO_PORT=$(free_port_block)
start_bridge out --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,user=floe,password=s3cret" \
  --trunk "name=sipp-info,proxy=127.0.0.1:$SIPP_INFO_PORT,dtmf=info" --default-trunk sipp \
  --rtp-ports 40000-40999 --media-timeout 4
RC=0
PORT="$HTTP" MODE=out SIPP_PORT="$SIPP_PORT" SIPP_INFO_PORT="$SIPP_INFO_PORT" SCEN="$SCEN" NODE_DIR="$NODE_DIR" WORK="$TMP" \
  node "$SRC/gateway/bridge/tests/bridge_chromium.mjs" || RC=$?
sleep 0.5
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
echo "$METRICS" | grep -qx 'floe_bridge_calls_active 0' || { echo "FAIL: bridge calls left active"; RC=1; }
stop_bridge out
grep -E "bridge call" "$TMP/out.out" | tail -10 || true
[ "$RC" -eq 0 ] || { echo "FAIL: checks failed"; tail -30 "$TMP/out.err"; exit 1; }
echo "PASS"
