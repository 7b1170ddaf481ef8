#!/usr/bin/env bash
# `floe nat-probe` against coturn's turnserver listening on two loopback IPs
# (127.0.0.1 and 127.0.0.2), which makes it answer RFC 5780 (OTHER-ADDRESS,
# CHANGE-REQUEST). On loopback there is no NAT: mapping and filtering must
# both come out endpoint-independent.
source "$(dirname "$0")/stun_common.bash"
for tool in turnserver python3 ss; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/deps/test.txt)"; exit 1; }
done

P=$(pick_port)
# No config file, no database, no CLI, no TLS: a bare STUN/RFC 5780 server.
# --alt-listening-port is P+1 so the four sockets are 127.0.0.{1,2}:{P,P+1}.
(cd "$tmp" && exec turnserver -n --no-cli --no-auth --stun-only --no-tls --no-dtls \
   --listening-ip 127.0.0.1 --listening-ip 127.0.0.2 \
   --listening-port "$P" --alt-listening-port "$((P + 1))" \
   --userdb "$tmp/turndb" --pidfile "$tmp/turnserver.pid" \
   --log-file stdout --simple-log --no-stdout-log) >"$tmp/turnserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  ss -Hlnu | awk '{print $4}' | grep -q "127.0.0.2:$((P + 1))$" && break
  kill -0 "${pids[-1]}" 2>/dev/null || fail "turnserver exited"
  sleep 0.1
done
ss -Hlnu | awk '{print $4}' | grep -q "127.0.0.2:$((P + 1))$" || fail "turnserver did not open its sockets"
echo "turnserver listening on 127.0.0.1/127.0.0.2 ports $P/$((P + 1))"

json=$("$FLOE_BIN" nat-probe --server "127.0.0.1:$P" --json --timeout-ms 1500) ||
  fail "nat-probe against coturn failed: $json"
echo "$json"
[ "$(json_field "$json" mapping)" = endpoint-independent ] || fail "mapping is not endpoint-independent"
[ "$(json_field "$json" filtering)" = endpoint-independent ] || fail "filtering is not endpoint-independent"
[ "$(json_field "$json" other_address)" = "127.0.0.2:$((P + 1))" ] || fail "OTHER-ADDRESS not 127.0.0.2:$((P + 1))"
mapped=$(json_field "$json" mapped_address)
local_addr=$(json_field "$json" local_address)
[ "$mapped" = "$local_addr" ] || fail "mapped address $mapped differs from local $local_addr on loopback"
echo "ok: floe nat-probe vs coturn: mapping and filtering endpoint-independent, srflx $mapped"

# Text mode prints the same verdicts.
text=$("$FLOE_BIN" nat-probe --server "127.0.0.1:$P" --timeout-ms 1500) || fail "text mode failed: $text"
echo "$text"
echo "$text" | grep -q "mapping behaviour: *endpoint-independent" || fail "text: mapping"
echo "$text" | grep -q "filtering behaviour: *endpoint-independent" || fail "text: filtering"
echo "PASS"
