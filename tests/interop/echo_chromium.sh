#!/usr/bin/env bash
# End to end: `floe gateway` on 127.0.0.1 (random HTTP and media ports),
# headless Chromium (Debian chromium via playwright-core) opens the page it
# serves and calls `echo`: audio and a data channel come back through Floe's
# ICE, DTLS-SRTP and SCTP (tests/browser/echo_chromium_test.mjs has the checks).
set -euo pipefail
SRC="${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}"
FLOE="${FLOE_BIN:?FLOE_BIN must name the floe executable}"
NODE_DIR="$SRC/tests/browser"
[ -x "$FLOE" ] || { echo "FAIL: $FLOE not built"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing (scripts/deps/test.txt)"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node is not installed"; exit 1; }
[ -d "$NODE_DIR/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

TMP="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

"$FLOE" gateway --http 127.0.0.1:0 --media-port 0 --media-address 127.0.0.1 \
  --web "$SRC/web" >"$TMP/out" 2>"$TMP/err" &
PID=$!
HTTP=""
for _ in $(seq 100); do
  HTTP="$(awk '/listening http/{print $5}' "$TMP/out")"
  [ -n "$HTTP" ] && break
  sleep 0.1
done
[ -n "$HTTP" ] || { echo "FAIL: floe gateway did not start"; cat "$TMP/out" "$TMP/err"; exit 1; }
cat "$TMP/out"

cd "$NODE_DIR"
RC=0
PORT="$HTTP" node echo_chromium_test.mjs || RC=$?
sleep 0.5
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(calls|echo|media)' || true
# Every call was hung up by the page and freed; none ended by failure.
echo "$METRICS" | grep -qx 'floe_calls_active 0' || { echo "FAIL: calls left active"; RC=1; }
echo "$METRICS" | grep -qx 'floe_calls_failed_total 0' || { echo "FAIL: a call failed"; RC=1; }
kill -TERM "$PID"
wait "$PID" || { echo "FAIL: floe gateway exited badly"; cat "$TMP/err"; exit 1; }
PID=""
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TMP/err"; then
  echo "FAIL: sanitizer report from floe"; exit 1
fi
[ "$RC" -eq 0 ] || { echo "FAIL: browser checks failed"; tail -40 "$TMP/err"; exit 1; }
echo "floe gateway shut down cleanly; PASS"
