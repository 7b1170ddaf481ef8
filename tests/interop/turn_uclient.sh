#!/usr/bin/env bash
# coturn's turnutils_uclient against `floe turn-server` on 127.0.0.1, with
# coturn's turnutils_peer as the UDP echo peer. Covers UDP and TCP client
# transports, ChannelData (uclient's default) and Send/Data indications (-s),
# DONT-FRAGMENT (-g), channel padding over UDP (-D), static and REST (-W)
# credentials, and checks ~0 loss from uclient's own report. IPv6: an IPv6
# relay for an IPv4 client (-x), an IPv6 client over UDP and TCP, and a
# dual-stack allocation (-Z, ADDITIONAL-ADDRESS-FAMILY). Negative checks: a
# wrong password, a wrong REST secret, and a loopback peer without
# --allow-loopback-peers must fail, and the refusals must be counted.
set -euo pipefail

FLOE_BIN=${FLOE_BIN:-${FLOE_BUILD:-build}/gateway/floe}
for prog in "$FLOE_BIN" turnutils_uclient turnutils_peer python3; do
  command -v "$prog" >/dev/null 2>&1 || [[ -x "$prog" ]] || { echo "FAIL: $prog not found"; exit 1; }
done

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {  # a port free for both UDP and TCP on 127.0.0.1
  python3 - <<'PY'
import socket, random
for _ in range(200):
    p = random.randint(20000, 39000)
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", p))
        u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u2.bind(("127.0.0.1", p + 1))
        u.close(); t.close(); u2.close(); print(p); break
    except OSError:
        pass
PY
}

TURN_PORT=$(free_port)
PEER_PORT=$(free_port)
RELAY_LO=$((40000 + RANDOM % 200 * 100))
RELAY_HI=$((RELAY_LO + 99))
SECRET="rest-$RANDOM-secret"
N=200

start_floe() {  # extra flags...
  "$FLOE_BIN" turn-server --listen "127.0.0.1:$TURN_PORT" --listen "[::1]:$TURN_PORT" --tcp --realm floe \
    --user alice:secret --auth-secret "$SECRET" --relay-ports "$RELAY_LO-$RELAY_HI" \
    --metrics "$@" >"$WORK/floe.log" 2>&1 &
  FLOE_PID=$!
  PIDS+=("$FLOE_PID")
  for _ in $(seq 50); do
    grep -q "listening on tcp" "$WORK/floe.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: floe turn-server did not start"; cat "$WORK/floe.log"; exit 1
}
stop_floe() {
  kill -TERM "$FLOE_PID"; wait "$FLOE_PID" 2>/dev/null || true
}

turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >"$WORK/peer.log" 2>&1 &
PIDS+=($!)
turnutils_peer -L ::1 -p "$PEER_PORT" >"$WORK/peer6.log" 2>&1 &
PIDS+=($!)

FAILS=0
# run_case NAME uclient-flags...: asserts all N messages came back.
# PEER_IP / SERVER_IP select the echo peer and the server address.
run_case() {
  local name=$1; shift
  local out="$WORK/uclient-$name.log"
  if ! timeout 60 turnutils_uclient "$@" -e "${PEER_IP:-127.0.0.1}" -r "$PEER_PORT" -p "$TURN_PORT" \
      -n "$N" -l 160 -z 5 "${SERVER_IP:-127.0.0.1}" >"$out" 2>&1; then
    echo "FAIL [$name]: uclient exited non-zero"; tail -5 "$out"; FAILS=$((FAILS + 1)); return
  fi
  local sent recv lost
  sent=$(grep -o 'tot_send_msgs=[0-9]*' "$out" | tail -1 | cut -d= -f2)
  recv=$(grep -o 'tot_recv_msgs=[0-9]*' "$out" | tail -1 | cut -d= -f2)
  lost=$(grep -o 'Total lost packets [0-9]*' "$out" | tail -1 | awk '{print $4}')
  if [[ -z "$sent" || -z "$recv" || "$sent" -lt "$N" || $((recv * 100)) -lt $((sent * 99)) || "${lost:-1}" -gt $((N / 100)) ]]; then
    echo "FAIL [$name]: sent=${sent:-?} recv=${recv:-?} lost=${lost:-?}"; tail -5 "$out"
    FAILS=$((FAILS + 1)); return
  fi
  echo "ok   [$name]: sent=$sent recv=$recv lost=$lost"
}

