#!/usr/bin/env bash
# Chromium relay-only -> `floe gateway`'s embedded TURN server -> `echo`:
# the gateway hands out its TURN URL and per-session REST credentials in
# `welcome`, Chromium (iceTransportPolicy 'relay') allocates with them over
# UDP and then over TCP, and the echoed audio comes back through the relay
# (tests/interop/gateway_turn_chromium.mjs has the checks). The TURN metrics
# must show the allocations and relayed packets, and the gateway must exit
# cleanly.
set -euo pipefail
source "$(dirname "$0")/gateway_common.bash"
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing (scripts/deps/test.txt)"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node is not installed"; exit 1; }
[ -d "$SRC/tests/browser/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }
TURN_PORT=$(python3 - <<'PY'
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
start_gateway turn --turn-listen "127.0.0.1:$TURN_PORT" --turn-secret "chromium-$RANDOM$RANDOM"
RC=0
PORT="$HTTP" FLOE_SRC="$SRC" timeout 120 node "$SRC/tests/interop/gateway_turn_chromium.mjs" || RC=$?
sleep 0.5
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_turn_(allocations_created|relayed_packets)|^floe_calls_(active|failed)' || true
ALLOCS=$(echo "$METRICS" | awk '/^floe_turn_allocations_created_total /{print $2}')
RELAYED=$(echo "$METRICS" | awk '/^floe_turn_relayed_packets_total\{direction="to_client"\}/{print $2}')
[[ "${ALLOCS:-0}" -ge 2 ]] || { echo "FAIL: floe_turn_allocations_created_total=${ALLOCS:-?}"; RC=1; }
[[ "${RELAYED:-0}" -ge 200 ]] || { echo "FAIL: relayed to clients ${RELAYED:-?} packets"; RC=1; }
echo "$METRICS" | grep -qx 'floe_calls_failed_total 0' || { echo "FAIL: a call failed"; RC=1; }
stop_gateway turn
[ "$RC" -eq 0 ] || { echo "FAIL: gateway TURN Chromium checks failed"; tail -40 "$TMP/turn.err"; exit 1; }
echo "gateway_turn_chromium: PASS"
