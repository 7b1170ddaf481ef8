# Sourced by the STUN and nat-probe interop scripts (not a test itself: not *.sh).
# Provides: FLOE_BIN, $tmp, pids+cleanup trap, fail, pick_port, start_floe, json_field.
set -euo pipefail
FLOE_BIN="${FLOE_BIN:-${FLOE_BUILD:-build}/gateway/floe}"
[ -x "$FLOE_BIN" ] || { echo "FAIL: floe binary not found at $FLOE_BIN"; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done; exit 1; }

# A port P with P and P+1 free on UDP and TCP.
pick_port() {
  local p used
  used=$(ss -Hlnut | awk '{print $5}')
  for _ in $(seq 100); do
    p=$(( (RANDOM % 25000) + 30000 ))
    echo "$used" | grep -qE ":($p|$((p + 1)))\$" || { echo "$p"; return 0; }
  done
  return 1
}

# start_floe NAME ARGS...: starts floe stun-server, waits for its listeners.
start_floe() {
  local name=$1; shift
  "$FLOE_BIN" stun-server "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    grep -q "listening on" "$tmp/$name.log" && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || fail "floe stun-server $* exited"
    sleep 0.1
  done
  fail "floe stun-server $* did not start"
}

# json_field JSON KEY: the string value of a top-level key.
json_field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }
