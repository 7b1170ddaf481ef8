#!/usr/bin/env bash
# End to end, a trunk calls a browser: sipp UAC -> Floe -> headless Chromium
# registered as `alice` (auto-answer). sipp plays g711a.pcap as RTP: the
# browser's inbound-rtp grows, the browser's audio reaches sipp's port, BYE
# from sipp ends the browser call. Also: INVITE without SDP (offer in the
# 200, answer in the ACK), reject -> 486, CANCEL before the answer, an offer
# with no codec in common -> 488 without ringing the browser.
set -euo pipefail
source "$(dirname "$0")/bridge_common.bash"
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing"; exit 1; }
[ -d "$NODE_DIR/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

SIPP_PORT=$(free_port_block)
# The trunk's codecs in preference order: PCMA first, so an INVITE without
# SDP gets a PCMA offer (g711a.pcap is PCMA).
start_bridge in --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,codecs=PCMA+PCMU+telephone-event" \
  --rtp-ports 41000-41999
RC=0
PORT="$HTTP" MODE=in SIPP_PORT="$SIPP_PORT" FLOE_SIP="$SIP" SCEN="$SCEN" NODE_DIR="$NODE_DIR" WORK="$TMP" \
  node "$SRC/gateway/bridge/tests/bridge_chromium.mjs" || RC=$?
sleep 0.5
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
echo "$METRICS" | grep -qx 'floe_bridge_calls_active 0' || { echo "FAIL: bridge calls left active"; RC=1; }
stop_bridge in
grep -E "bridge call" "$TMP/in.out" | tail -10 || true
[ "$RC" -eq 0 ] || { echo "FAIL: checks failed"; tail -30 "$TMP/in.err"; exit 1; }
echo "PASS"
