#!/usr/bin/env bash
# `floe nat-probe` behind real Linux NATs (tests/natlab: network namespaces,
# veth pairs, nftables). Servers live in the lab's "pub" namespace on its two
# addresses: `floe stun-server` (port 3478) and coturn's turnserver (4478).
# From a host without NAT and hosts behind full-cone, port-restricted and
# symmetric NATs, a restricted-cone one and one with address-dependent
# mapping, floe nat-probe must find the behaviour each NAT was built
# with, against both servers, and coturn's turnutils_natdiscovery run against
# floe's server must agree on the mapping.
source "$(dirname "$0")/stun_common.bash"
source "$FLOE_SRC/tests/natlab/lab.sh" 2>/dev/null || source "$(dirname "$0")/../natlab/lab.sh"
for tool in turnserver turnutils_natdiscovery python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/deps/test.txt)"; exit 1; }
done
lab_require || fail "the NAT lab needs root, ip and nft"
trap 'lab_down; cleanup' EXIT

lab_up_pub
lab_add_public_host open
lab_add_nat_host fc 1 full-cone
lab_add_nat_host pr 2 port-restricted
lab_add_nat_host sy 3 symmetric
lab_add_nat_host rc 4 restricted-cone
lab_add_nat_host ad 5 address-dependent

S1=$LAB_SERVER_IP1
S2=$LAB_SERVER_IP2
lab_exec pub "$FLOE_BIN" stun-server --listen "$S1:3478" --alt-ip "$S2" >"$tmp/floe.log" 2>&1 &
pids+=($!)
(cd "$tmp" && exec ip netns exec "$LAB_PUB" turnserver -n --no-cli --no-auth --stun-only \
   --no-tls --no-dtls --listening-ip "$S1" --listening-ip "$S2" \
   --listening-port 4478 --alt-listening-port 4479 --userdb "$tmp/turndb" \
   --pidfile "$tmp/turnserver.pid" --log-file stdout --simple-log --no-stdout-log) \
  >"$tmp/turnserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  lab_exec pub ss -Hlnu | grep -q "$S2:3479" && lab_exec pub ss -Hlnu | grep -q "$S2:4479" && break
  sleep 0.1
done
lab_exec pub ss -Hlnu | grep -q "$S2:3479" || fail "floe stun-server did not start in the lab"
lab_exec pub ss -Hlnu | grep -q "$S2:4479" || fail "turnserver did not start in the lab"

# expect HOST SERVER_PORT BEHIND_NAT MAPPING FILTERING
expect() {
  local host=$1 port=$2 nat=$3 mapping=$4 filtering=$5 json
  json=$(lab_exec "$host" "$FLOE_BIN" nat-probe --server "$S1:$port" --json --timeout-ms 700) ||
    fail "nat-probe from $host to port $port failed: $json"
  echo "$host -> $S1:$port: $json"
  [ "$(json_field "$json" behind_nat)" = "$nat" ] || fail "$host: behind_nat is not $nat"
  [ "$(json_field "$json" mapping)" = "$mapping" ] || fail "$host: mapping is not $mapping"
  [ "$(json_field "$json" filtering)" = "$filtering" ] || fail "$host: filtering is not $filtering"
  echo "ok: $host via port $port: NAT=$nat mapping=$mapping filtering=$filtering" \
       "hairpinning=$(json_field "$json" hairpinning)"
}

for port in 3478 4478; do
  expect open "$port" False endpoint-independent endpoint-independent
  expect fc "$port" True endpoint-independent endpoint-independent
  expect pr "$port" True endpoint-independent address-and-port-dependent
  expect sy "$port" True address-and-port-dependent address-and-port-dependent
  expect rc "$port" True endpoint-independent address-dependent
  expect ad "$port" True address-dependent address-and-port-dependent
done

# coturn's own client, against floe's server, from behind the NATs.
# natdiscovery prints "NAT with <Behaviour> Mapping!"; compare the mapping
# verdict (its filtering test reuses the mapping socket, so it is not
# comparable on stateful NATs).
natdisc() {
  timeout 60 ip netns exec "$(lab_ns "$1")" turnutils_natdiscovery -m -p 3478 "$S1" 2>&1 |
    grep -oE "NAT with [A-Za-z ]+ Mapping" | head -1
}
for pair in "open:Endpoint Independent" "fc:Endpoint Independent" "pr:Endpoint Independent" \
            "rc:Endpoint Independent" "ad:Address Dependent" "sy:Address and Port Dependent"; do
  host=${pair%%:*}
  want=${pair#*:}
  got=$(natdisc "$host") || true
  echo "$host: turnutils_natdiscovery says '$got'"
  echo "$got" | grep -qi "$want Mapping" || fail "$host: natdiscovery found '$got', floe expects '$want'"
done
echo "ok: turnutils_natdiscovery agrees with floe nat-probe on the mapping behind each NAT"
echo "PASS"
