#!/usr/bin/env bash
# Headless Chromium (Debian chromium, driven by playwright-core) loads web/
# from the signaling test server, places a call with a real RTCPeerConnection
# offer and checks that Chromium accepts the SDP answer Floe's SDP code built.
set -euo pipefail
SRC="${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}"
BUILD="${FLOE_BUILD:?FLOE_BUILD must name the build directory}"
SERVER="$BUILD/signaling/signaling_server_test_main"
NODE_DIR="$SRC/tests/browser"
[ -x "$SERVER" ] || { echo "FAIL: $SERVER not built"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing (scripts/deps/test.txt)"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node is not installed"; exit 1; }
[ -d "$NODE_DIR/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

TMP="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

"$SERVER" --bind 127.0.0.1 --port 0 --web "$SRC/web" >"$TMP/out" 2>"$TMP/err" &
PID=$!
PORT=""
for _ in $(seq 50); do
  PORT="$(awk '/^listening/{print $2}' "$TMP/out")"
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "FAIL: server did not start"; cat "$TMP/err"; exit 1; }
echo "signaling test server on 127.0.0.1:$PORT"

cd "$NODE_DIR"
PORT="$PORT" SHOT="$BUILD/signaling_softphone.png" node softphone_page_test.mjs
kill -TERM "$PID"; wait "$PID" || { echo "FAIL: server exited badly"; cat "$TMP/err"; exit 1; }
PID=""
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TMP/err"; then
  echo "FAIL: sanitizer report from the server"; exit 1
fi
echo "server shut down cleanly"
