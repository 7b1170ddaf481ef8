#!/usr/bin/env bash
# Floe's TURN client (turn::Allocation, driven by bench/turn_client_probe)
# against coturn's `turnserver` on 127.0.0.1, with coturn's turnutils_peer as
# the UDP echo peer: allocate (401 challenge), CreatePermission, Send
# indications, ChannelBind, ChannelData, Refresh 0. Over UDP and TCP, with
# static long-term credentials and with REST API credentials
# (--use-auth-secret), which checks Floe's REST password derivation against
# coturn's. The same probe also runs against `floe turn-server`.
set -euo pipefail

FLOE_BUILD=${FLOE_BUILD:-build}
FLOE_BIN=${FLOE_BIN:-$FLOE_BUILD/gateway/floe}
PROBE=${TURN_PROBE:-$FLOE_BUILD/bench/turn_client_probe}
for prog in turnserver turnutils_peer python3; do
  command -v "$prog" >/dev/null 2>&1 || { echo "FAIL: $prog not found"; exit 1; }
done
for f in "$PROBE" "$FLOE_BIN"; do
  [[ -x "$f" ]] || { echo "FAIL: $f not built"; exit 1; }
done

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 - <<'PY'
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
}
wait_udp_listen() {  # port
  for _ in $(seq 50); do
    ss -Hlun "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  return 1
}

PEER_PORT=$(free_port)
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >"$WORK/peer.log" 2>&1 &
PIDS+=($!)

FAILS=0
probe() {  # name port probe-flags...
  local name=$1 port=$2; shift 2
  if "$PROBE" --server "127.0.0.1:$port" --peer "127.0.0.1:$PEER_PORT" --count 200 \
      --timeout 20 "$@" >"$WORK/$name.log" 2>&1; then
    echo "ok   [$name]: $(grep '^total:' "$WORK/$name.log")"
  else
    echo "FAIL [$name]:"; sed 's/^/    /' "$WORK/$name.log"; FAILS=$((FAILS + 1))
  fi
}

start_coturn() {  # port extra-args...
  local port=$1; shift
  local lo=$((40000 + RANDOM % 200 * 100))
  mkdir -p "$WORK/coturn-$port"
  turnserver -n --realm floe -L 127.0.0.1 -p "$port" --allow-loopback-peers --no-tls --no-dtls \
    --no-cli --min-port "$lo" --max-port $((lo + 99)) --log-file "$WORK/coturn-$port/turn.log" \
    --simple-log --pidfile "$WORK/coturn-$port/turn.pid" "$@" >"$WORK/coturn-$port/stdout" 2>&1 &
  PIDS+=($!)
  wait_udp_listen "$port" || { echo "FAIL: coturn did not start"; cat "$WORK/coturn-$port/stdout"; exit 1; }
}

# coturn with static users.
P1=$(free_port)
start_coturn "$P1" --lt-cred-mech --user alice:secret
probe coturn-udp-static "$P1" --user alice --password secret
probe coturn-tcp-static "$P1" --user alice --password secret --tcp
if "$PROBE" --server "127.0.0.1:$P1" --peer "127.0.0.1:$PEER_PORT" --user alice --password nope \
    --count 10 --timeout 10 >"$WORK/wrong.log" 2>&1; then
  echo "FAIL [coturn-wrong-password]: allocated"; FAILS=$((FAILS + 1))
elif grep -q "allocate-failed (error 401)" "$WORK/wrong.log"; then
  echo "ok   [coturn-wrong-password]: allocate-failed (error 401)"
else
  echo "FAIL [coturn-wrong-password]: unexpected"; cat "$WORK/wrong.log"; FAILS=$((FAILS + 1))
fi

# coturn with REST API credentials.
P2=$(free_port)
SECRET="s-$RANDOM-$RANDOM"
start_coturn "$P2" --use-auth-secret --static-auth-secret "$SECRET"
probe coturn-udp-rest "$P2" --user carol --rest-secret "$SECRET"
probe coturn-tcp-rest "$P2" --user carol --rest-secret "$SECRET" --tcp

# The same client against floe's own server.
P3=$(free_port)
"$FLOE_BIN" turn-server --listen "127.0.0.1:$P3" --tcp --realm floe --user alice:secret \
  --auth-secret "$SECRET" --allow-loopback-peers >"$WORK/floe.log" 2>&1 &
PIDS+=($!)
wait_udp_listen "$P3" || { echo "FAIL: floe turn-server did not start"; cat "$WORK/floe.log"; exit 1; }
probe floe-udp-static "$P3" --user alice --password secret
probe floe-tcp-rest "$P3" --user carol --rest-secret "$SECRET" --tcp

if [[ $FAILS -ne 0 ]]; then
  echo "turn_client_coturn: $FAILS check(s) failed"; exit 1
fi
echo "turn_client_coturn: all checks passed"
