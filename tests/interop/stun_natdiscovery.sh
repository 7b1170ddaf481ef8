#!/usr/bin/env bash
# coturn's turnutils_natdiscovery (mapping, filtering, hairpinning tests)
# against `floe stun-server --alt-ip 127.0.0.2`, and `floe nat-probe` against
# the same server: both must find endpoint-independent mapping and filtering.
source "$(dirname "$0")/stun_common.bash"
for tool in turnutils_natdiscovery python3 ss; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/deps/test.txt)"; exit 1; }
done

P=$(pick_port)
start_floe rfc5780 --listen "127.0.0.1:$P" --alt-ip 127.0.0.2
out=$(timeout 60 turnutils_natdiscovery -m -f -H -p "$P" 127.0.0.1 2>&1) ||
  fail "turnutils_natdiscovery failed or hung: $out"
echo "$out"
echo "$out" | grep -q "NAT with Endpoint Independent Mapping" ||
  fail "natdiscovery did not find endpoint-independent mapping"
echo "$out" | grep -q "NAT with Endpoint Independent Filtering" ||
  fail "natdiscovery did not find endpoint-independent filtering"
echo "$out" | grep -q "Received a request (maybe a successful hairpinning)" ||
  fail "natdiscovery's hairpinning request did not come back"
# With 1500 bytes of PADDING (RFC 5780 §7.6) the answers still arrive.
out=$(timeout 60 turnutils_natdiscovery -m -f -P -p "$P" 127.0.0.1 2>&1) ||
  fail "turnutils_natdiscovery -P failed: $out"
echo "$out" | grep -q "NAT with Endpoint Independent Filtering" || fail "PADDING run: filtering"
echo "ok: turnutils_natdiscovery: endpoint-independent mapping and filtering (also with PADDING)"

json=$("$FLOE_BIN" nat-probe --server "127.0.0.1:$P" --json --timeout-ms 1500) || fail "nat-probe: $json"
echo "$json"
[ "$(json_field "$json" mapping)" = endpoint-independent ] || fail "floe nat-probe disagrees on mapping"
[ "$(json_field "$json" filtering)" = endpoint-independent ] || fail "floe nat-probe disagrees on filtering"
echo "ok: floe nat-probe agrees with turnutils_natdiscovery"
echo "PASS"
