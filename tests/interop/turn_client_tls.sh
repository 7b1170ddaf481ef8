#!/usr/bin/env bash
# Floe's TURN client over TLS (turns:, RFC 8656 §3.1: TLS over TCP, padded
# ChannelData on the stream) through io::TurnLink: an ICE agent (ice_peer
# --relay-only --turn-tls, certificate checked against the test CA and its
# name) reaches a second ice_peer only through its relayed candidate, first
# on `floe turn-server --tls-listen`, then on coturn's `turnserver` with
# TLS. Each run must select the relay, carry data both ways over a bound
# channel, and report the time to connected. A wrong CA must fail.
set -euo pipefail
FLOE_BUILD=${FLOE_BUILD:-build}
FLOE_BIN=${FLOE_BIN:-$FLOE_BUILD/gateway/floe}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEER="${FLOE_BUILD}/ice/ice_peer"
[[ -x "$PEER" ]] || PEER="$(dirname "$FLOE_BIN")/../ice/ice_peer"
for prog in turnserver openssl python3; do
  command -v "$prog" >/dev/null 2>&1 || { echo "FAIL: $prog not found"; exit 1; }
done
for f in "$PEER" "$FLOE_BIN"; do [[ -x "$f" ]] || { echo "FAIL: $f not built"; exit 1; }; done

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
wait_tcp_listen() {
  for _ in $(seq 50); do ss -Hlnt "sport = :$1" | grep -q . && return 0; sleep 0.1; done
  return 1
}
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=turn.floe.test" \
  -addext "subjectAltName=DNS:turn.floe.test,IP:127.0.0.1" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other" \
  -keyout "$WORK/other.key" -out "$WORK/other.pem" >/dev/null 2>&1

FAILS=0
run() {  # name tls-port extra-ice_peer-args...
  local name=$1 port=$2; shift 2
  local a b out result
  a=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$PEER" --role controlling \
      --bind 127.0.0.1:0 --relay-only --turn "127.0.0.1:$port" --turn-tls --turn-user gw \
      --turn-pass lab-secret "$@")
  b=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$PEER" --role controlled --bind 127.0.0.1:0)
  if out=$(timeout 60 python3 "$HERE/natlab_ice_matrix.py" "$a" "$b" 20 2>"$WORK/$name.err") &&
     result=$(echo "$out" | grep '^RESULT '); then
    read -r _ sa sb ms cda _ <<<"$result"
    if [[ "$sa" == relay-* && "${cda:-0}" -gt 0 ]]; then
      echo "ok   [$name]: selected $sa / $sb, connected after $ms ms, $cda ChannelData messages sent over TLS"
    else
      echo "FAIL [$name]: $result"; FAILS=$((FAILS + 1))
    fi
  else
    echo "FAIL [$name]: no connection"; echo "$out"; tail -5 "$WORK/$name.err"; FAILS=$((FAILS + 1))
  fi
}
expect_fail() {  # name tls-port extra...
  local name=$1 port=$2; shift 2
  local a b
  a=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$PEER" --role controlling \
      --bind 127.0.0.1:0 --relay-only --turn "127.0.0.1:$port" --turn-tls --turn-user gw \
      --turn-pass lab-secret "$@")
  b=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$PEER" --role controlled --bind 127.0.0.1:0)
  if timeout 40 python3 "$HERE/natlab_ice_matrix.py" "$a" "$b" 8 >"$WORK/$name.out" 2>"$WORK/$name.err"; then
    echo "FAIL [$name]: connected"; FAILS=$((FAILS + 1))
  elif grep -q "TLS handshake" "$WORK/$name.err"; then
    echo "ok   [$name]: refused ($(grep -o 'TLS handshake.*' "$WORK/$name.err" | head -1))"
  else
    echo "FAIL [$name]: no TLS handshake error reported"; tail -3 "$WORK/$name.err"; FAILS=$((FAILS + 1))
  fi
}

# floe turn-server with TLS.
FP=$(free_port)
"$FLOE_BIN" turn-server --no-udp --tls-listen "127.0.0.1:$FP" --cert "$WORK/cert.pem" \
  --key "$WORK/key.pem" --user gw:lab-secret --allow-loopback-peers --metrics >"$WORK/floe.log" 2>&1 &
FLOE_PID=$!
PIDS+=($FLOE_PID)
wait_tcp_listen "$FP" || { echo "FAIL: floe turn-server did not start"; cat "$WORK/floe.log"; exit 1; }
run floe-tls "$FP" --turn-ca "$WORK/cert.pem" --turn-name turn.floe.test
expect_fail floe-tls-wrong-ca "$FP" --turn-ca "$WORK/other.pem"

# coturn with TLS.
CP=$(free_port)
CT=$(free_port)
LO=$(( $(free_port) / 100 * 100 ))
turnserver -n --realm floe -L 127.0.0.1 -p "$CP" --tls-listening-port "$CT" --cert "$WORK/cert.pem" \
  --pkey "$WORK/key.pem" --user gw:lab-secret --lt-cred-mech --allow-loopback-peers --no-dtls \
  --no-cli --min-port "$LO" --max-port $((LO + 99)) --log-file "$WORK/coturn.log" --simple-log \
  --pidfile "$WORK/coturn.pid" >"$WORK/coturn.out" 2>&1 &
PIDS+=($!)
wait_tcp_listen "$CT" || { echo "FAIL: coturn did not start"; cat "$WORK/coturn.out"; exit 1; }
run coturn-tls "$CT" --turn-ca "$WORK/cert.pem" --turn-name turn.floe.test
run coturn-tls-by-ip "$CT" --turn-ca "$WORK/cert.pem"

kill -TERM "$FLOE_PID"; wait "$FLOE_PID" 2>/dev/null || true
grep -E "allocations created" "$WORK/floe.log" || true
[[ $FAILS -eq 0 ]] || { echo "turn_client_tls: $FAILS check(s) failed"; exit 1; }
echo "turn_client_tls: all checks passed"
