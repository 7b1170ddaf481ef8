#!/usr/bin/env bash
# The gateway's trunk registration against sipp as the registrar: the first
# REGISTER is challenged (401, MD5, qop=auth), the retry must carry a digest
# sipp verifies for floe/s3cret, then 200 with expires=3600; the gateway logs
# the trunk as registered. Then an out-of-dialog OPTIONS from the trunk is
# answered 200 by the shared SIP listener (sipp options_uac.xml).
set -euo pipefail
source "$(dirname "$0")/bridge_common.bash"

REG_PORT=$(free_port_block)
sipp -sf "$SCEN/registrar_digest.xml" -i 127.0.0.1 -p "$REG_PORT" -m 1 -timeout 20s -timeout_error \
  -nostdin >"$TMP/registrar.log" 2>&1 &
SIPP_PID=$!
sleep 0.3
start_bridge reg --trunk "name=pbx,proxy=127.0.0.1:$REG_PORT,user=floe,password=s3cret,register=1"
RC=0
wait "$SIPP_PID" || RC=$?
ok=1
if [ "$RC" -eq 0 ]; then echo "ok:   sipp registrar verified the digest and granted the binding"; else
  echo "FAIL: sipp registrar (exit $RC)"; tail -20 "$TMP/registrar.log"; ok=0; fi
for _ in $(seq 30); do grep -q "registration registered" "$TMP/reg.out" && break; sleep 0.1; done
if grep -q "SIP trunk pbx registration registered (status 200)" "$TMP/reg.out"; then
  echo "ok:   the gateway reports trunk pbx registered"; else echo "FAIL: no registered line"; cat "$TMP/reg.out"; ok=0; fi

OPT_PORT=$(free_udp_port)
if sipp -sf "$SRC/gateway/sip/tests/scenarios/options_uac.xml" "$SIP" -i 127.0.0.1 -p "$OPT_PORT" -m 1 \
  -timeout 10s -timeout_error -nostdin >"$TMP/options.log" 2>&1; then
  echo "ok:   OPTIONS to the gateway's SIP listener answered 200"
else
  echo "FAIL: OPTIONS"; tail -20 "$TMP/options.log"; ok=0
fi
stop_bridge reg
[ "$ok" -eq 1 ] || exit 1
echo "PASS"
