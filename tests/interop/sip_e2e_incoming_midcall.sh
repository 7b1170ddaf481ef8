#!/usr/bin/env bash
# Mid-call requests from a trunk on a call it placed to a browser: sipp UAC
# (tests/interop/sip_e2e/uac_midcall.xml) -> floe gateway -> Chromium
# registered as `frank` (DID 4930555444). While sipp's g711a.pcap plays: a
# re-INVITE without SDP (Floe's 200 offers PCMA sendrecv, sipp's ACK
# answers), an in-dialog OPTIONS, an UPDATE; after it a=inactive and an
# RFC 2543 c=0.0.0.0 hold; then BYE. Checks: sipp's regexps on every answer,
# the browser's audio goes on after the SDP-less re-INVITE and the UPDATE,
# the browser's audio reaches sipp (tshark), BYE ends the browser call.
# Run twice: SIP over UDP, then over TCP (sipp -t t1 to Floe's TCP listener).
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

RC=0
for T in u1 t1; do
  SIPP_PORT=$(free_port_block)
  MPORT=$((SIPP_PORT + 2))
  start_gateway "mid$T" --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,codecs=PCMA+PCMU+telephone-event" \
    --route 4930555444=frank --rtp-ports 47000-47999
  FLOE_SIP="$(floe_sip "mid$T")"
  [ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
  start_capture "$TMP/to_sipp_$T.pcap" "udp and dst host 127.0.0.1 and dst port $MPORT"
  echo "=== SIP transport $T"
  (cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" USER_NAME=frank DID=4930555444 \
    TRANSPORT=$T CASES=midcall SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?
  stop_capture
  python3 "$E2E_DIR/rtp_capture.py" "$TMP/to_sipp_$T.pcap" --pt 8 --min-packets 200 --min-loud 50 || {
    echo "FAIL: the browser's audio did not reach sipp ($T)"; RC=1; }
  grep -E '^(INVITE|UPDATE|OPTIONS|ACK|BYE) |^SIP/2.0 [0-9]|^a=(send|recv|inact)|^c=' "$TMP/sipp_midcall_messages.log" 2>/dev/null | tr '\n' ' ' | sed 's/$/\n/' || true
  METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
  echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
  stop_gateway "mid$T"
  if [ "$RC" -ne 0 ]; then
    echo "--- floe stdout"; tail -20 "$TMP/mid$T.out"; echo "--- floe stderr"; tail -20 "$TMP/mid$T.err"
    echo "--- sipp"; tail -80 "$TMP/sipp_midcall_messages.log" 2>/dev/null
    echo "FAIL ($T)"; exit 1
  fi
  mv "$TMP/sipp_midcall_messages.log" "$TMP/sipp_midcall_$T.log"
done
echo "PASS"
