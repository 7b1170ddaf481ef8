#!/usr/bin/env bash
# ICE restart on the browser leg, end to end: headless Chromium calls `echo`
# on `floe gateway`, restarts ICE mid-call (a new offer with new
# ice-ufrag/pwd sent as `offer`, docs/protocol.md), and the echo must go on:
# Floe answers with new credentials, a pair of the new generation is
# selected, audio keeps flowing, the data channel still echoes; Floe's
# `stats` events arrive meanwhile (tests/browser/echo_ice_restart_test.mjs).
set -euo pipefail
source "$(dirname "$0")/gateway_common.bash"
NODE_DIR="$SRC/tests/browser"
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing (scripts/deps/test.txt)"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node is not installed"; exit 1; }
[ -d "$NODE_DIR/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

start_gateway restart

cd "$NODE_DIR"
RC=0
PORT="$HTTP" node echo_ice_restart_test.mjs || RC=$?
sleep 0.5
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(calls_active|calls_failed|browser_ice_restarts|browser_drops)' || true
grep -qx 'floe_calls_active 0' <<<"$METRICS" || { echo "FAIL: calls left active"; RC=1; }
grep -qx 'floe_calls_failed_total 0' <<<"$METRICS" || { echo "FAIL: a call failed"; RC=1; }
stop_gateway restart
[ "$RC" -eq 0 ] || { echo "FAIL: browser checks failed"; tail -40 "$TMP/restart.err"; exit 1; }
echo "floe gateway shut down cleanly; PASS"
