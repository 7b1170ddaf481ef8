#!/usr/bin/env bash
# Final responses from the trunk to a browser's call, with `floe gateway`:
# Chromium calls 5551234, sipp UAS (tests/interop/sip_e2e/uas_final.xml)
# rings then answers 302 / 404 / 480 / 503 / 603 with its own reason phrase.
# Checks for each: `ringing` then `ended` with reason sip-<code> and sipp's
# phrase as the message, never `answered`; Floe ACKs the final response
# (sipp exits 0 only after the ACK); no bridge call stays active.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
start_gateway final --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT" --rtp-ports 48000-48999
RC=0
SIPP_PID=""
trap '[ -n "$SIPP_PID" ] && kill "$SIPP_PID" 2>/dev/null; sip_e2e_cleanup' EXIT
for spec in "302:Moved Temporarily" "404:No Such Number Here" "480:Nobody Home" "503:Trunk Overloaded" "603:Declined By Callee"; do
  code=${spec%%:*}; phrase=${spec#*:}
  sed "s/\[code\]/$code/" "$E2E_DIR/uas_final.xml" >"$TMP/uas_final_$code.xml"
  sipp -sf "$TMP/uas_final_$code.xml" -key phrase "$phrase" -i 127.0.0.1 -p "$SIPP_PORT" \
    -m 1 -nostdin -timeout 30s -timeout_error -trace_err -error_file "$TMP/sipp_$code.err" \
    -trace_msg -message_file "$TMP/sipp_$code.log" >"$TMP/sipp_$code.out" 2>&1 &
  SIPP_PID=$!
  sleep 0.3
  echo "=== $code $phrase"
  (cd "$NODE_DIR" && PORT="$HTTP" TARGET=5551234 EXPECT="sip-$code" EXPECT_MESSAGE="^$phrase\$" node sip_e2e_outgoing.mjs) || RC=1
  S=0
  for _ in $(seq 100); do kill -0 "$SIPP_PID" 2>/dev/null || break; sleep 0.1; done
  kill "$SIPP_PID" 2>/dev/null || true
  wait "$SIPP_PID" || S=$?
  SIPP_PID=""
  if [ "$S" -eq 0 ]; then echo "ok   sipp: Floe ACKed the $code"; else
    echo "FAIL sipp exit $S for $code"; tail -5 "$TMP/sipp_$code.err" 2>/dev/null; tail -30 "$TMP/sipp_$code.log"; RC=1; fi
done
sleep 0.3
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
echo "$METRICS" | grep -qx 'floe_bridge_calls_active 0' || { echo "FAIL: bridge calls left active"; RC=1; }
stop_gateway final
[ "$RC" -eq 0 ] || { echo "--- floe"; tail -20 "$TMP/final.out"; tail -20 "$TMP/final.err"; echo "FAIL"; exit 1; }
echo "PASS"
