#!/usr/bin/env bash
# Chromium -> Floe echo vs Chromium -> Chromium: call -> ICE connected and
# call -> DTLS connected, medians and ratios (bench/echo_vs_p2p.mjs).
# Usage: bench/echo_vs_p2p.sh [RUNS] [FLOE_BIN]   (default: 7 runs, build/rel/gateway/floe)
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${1:-7}"
FLOE="${2:-${FLOE_BIN:-$SRC/build/rel/gateway/floe}}"
[ -x "$FLOE" ] || { echo "floe binary not found: $FLOE (build it, or pass its path)"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "/usr/bin/chromium missing"; exit 1; }
[ -d "$SRC/tests/browser/node_modules/playwright-core" ] || { echo "run scripts/deps/npm.sh first"; exit 1; }
TMP="$(mktemp -d)"
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
"$FLOE" gateway --http 127.0.0.1:0 --media-port 0 --media-address 127.0.0.1 --web "$SRC/web" \
  >"$TMP/out" 2>"$TMP/err" &
PID=$!
HTTP=""
for _ in $(seq 100); do
  HTTP="$(awk '/listening http/{print $5}' "$TMP/out")"
  [ -n "$HTTP" ] && break
  sleep 0.1
done
[ -n "$HTTP" ] || { echo "floe gateway did not start"; cat "$TMP/out" "$TMP/err"; exit 1; }
echo "floe: $FLOE, $RUNS runs of each"
node "$SRC/bench/echo_vs_p2p.mjs" "$HTTP" "$RUNS"