# 1. Happy paths. uclient picks channel numbers in RFC 5766's 0x4000-0x7FFF.
start_floe --allow-loopback-peers --rfc5766-channels
run_case udp-channel        -c -u alice -w secret
run_case udp-send-indication -c -s -u alice -w secret
run_case tcp-channel        -c -t -u alice -w secret
run_case tcp-send-indication -c -t -s -u alice -w secret
run_case udp-rest-channel   -c -W "$SECRET" -u carol
run_case tcp-rest-send      -c -t -s -W "$SECRET" -u carol
run_case udp-padded-channel -c -D -u alice -w secret
run_case udp-dont-fragment  -c -g -u alice -w secret
PEER_IP=::1 run_case ipv6-relay-from-ipv4-client -c -x -u alice -w secret
PEER_IP=::1 SERVER_IP=::1 run_case ipv6-client-udp -c -u alice -w secret
PEER_IP=::1 SERVER_IP=::1 run_case ipv6-client-tcp -c -t -u alice -w secret
PEER_IP=::1 run_case dual-allocation-ipv6-peer -Z -u alice -w secret

# 2. Wrong credentials must not allocate.
if timeout 30 turnutils_uclient -u alice -w wrong -e 127.0.0.1 -r "$PEER_PORT" -p "$TURN_PORT" \
    -n 5 -c 127.0.0.1 >"$WORK/wrong.log" 2>&1; then
  echo "FAIL [wrong-password]: uclient succeeded"; FAILS=$((FAILS + 1))
else
  echo "ok   [wrong-password]: refused"
fi
if timeout 30 turnutils_uclient -W "not-$SECRET" -u carol -e 127.0.0.1 -r "$PEER_PORT" \
    -p "$TURN_PORT" -n 5 -c 127.0.0.1 >"$WORK/wrongrest.log" 2>&1; then
  echo "FAIL [wrong-rest-secret]: uclient succeeded"; FAILS=$((FAILS + 1))
else
  echo "ok   [wrong-rest-secret]: refused"
fi
stop_floe
FAILURES_BEFORE=$(grep -o 'floe_turn_auth_failures_total [0-9]*' "$WORK/floe.log" | awk '{print $2}')
if [[ "${FAILURES_BEFORE:-0}" -lt 2 ]]; then
  echo "FAIL [auth-counters]: auth failures not counted"; FAILS=$((FAILS + 1))
else
  echo "ok   [auth-counters]: floe_turn_auth_failures_total=$FAILURES_BEFORE"
fi
grep "allocations created" "$WORK/floe.log"

# 3. Default policy: loopback peers are refused (403) and counted.
start_floe
if timeout 30 turnutils_uclient -s -u alice -w secret -e 127.0.0.1 -r "$PEER_PORT" \
    -p "$TURN_PORT" -n 5 -c 127.0.0.1 >"$WORK/denied.log" 2>&1; then
  echo "FAIL [loopback-denied]: uclient succeeded"; FAILS=$((FAILS + 1))
fi
stop_floe
DENIED=$(grep -o 'floe_turn_refused_total{reason="peer_loopback"} [0-9]*' "$WORK/floe.log" | awk '{print $2}')
if [[ "${DENIED:-0}" -lt 1 ]]; then
  echo "FAIL [loopback-denied]: refusal not counted"; FAILS=$((FAILS + 1))
else
  echo "ok   [loopback-denied]: refused, floe_turn_refused_total{reason=\"peer_loopback\"}=$DENIED"
fi

if [[ $FAILS -ne 0 ]]; then
  echo "turn_uclient: $FAILS check(s) failed"; exit 1
fi
echo "turn_uclient: all checks passed"
