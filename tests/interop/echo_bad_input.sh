#!/usr/bin/env bash
# Issue 4's bad-input matrix against the real `floe gateway` (not the
# signaling test server): invalid JSON, unknown type, missing fields, an
# oversized message, malformed SDP, SDP without audio or fingerprint,
# candidates/offers for unknown calls, a message flood, and a wrong
# fingerprint with a real DTLS peer (ended "failed"), while a healthy
# Chromium echo call keeps its audio (tests/browser/gateway_bad_input_test.mjs).
set -euo pipefail
source "$(dirname "$0")/gateway_common.bash"
NODE_DIR="$SRC/tests/browser"
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing (scripts/deps/test.txt)"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node is not installed"; exit 1; }
[ -d "$NODE_DIR/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

start_gateway bad

cd "$NODE_DIR"
RC=0
PORT="$HTTP" node gateway_bad_input_test.mjs || RC=$?
sleep 0.5
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(calls|media_unroutable|browser_drops)' || true
grep -qx 'floe_calls_active 0' <<<"$METRICS" || { echo "FAIL: calls left active"; RC=1; }
stop_gateway bad
[ "$RC" -eq 0 ] || { echo "FAIL: bad-input checks failed"; tail -40 "$TMP/bad.err"; exit 1; }
echo "floe gateway shut down cleanly; PASS"
