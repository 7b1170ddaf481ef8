#!/usr/bin/env bash
# The NAT-lab cells where the browser side reaches `floe gateway` only
# through the TURN relay the gateway allocates for its own ICE agent
# (`--ice-turn-server`, the gateway's ice.turn_servers). In the lab
# (tests/natlab): `floe stun-server` and `floe turn-server` (UDP, TCP and
# TLS with a self-signed certificate) in pub on 198.18.0.1; the gateway on
# the public host gw (198.18.100.2); aiortc (the "browser", STUN from
# `welcome`, no TURN of its own) behind a full-cone NAT. Cells:
#   1. the gateway's firewall drops inbound UDP from anyone but the TURN
#      server: the only working pair is aiortc -> Floe's relayed candidate
#      (TURN over UDP);
#   2. the gateway's network blocks UDP entirely: Floe reaches the TURN
#      server over TLS (turns:, certificate checked against the lab CA) and
#      the call still works through the relay.
# Each cell asserts that Floe offered a relayed candidate, that aiortc
# nominated it, that the echoed tone came back, and prints the time to the
# open data channel.
source "$(dirname "$0")/stun_common.bash"
source "$FLOE_SRC/tests/natlab/lab.sh" 2>/dev/null || source "$(dirname "$0")/../natlab/lab.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="${FLOE_SRC:-$(cd "$here/../.." && pwd)}"
PY=/usr/bin/python3
$PY -c 'import aiortc, websockets' 2>/dev/null || fail "python3-aiortc / python3-websockets missing"
command -v openssl >/dev/null || fail "openssl is missing"
lab_require || fail "the NAT lab needs root, ip and nft"
trap 'lab_down; cleanup' EXIT
# Servers start with `ip netns exec ... &` (not the lab_exec function): $!
# is then floe itself, so a SIGTERM reaches it.

lab_up_pub
lab_add_public_host gw
lab_add_nat_host br 1 full-cone

S=$LAB_SERVER_IP1
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=floe-lab-turn" \
  -addext "subjectAltName=IP:$S" -keyout "$tmp/turn.key" -out "$tmp/turn.pem" >/dev/null 2>&1 ||
  fail "openssl could not make a certificate"
ip netns exec "$(lab_ns pub)" "$FLOE_BIN" stun-server --listen "$S:3478" >"$tmp/stun.log" 2>&1 &
pids+=($!)
ip netns exec "$(lab_ns pub)" "$FLOE_BIN" turn-server --listen "$S:3480" --tcp --tls-listen "$S:5349" \
  --cert "$tmp/turn.pem" --key "$tmp/turn.key" --realm floe --user gw:lab-secret --relay-ip "$S" \
  --metrics >"$tmp/turn.log" 2>&1 &
TURN_PID=$!
pids+=($TURN_PID)
for _ in $(seq 50); do
  grep -q "listening on tls" "$tmp/turn.log" 2>/dev/null && lab_exec pub ss -Hlnu | grep -q "$S:3478" && break
  sleep 0.1
done
grep -q "listening on tls" "$tmp/turn.log" || fail "floe turn-server did not start in the lab"

GW_IP=198.18.100.2
GW_PID=""
HTTP_PORT=8079
# gateway NAME FIREWALL-RULES TURN-SPEC: (re)starts floe gateway in gw (a
# new HTTP port each time: the last one may linger in TIME_WAIT).
gateway() {
  local name=$1 rules=$2 spec=$3
  HTTP_PORT=$((HTTP_PORT + 1))
  [ -n "$GW_PID" ] && { kill "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null || true; }
  lab_exec gw nft flush ruleset
  echo "$rules" | lab_exec gw nft -f - || fail "$name: nft rules"
  ip netns exec "$(lab_ns gw)" "$FLOE_BIN" gateway --http "$GW_IP:$HTTP_PORT" --media-port 0 --media-address "$GW_IP" \
    --web "$SRC/web" --ice-server "stun:$S:3478" --ice-turn-server "$spec" \
    >"$tmp/gw-$name.log" 2>&1 &
  GW_PID=$!
  pids+=($GW_PID)
  for _ in $(seq 100); do
    grep -q "listening http" "$tmp/gw-$name.log" && return 0
    kill -0 "$GW_PID" 2>/dev/null || fail "$name: floe gateway exited"
    sleep 0.1
  done
  fail "$name: floe gateway did not start"
}

table=()
cell() {  # NAME
  local name=$1 out
  echo "=== $name"
  out=$(timeout 90 ip netns exec "$(lab_ns br)" $PY "$here/gateway_turn_aiortc.py" "ws://$GW_IP:$HTTP_PORT/ws" 2>"$tmp/aiortc.err") ||
    { echo "$out"; tail -20 "$tmp/aiortc.err"; tail -20 "$tmp"/gw-*.log; fail "$name"; }
  echo "$out"
  table+=("$(printf '%-52s %s' "$name" "$(echo "$out" | grep '^RESULT' | cut -d' ' -f2-)")")
}

gateway udp-from-turn-only "table inet fw {
  chain in { type filter hook input priority 0; iifname \"wan\" meta l4proto udp ip saddr != $S drop; }
}" "turn:$S:3480?transport=udp,username=gw,credential=lab-secret"
cell "gateway takes UDP only from TURN (TURN/UDP)"

gateway udp-blocked "table inet fw {
  chain in { type filter hook input priority 0; iifname \"wan\" meta l4proto udp drop; }
  chain out { type filter hook output priority 0; oifname \"wan\" meta l4proto udp drop; }
}" "turns:$S:5349,username=gw,credential=lab-secret,ca=$tmp/turn.pem"
cell "gateway with UDP blocked (TURN over TLS, turns:)"

kill -TERM "$GW_PID"; wait "$GW_PID" || fail "floe gateway did not exit cleanly"
grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$tmp"/gw-*.log && fail "sanitizer report from floe gateway"
kill -TERM "$TURN_PID"; wait "$TURN_PID" 2>/dev/null || true
summary=$(grep "allocations created" "$tmp/turn.log") || fail "no summary from floe turn-server"
echo "$summary"
# Each call's allocation was released when the call ended (Refresh 0 over
# UDP, the connection closing over TLS), none left to expire.
created=$(echo "$summary" | sed -E 's/.*created ([0-9]+).*/\1/')
deleted=$(echo "$summary" | sed -E 's/.*deleted ([0-9]+);.*/\1/')
[ "$created" -ge 2 ] && [ "$deleted" -eq "$created" ] ||
  fail "TURN allocations: created $created, released $deleted"
echo
printf '%-52s %s\n' "cell" "aiortc nominated pair, ms to data channel open"
for row in "${table[@]}"; do echo "$row"; done
echo "PASS: the browser side reached floe gateway through the gateway's own TURN relay (UDP, TLS)"
