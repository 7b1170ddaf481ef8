#!/usr/bin/env bash
# The embedded default (issue 5): the gateway's built-in SIP test line on
# 127.0.0.1 is the trunk for `echo-sip`, `tone` and `busy`; Chromium calls
# them through the page and hears the echo and the 1 kHz tone (audio energy
# grows), and `busy` ends with sip-486. Real SIP and RTP on loopback.
set -euo pipefail
source "$(dirname "$0")/bridge_common.bash"
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing"; exit 1; }
[ -d "$NODE_DIR/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

start_bridge tl --test-line "127.0.0.1:$(free_udp_port)" --rtp-ports 42000-42999
RC=0
PORT="$HTTP" MODE=testline SCEN="$SCEN" NODE_DIR="$NODE_DIR" WORK="$TMP" \
  node "$SRC/gateway/bridge/tests/bridge_chromium.mjs" || RC=$?
sleep 0.5
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|testline)_' | grep -v ' 0$' || true
echo "$METRICS" | grep -qx 'floe_bridge_calls_active 0' || { echo "FAIL: bridge calls left active"; RC=1; }
stop_bridge tl
[ "$RC" -eq 0 ] || { echo "FAIL: checks failed"; tail -30 "$TMP/tl.err"; exit 1; }
echo "PASS"
