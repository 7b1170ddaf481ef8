#!/usr/bin/env bash
# RFC 5780 over IPv6: loopback has a single IPv6 address, so this runs in a
# network namespace of its own with two (fd00:f10e::1 and ::2 on its lo).
# floe stun-server answers with the four IPv6 sockets; floe nat-probe and
# coturn's turnutils_stunclient -f / turnutils_natdiscovery use them.
source "$(dirname "$0")/stun_common.bash"
for tool in ip turnutils_stunclient turnutils_natdiscovery python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/deps/test.txt)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root for ip netns"; exit 1; }
NS="floe-v6-$$"
trap 'ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$NS" 2>/dev/null; cleanup' EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add fd00:f10e::1/128 dev lo nodad
ip -n "$NS" addr add fd00:f10e::2/128 dev lo nodad
in_ns() { ip netns exec "$NS" "$@"; }

in_ns "$FLOE_BIN" stun-server --listen "[fd00:f10e::1]:3478" --alt-ip fd00:f10e::2 --tcp \
  >"$tmp/floe.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "listening on tcp \[fd00:f10e::2\]:3479" "$tmp/floe.log" && break; sleep 0.1; done
grep -q "listening on tcp \[fd00:f10e::2\]:3479" "$tmp/floe.log" || fail "server did not start"
cat "$tmp/floe.log"

json=$(in_ns "$FLOE_BIN" nat-probe --server "[fd00:f10e::1]:3478" --json --timeout-ms 1000) ||
  fail "nat-probe over IPv6 failed: $json"
echo "$json"
[ "$(json_field "$json" other_address)" = "[fd00:f10e::2]:3479" ] || fail "OTHER-ADDRESS wrong"
[ "$(json_field "$json" mapping)" = endpoint-independent ] || fail "mapping"
[ "$(json_field "$json" filtering)" = endpoint-independent ] || fail "filtering"
echo "ok: floe nat-probe over IPv6 RFC 5780: endpoint-independent mapping and filtering"

out=$(timeout 20 ip netns exec "$NS" turnutils_stunclient -f -p 3478 fd00:f10e::1 2>&1) ||
  fail "turnutils_stunclient -f over IPv6 failed: $out"
echo "$out"
echo "$out" | grep -q "Other addr: : \[\?fd00:f10e::2\]\?:3479" || fail "stunclient: OTHER-ADDRESS"
echo "$out" | grep -q "Response origin: : \[\?fd00:f10e::2\]\?:3479" || fail "stunclient: CHANGE-REQUEST reply"
echo "ok: turnutils_stunclient -f over IPv6 saw OTHER-ADDRESS and the changed origin"

# -L: a wildcard socket would pick the destination itself as source when
# both server addresses are local, which looks like a NAT changing the IP.
out=$(timeout 60 ip netns exec "$NS" turnutils_natdiscovery -m -f -L fd00:f10e::1 -p 3478 fd00:f10e::1 2>&1) ||
  fail "turnutils_natdiscovery over IPv6 failed: $out"
echo "$out" | grep -q "NAT with Endpoint Independent Mapping" || fail "natdiscovery: mapping"
echo "$out" | grep -q "NAT with Endpoint Independent Filtering" || fail "natdiscovery: filtering"
echo "ok: turnutils_natdiscovery over IPv6 agrees: endpoint-independent"
echo "PASS"
