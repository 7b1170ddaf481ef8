#!/usr/bin/env bash
# End to end: `floe gateway` on 127.0.0.1 (random HTTP and media ports),
# headless Chromium (Debian chromium via playwright-core) opens the page it
# serves and calls `echo`: audio and a data channel come back through Floe's
# ICE, DTLS-SRTP and SCTP (tests/browser/echo_chromium_test.mjs has the checks).
set -euo pipefail
source "$(dirname "$0")/gateway_common.bash"
NODE_DIR="$SRC/tests/browser"
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing (scripts/deps/test.txt)"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node is not installed"; exit 1; }
[ -d "$NODE_DIR/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

start_gateway echo

cd "$NODE_DIR"
RC=0
PORT="$HTTP" node echo_chromium_test.mjs || RC=$?
sleep 0.5
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(calls|echo|media)' || true
# Every call was hung up by the page and freed; none ended by failure.
grep -qx 'floe_calls_active 0' <<<"$METRICS" || { echo "FAIL: calls left active"; RC=1; }
grep -qx 'floe_calls_failed_total 0' <<<"$METRICS" || { echo "FAIL: a call failed"; RC=1; }
stop_gateway echo
[ "$RC" -eq 0 ] || { echo "FAIL: browser checks failed"; tail -40 "$TMP/echo.err"; exit 1; }
echo "floe gateway shut down cleanly; PASS"
