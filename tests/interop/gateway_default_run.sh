#!/usr/bin/env bash
# `floe` with no arguments (what scripts/run starts) runs the gateway on its
# defaults: the page and /ws on 0.0.0.0:8080, the media port on UDP 10000 of
# every interface address, which also answers plain STUN Binding requests;
# SIGINT stops it cleanly. Runs in a network namespace of its own so the
# default ports are free whatever else the machine runs.
set -uo pipefail
FLOE="${FLOE_BIN:?FLOE_BIN must name the floe executable}"
fail() { echo "FAIL: $*"; exit 1; }
for tool in ip curl python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done
[ "$(id -u)" -eq 0 ] || fail "needs root for ip netns"
NS="floe-gw-$$"
TMP="$(mktemp -d)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
in_ns() { ip netns exec "$NS" "$@"; }

# Not through in_ns: a shell function in the background is a subshell,
# and $! would name it instead of floe.
ip netns exec "$NS" "$FLOE" >"$TMP/out" 2>"$TMP/err" &
PID=$!
for _ in $(seq 100); do grep -q "listening http" "$TMP/out" && break; sleep 0.1; done
cat "$TMP/out"
grep -q "no subcommand given; starting the gateway" "$TMP/out" || fail "no startup line"
grep -q "listening http 8080 media 10000" "$TMP/out" || fail "not on the default ports"

page=$(in_ns curl -fsS http://127.0.0.1:8080/) || fail "GET / failed"
echo "$page" | grep -q "<title>Floe softphone</title>" || fail "GET / is not the softphone page"
echo "ok: GET http://127.0.0.1:8080/ serves the softphone page"
in_ns curl -fsS http://127.0.0.1:8080/floe.js | grep -q "export class FloeClient" || fail "no floe.js"
echo "ok: floe.js served"
[ "$(in_ns curl -fsS http://127.0.0.1:8080/healthz)" = "ok" ] || fail "/healthz"
echo "ok: /healthz"

in_ns python3 - <<'PY' || fail "STUN Binding on the media port"
import os, socket, struct
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2)
    tid = os.urandom(12)
    s.sendto(struct.pack("!HHI", 1, 0, 0x2112A442) + tid, (host, 10000))
    data, _ = s.recvfrom(2048)
    assert data[:2] == b"\x01\x01" and data[8:20] == tid, "bad response"
    assert b"\x00\x20" in data[20:], "no XOR-MAPPED-ADDRESS"
    print(f"ok: plain STUN Binding to {host}:10000 (the media port) answered")
PY

kill -INT "$PID"
wait "$PID" || fail "floe did not exit cleanly on SIGINT"
PID=""
grep -q "shutting down" "$TMP/out" || fail "no shutdown line"
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TMP/err"; then fail "sanitizer report"; fi
echo "ok: floe stopped on SIGINT: $(tail -1 "$TMP/out")"
echo "PASS"
