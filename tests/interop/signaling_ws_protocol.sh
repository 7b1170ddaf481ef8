#!/usr/bin/env bash
# A Node `ws` client talks Floe's JSON protocol to the real signaling server
# (signaling_server_test_main with the fake call handler): hello/welcome, bad
# JSON, oversized messages, malformed SDP, a fake echo call, resume within and
# after the window, rate limiting, HMAC tokens (hello and query), Origin checks.
set -euo pipefail
SRC="${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}"
BUILD="${FLOE_BUILD:?FLOE_BUILD must name the build directory}"
SERVER="$BUILD/signaling/signaling_server_test_main"
NODE_DIR="$SRC/tests/browser"
[ -x "$SERVER" ] || { echo "FAIL: $SERVER not built"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node is not installed (scripts/deps/test.txt)"; exit 1; }
[ -d "$NODE_DIR/node_modules/ws" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

TMP="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

start() {  # name args... ; sets PORT
  local name="$1"; shift
  "$SERVER" --bind 127.0.0.1 --port 0 --web "$SRC/web" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PIDS+=($!)
  for _ in $(seq 50); do
    PORT="$(awk '/^listening/{print $2}' "$TMP/$name.out")"
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  echo "FAIL: $name server did not start"; cat "$TMP/$name.err"; exit 1
}

start open --max-message 4096 --rate-burst 20 --rate 10 --resume-window 3
OPEN_PORT="$PORT"
SECRET="interop-$(date +%s%N)"
start auth --auth hmac --secret "$SECRET" --origin https://app.example
AUTH_PORT="$PORT"
echo "servers: open on $OPEN_PORT, token-protected on $AUTH_PORT"

cd "$NODE_DIR"
OPEN_PORT="$OPEN_PORT" AUTH_PORT="$AUTH_PORT" AUTH_SECRET="$SECRET" node ws_protocol_test.mjs

# Both servers must shut down cleanly on SIGTERM, with no sanitizer report
# (the test build uses ASan/UBSan; leaks are checked at exit).
for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p" || { echo "FAIL: server $p exited badly"; cat "$TMP"/*.err; exit 1; }; done
PIDS=()
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TMP"/*.err; then
  echo "FAIL: sanitizer report from a server"; exit 1
fi
echo "servers shut down cleanly"
