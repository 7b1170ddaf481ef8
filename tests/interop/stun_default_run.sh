#!/usr/bin/env bash
# `floe stun-server` with no options serves its defaults, 0.0.0.0:3478 and
# [::]:3478 over UDP and TCP, and stops cleanly on SIGINT. Runs in a network
# namespace of its own so port 3478 is free whatever else the machine runs.
# (`floe` with no arguments now starts the gateway, not the STUN server.)
source "$(dirname "$0")/stun_common.bash"
for tool in ip turnutils_stunclient python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/deps/test.txt)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root for ip netns"; exit 1; }
NS="floe-def-$$"
trap 'ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$NS" 2>/dev/null; cleanup' EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
in_ns() { ip netns exec "$NS" "$@"; }

# Started directly (not through a shell function) so $! is floe itself:
# ip netns exec execs it. Background jobs of a script ignore SIGINT; floe
# installs its own handler, which is part of what this checks.
ip netns exec "$NS" "$FLOE_BIN" stun-server >"$tmp/floe.log" 2>&1 &
pid=$!
pids+=($pid)
for _ in $(seq 50); do grep -q "listening on tcp \[::\]:3478" "$tmp/floe.log" && break; sleep 0.1; done
cat "$tmp/floe.log"
for l in "udp 0.0.0.0:3478" "tcp 0.0.0.0:3478" "udp \[::\]:3478" "tcp \[::\]:3478"; do
  grep -q "listening on $l" "$tmp/floe.log" || fail "not listening on $l"
done

for host in 127.0.0.1 ::1; do
  out=$(timeout 20 ip netns exec "$NS" turnutils_stunclient "$host" 2>&1) || fail "stunclient $host: $out"
  echo "$out" | grep -q "reflexive addr" || fail "no reflexive address from $host"
  echo "ok: turnutils_stunclient $host:3478 -> $(echo "$out" | grep -m1 -o 'reflexive addr: .*')"
done
in_ns python3 - <<'PY' || fail "TCP binding on the defaults failed"
import os, socket, struct
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect((host, 3478))
    tid = os.urandom(12)
    s.sendall(struct.pack("!HHI", 1, 0, 0x2112A442) + tid)
    head = s.recv(20, socket.MSG_WAITALL)
    assert head[:2] == b"\x01\x01" and head[8:20] == tid, "bad TCP response"
    print(f"ok: Binding over TCP to {host}:3478 answered")
PY

kill -INT "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "floe still running 5 s after SIGINT"
wait "$pid" || fail "floe did not exit cleanly on SIGINT"
grep -q "SIGINT, shutting down" "$tmp/floe.log" || fail "no shutdown line"
echo "ok: floe stun-server (defaults) stopped on SIGINT: $(tail -1 "$tmp/floe.log")"
echo "PASS"
