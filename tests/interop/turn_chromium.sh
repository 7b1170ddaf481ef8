#!/usr/bin/env bash
# Chromium's TURN client (libwebrtc) against `floe turn-server`: two
# RTCPeerConnections in headless Chromium with iceTransportPolicy 'relay'
# exchange data-channel messages through Floe's relay. TURN over UDP and over
# TCP, static and REST (use-auth-secret style) credentials. Asserts the
# selected pair is relay/relay and that floe bound channels for it.
set -euo pipefail

FLOE_SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
FLOE_BIN=${FLOE_BIN:-${FLOE_BUILD:-build}/gateway/floe}
for prog in "$FLOE_BIN" node chromium python3; do
  command -v "$prog" >/dev/null 2>&1 || [[ -x "$prog" ]] || { echo "FAIL: $prog not found"; exit 1; }
done
[[ -d "$FLOE_SRC/tests/browser/node_modules/playwright-core" ]] || {
  echo "FAIL: playwright-core missing (run scripts/deps/npm.sh)"; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 - <<'PY'
import socket, random
for _ in range(200):
    p = random.randint(20000, 39000)
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", p))
        u.close(); t.close(); print(p); break
    except OSError:
        pass
PY
)
SECRET="chrome-$RANDOM"
"$FLOE_BIN" turn-server --listen "127.0.0.1:$PORT" --tcp --realm floe --user alice:secret \
  --auth-secret "$SECRET" --allow-loopback-peers --metrics >"$WORK/floe.log" 2>&1 &
FLOE_PID=$!
PIDS+=($FLOE_PID)
for _ in $(seq 50); do
  grep -q "listening on tcp" "$WORK/floe.log" 2>/dev/null && break
  sleep 0.1
done

REST_USER="$(( $(date +%s) + 3600 )):browser"
REST_PASS=$(python3 -c 'import hmac,hashlib,base64,sys; print(base64.b64encode(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha1).digest()).decode())' "$SECRET" "$REST_USER")

FAILS=0
run() {  # name url user password
  local name=$1
  if FLOE_SRC="$FLOE_SRC" timeout 90 node "$FLOE_SRC/tests/interop/turn_chromium.mjs" "$2" "$3" "$4" \
      >"$WORK/$name.log" 2>&1; then
    echo "ok   [$name]: $(tail -1 "$WORK/$name.log" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print("local", r["local"], "remote", r["remote"])')"
  else
    echo "FAIL [$name]:"; sed 's/^/    /' "$WORK/$name.log"; FAILS=$((FAILS + 1))
  fi
}
run udp-static "turn:127.0.0.1:$PORT?transport=udp" alice secret
run tcp-static "turn:127.0.0.1:$PORT?transport=tcp" alice secret
run udp-rest "turn:127.0.0.1:$PORT?transport=udp" "$REST_USER" "$REST_PASS"

kill -TERM "$FLOE_PID"; wait "$FLOE_PID" 2>/dev/null || true
CHANNELS=$(grep -o 'floe_turn_channels_bound_total [0-9]*' "$WORK/floe.log" | awk '{print $2}')
if [[ "${CHANNELS:-0}" -lt 3 ]]; then
  echo "FAIL [channels]: floe_turn_channels_bound_total=${CHANNELS:-?}"; FAILS=$((FAILS + 1))
else
  echo "ok   [channels]: floe_turn_channels_bound_total=$CHANNELS"
fi
grep "allocations created" "$WORK/floe.log" || true

if [[ $FAILS -ne 0 ]]; then
  echo "turn_chromium: $FAILS check(s) failed"; exit 1
fi
echo "turn_chromium: all checks passed"
