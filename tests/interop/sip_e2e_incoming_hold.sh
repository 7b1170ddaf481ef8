#!/usr/bin/env bash
# Hold and resume from the trunk on a call the trunk placed to a browser
# (the incoming direction; RFC 3264 §8.4): sipp UAC -> floe gateway ->
# Chromium registered as `carol` (DID 4930555111 routed by --route). After the
# answer sipp plays g711a.pcap, re-INVITEs with a=sendonly (Floe's 200 must
# answer a=recvonly), then a=sendrecv (answered a=sendrecv), then hangs up.
# Checks: sipp's regexps on both re-INVITE answers, the browser call survives
# both re-INVITEs with audio both ways and ends on the BYE, and Floe stops
# sending RTP to the trunk while it is held (a pause of >= 1.5 s toward sipp's
# RTP port in a tshark capture; the hold lasts 2 s).
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
MPORT=$((SIPP_PORT + 2))
start_gateway hold --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,codecs=PCMA+PCMU+telephone-event" \
  --route 4930555111=carol --rtp-ports 44000-44999
FLOE_SIP="$(floe_sip hold)"
[ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
start_capture "$TMP/to_sipp.pcap" "udp and dst host 127.0.0.1 and dst port $MPORT"

RC=0
(cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" USER_NAME=carol DID=4930555111 \
  CASES=hold SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?
stop_capture
python3 "$E2E_DIR/rtp_capture.py" "$TMP/to_sipp.pcap" --pt 8 --min-packets 200 --min-loud 50 --min-gap-ms 1500 || {
  echo "FAIL: RTP toward sipp: too little audio, or Floe kept sending while the trunk held the call (a=recvonly)"; RC=1; }
grep -E '^(INVITE|SIP/2.0 200)|^a=(send|recv)' "$TMP/sipp_hold_messages.log" 2>/dev/null | sed -n '1,40p' | tr '\n' ' ' | sed 's/$/\n/' || true

METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
stop_gateway hold
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/hold.out"; echo "--- floe stderr"; tail -20 "$TMP/hold.err"
  echo "--- sipp"; tail -80 "$TMP/sipp_hold_messages.log" 2>/dev/null
  echo "FAIL"; exit 1
fi
echo "PASS"
