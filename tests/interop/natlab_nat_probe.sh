#!/usr/bin/env bash
# `floe nat-probe` classifies each NAT of the lab correctly (RFC 5780 §4.3/§4.4,
# the seed's "four tests"), against `floe stun-server` with two IPs on the lab's
# public segment. Everything runs inside network namespaces this test makes.
set -euo pipefail
source "$FLOE_SRC/tests/natlab/lab.sh"
lab_require
trap lab_down EXIT

lab_up_pub
lab_add_public_host open
lab_add_nat_host fullcone 1 full-cone
lab_add_nat_host restricted 2 restricted-cone
lab_add_nat_host portrestr 3 port-restricted
lab_add_nat_host symmetric 4 symmetric

ip netns exec "$LAB_PUB" "$FLOE_BIN" stun-server --listen "$LAB_SERVER_IP1:3478" \
  --alt-ip "$LAB_SERVER_IP2" >/dev/null 2>&1 &
for _ in $(seq 50); do
  ip netns exec "$LAB_PUB" ss -lun | grep -q "$LAB_SERVER_IP2:3479" && break
  sleep 0.1
done

fail=0
check() {  # host expected_nat expected_mapping expected_filtering
  local out
  out=$(lab_exec "$1" "$FLOE_BIN" nat-probe --server "$LAB_SERVER_IP1" --json --timeout-ms 700) || {
    echo "FAIL $1: nat-probe exited non-zero: $out"; fail=1; return; }
  python3 - "$1" "$2" "$3" "$4" "$out" <<'PY' || fail=1
import json, sys
host, nat, mapping, filtering, out = sys.argv[1:]
r = json.loads(out)
got = (str(r["behind_nat"]).lower(), r["mapping"], r["filtering"])
want = (nat, mapping, filtering)
print(("ok  " if got == want else "FAIL"), host, "mapped", r["mapped_address"], "->", got,
      "" if got == want else f"(wanted {want})")
sys.exit(0 if got == want else 1)
PY
}
check open       false endpoint-independent endpoint-independent
check fullcone   true  endpoint-independent endpoint-independent
check restricted true  endpoint-independent address-dependent
check portrestr  true  endpoint-independent address-and-port-dependent
check symmetric  true  address-and-port-dependent address-and-port-dependent
exit $fail
