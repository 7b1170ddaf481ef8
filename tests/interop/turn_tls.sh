#!/usr/bin/env bash
# TURN over TLS (RFC 8656 §3.1): coturn's turnutils_uclient -S -t against
# `floe turn-server --tls-listen`, with ChannelData and with Send indications,
# using a throwaway self-signed certificate. (Floe's own TURN client over
# TLS, io::TurnLink, is checked in turn_client_tls.sh.)
# Needs a floe built with FLOE_TURN_TLS (floe_ice_io linked with OpenSSL::SSL).
set -euo pipefail

FLOE_BIN=${FLOE_BIN:-${FLOE_BUILD:-build}/gateway/floe}
for prog in "$FLOE_BIN" turnutils_uclient turnutils_peer openssl python3; do
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

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -days 1 -subj /CN=localhost >/dev/null 2>&1
TLS_PORT=$(free_port)
PEER_PORT=$(free_port)
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >"$WORK/peer.log" 2>&1 &
PIDS+=($!)
"$FLOE_BIN" turn-server --no-udp --tls-listen "127.0.0.1:$TLS_PORT" --cert "$WORK/cert.pem" \
  --key "$WORK/key.pem" --realm floe --user alice:secret --allow-loopback-peers \
  --rfc5766-channels --metrics >"$WORK/floe.log" 2>&1 &
FLOE_PID=$!
PIDS+=($FLOE_PID)
for _ in $(seq 50); do
  grep -q "listening on tls" "$WORK/floe.log" 2>/dev/null && break
  if ! kill -0 "$FLOE_PID" 2>/dev/null; then
    echo "FAIL: floe turn-server did not start:"; cat "$WORK/floe.log"
    echo "(a build without TLS needs FLOE_TURN_TLS=1 and OpenSSL::SSL on floe_ice_io)"; exit 1
  fi
  sleep 0.1
done

FAILS=0
N=200
for mode in channel send-indication; do
  flags=(-S -t -c -z 5)
  [[ $mode == send-indication ]] && flags+=(-s)
  out="$WORK/uclient-$mode.log"
  if ! timeout 60 turnutils_uclient "${flags[@]}" -u alice -w secret -e 127.0.0.1 -r "$PEER_PORT" \
      -p "$TLS_PORT" -n "$N" -l 160 127.0.0.1 >"$out" 2>&1; then
    echo "FAIL [tls-$mode]: uclient exited non-zero"; tail -5 "$out"; FAILS=$((FAILS + 1)); continue
  fi
  sent=$(grep -o 'tot_send_msgs=[0-9]*' "$out" | tail -1 | cut -d= -f2)
  recv=$(grep -o 'tot_recv_msgs=[0-9]*' "$out" | tail -1 | cut -d= -f2)
  if [[ -z "$sent" || "$sent" -lt "$N" || "${recv:-0}" -lt "$sent" ]]; then
    echo "FAIL [tls-$mode]: sent=${sent:-?} recv=${recv:-?}"; FAILS=$((FAILS + 1))
  else
    echo "ok   [tls-$mode]: sent=$sent recv=$recv"
  fi
done
kill -TERM "$FLOE_PID"; wait "$FLOE_PID" 2>/dev/null || true
grep -E "floe_turn_(relayed_packets_total|tcp_connections_total)" "$WORK/floe.log" || true

if [[ $FAILS -ne 0 ]]; then
  echo "turn_tls: $FAILS check(s) failed"; exit 1
fi
echo "turn_tls: all checks passed"
