#!/usr/bin/env bash
# `floe nat-probe` against `floe stun-server --alt-ip 127.0.0.2` (both ends
# ours, RFC 5780 over loopback: endpoint-independent), against a server
# without an alternate address (clear "does not support RFC 5780" error),
# and against a port where nobody listens (clear error, quick, non-zero).
source "$(dirname "$0")/stun_common.bash"
for tool in python3 ss; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/deps/test.txt)"; exit 1; }
done

P=$(pick_port)
start_floe rfc5780 --listen "127.0.0.1:$P" --alt-ip 127.0.0.2
json=$("$FLOE_BIN" nat-probe --server "127.0.0.1:$P" --json --timeout-ms 1500) ||
  fail "nat-probe against floe failed: $json"
echo "$json"
[ "$(json_field "$json" mapping)" = endpoint-independent ] || fail "mapping is not endpoint-independent"
[ "$(json_field "$json" filtering)" = endpoint-independent ] || fail "filtering is not endpoint-independent"
[ "$(json_field "$json" hairpinning)" = supported ] || fail "hairpinning on loopback not supported?"
[ "$(json_field "$json" behind_nat)" = False ] || fail "loopback reported as behind a NAT"
[ "$(json_field "$json" response_origin)" = "127.0.0.1:$P" ] || fail "RESPONSE-ORIGIN wrong"
echo "ok: floe nat-probe vs floe stun-server: endpoint-independent mapping and filtering, hairpinning"

# IPv6 RFC 5780 needs two IPv6 addresses; loopback has one, so check the
# plain IPv6 path: a mapped address and the RFC 5780 refusal.
Q=$(pick_port)
start_floe plain --listen "127.0.0.1:$Q" --listen "[::1]:$Q"
for server in "127.0.0.1:$Q" "[::1]:$Q"; do
  set +e
  out=$("$FLOE_BIN" nat-probe --server "$server" --timeout-ms 1000 2>&1)
  rc=$?
  set -e
  echo "$out"
  [ "$rc" -eq 1 ] || fail "expected exit 1 against a server without RFC 5780 ($server), got $rc"
  echo "$out" | grep -q "server does not support RFC 5780" || fail "no clear RFC 5780 error ($server)"
  echo "$out" | grep -q "server-reflexive address:" || fail "no server-reflexive address ($server)"
done
echo "ok: a server without OTHER-ADDRESS gives 'server does not support RFC 5780' and exit 1"

# Nobody listens on R: the probe must fail quickly with a clear message.
R=$(pick_port)
start=$(date +%s%N)
set +e
out=$("$FLOE_BIN" nat-probe --server "127.0.0.1:$R" --timeout-ms 400 2>&1)
rc=$?
set -e
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$out"
[ "$rc" -ne 0 ] || fail "probe against a silent port exited 0"
echo "$out" | grep -q "no response from the STUN server 127.0.0.1:$R" || fail "no clear no-response error"
[ "$elapsed_ms" -lt 3000 ] || fail "took ${elapsed_ms} ms to give up (timeout 400 ms)"
echo "ok: silent server -> exit $rc after ${elapsed_ms} ms with a clear error"
echo "PASS"
