#!/usr/bin/env bash
# The ICE matrix of issue 6 in the NAT lab (tests/natlab: network
# namespaces, veth pairs, nftables): "P2P first, TURN only in the worst
# case". In the lab's pub namespace run `floe stun-server` (198.18.0.1:3478)
# and `floe turn-server` (198.18.0.1:3480, UDP and TCP, relays on
# 198.18.0.1). 198.18.0.0/15 is RFC 2544 benchmarking space, which the TURN
# server's default peer policy does not deny (only loopback, RFC 1918/6598,
# link-local, multicast), so no --allow-private-peers is needed: private
# 10.x host candidates stay unreachable through the relay, as in real life.
#
# A Floe ICE agent (ice_peer) on a public host plays the gateway (host +
# relay candidates); one behind each NAT gathers host + srflx + relay.
# Each cell asserts the selected pair's candidate types on both sides and
# that data flows both ways, and reports the time to connected.
source "$(dirname "$0")/stun_common.bash"
source "$FLOE_SRC/tests/natlab/lab.sh" 2>/dev/null || source "$(dirname "$0")/../natlab/lab.sh"
peer="${FLOE_BUILD:-$(dirname "$FLOE_BIN")/..}/ice/ice_peer"
[ -x "$peer" ] || fail "$peer not built (ice_peer target)"
command -v python3 >/dev/null || fail "python3 is missing"
lab_require || fail "the NAT lab needs root, ip and nft"
trap 'lab_down; cleanup' EXIT
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

lab_up_pub
lab_add_public_host gw
lab_add_nat_host fc 1 full-cone
lab_add_nat_host rc 2 restricted-cone
lab_add_nat_host pr 3 port-restricted
lab_add_nat_host sy 4 symmetric
lab_add_nat_host sz 5 symmetric
lab_add_nat_host ub 6 udp-blocked

S=$LAB_SERVER_IP1
STUN="$S:3478"
TURN="$S:3480"
lab_exec pub "$FLOE_BIN" stun-server --listen "$STUN" >"$tmp/stun.log" 2>&1 &
pids+=($!)
lab_exec pub "$FLOE_BIN" turn-server --listen "$TURN" --tcp --realm floe --user matrix:lab-secret \
  --relay-ip "$S" >"$tmp/turn.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  lab_exec pub ss -Hlnu | grep -q "$STUN" && lab_exec pub ss -Hlnu | grep -q "$TURN" &&
    lab_exec pub ss -Hlnt | grep -q "$TURN" && break
  sleep 0.1
done
lab_exec pub ss -Hlnu | grep -q "$STUN" || fail "floe stun-server did not start in the lab"
lab_exec pub ss -Hlnu | grep -q "$TURN" || fail "floe turn-server (UDP) did not start in the lab"
lab_exec pub ss -Hlnt | grep -q "$TURN" || fail "floe turn-server (TCP) did not start in the lab"

turn_args=(--turn "$TURN" --turn-user matrix --turn-pass lab-secret)
# argv_json NS ROLE BIND EXTRA...: the ice_peer command line, as JSON for the driver.
argv_json() {
  local ns=$1 role=$2 bind=$3
  shift 3
  python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' \
    ip netns exec "$(lab_ns "$ns")" "$peer" --role "$role" --bind "$bind:0" "$@"
}
gateway() { argv_json gw controlling 198.18.100.2 "${turn_args[@]}"; }
behind() {  # behind NS INDEX ROLE EXTRA...
  local ns=$1 n=$2 role=$3
  shift 3
  argv_json "$ns" "$role" "10.$n.0.2" --stun "$STUN" "${turn_args[@]}" "$@"
}

table=()
# cell NAME WANT(direct|relay) CONTROLLING_JSON CONTROLLED_JSON
cell() {
  local name=$1 want=$2 out result a b ms err cda cdb
  err="$tmp/cell-${name//[^a-z]/_}.err"
  echo "=== $name (expect $want)"
  out=$(timeout 60 python3 "$here/natlab_ice_matrix.py" "$3" "$4" 30 2>"$err") ||
    { cat "$err"; echo "$out"; fail "$name: no connection"; }
  result=$(echo "$out" | grep '^RESULT ') || fail "$name: no result: $out"
  read -r _ a b ms cda cdb <<<"$result"
  echo "selected: controlling $a, controlled $b, connected after $ms ms;" \
       "ChannelData sent to TURN: controlling $cda, controlled $cdb"
  if [ "$want" = direct ]; then
    [[ "$a $b" != *relay* ]] || fail "$name: a relayed pair was selected though a direct path exists"
  else
    # The path goes through a TURN relay when one side's local candidate is
    # relayed. The other side may know that relayed address only as a
    # peer-reflexive candidate when the check beats the trickled candidate.
    [[ "$a" == relay-* || "$b" == relay-* ]] ||
      fail "$name: expected a relayed local candidate on one side, got $a / $b"
    # The side whose local candidate is relayed bound a channel and used it.
    if [[ "$a" == relay-* ]]; then [ "$cda" -gt 0 ] || fail "$name: controlling sent no ChannelData"; fi
    if [[ "$b" == relay-* ]]; then [ "$cdb" -gt 0 ] || fail "$name: controlled sent no ChannelData"; fi
  fi
  table+=("$(printf '%-34s %-22s %-22s %6s' "$name" "$a" "$b" "$ms")")
}

cell "public <-> full-cone" direct "$(gateway)" "$(behind fc 1 controlled)"
cell "public <-> restricted-cone" direct "$(gateway)" "$(behind rc 2 controlled)"
cell "public <-> port-restricted" direct "$(gateway)" "$(behind pr 3 controlled)"
cell "public <-> symmetric" direct "$(gateway)" "$(behind sy 4 controlled)"
cell "symmetric <-> symmetric" relay "$(behind sy 4 controlling)" "$(behind sz 5 controlled)"
cell "public <-> udp-blocked (TURN/TCP)" relay "$(gateway)" "$(behind ub 6 controlled --turn-tcp)"
# iceTransportPolicy "relay" (--relay-only): the relay even where a direct path exists.
cell "full-cone, relay-only policy" relay "$(gateway)" "$(behind fc 1 controlled --relay-only)"

echo
printf '%-34s %-22s %-22s %6s\n' "cell" "controlling local-remote" "controlled local-remote" "ms"
for row in "${table[@]}"; do echo "$row"; done
echo "PASS: NAT-lab ICE matrix: direct pairs where a path exists, TURN relay only where none does"
