#!/usr/bin/env bash
# A SIP trunk rings a browser through `floe gateway`: sipp UAC -> Floe ->
# headless Chromium registered as `bob` and auto-answering. Floe routes DID
# 4930555000 to bob (--route) and takes INVITEs only from its trunk (sipp,
# --trunk proxy=127.0.0.1:<sipp port>). Checks:
#  - play: sipp plays g711a.pcap; the 200 OK answers PCMA; the browser's
#    inbound-rtp packetsReceived and totalAudioEnergy grow while an <audio>
#    element plays the track; Chromium's fake microphone reaches sipp's RTP
#    port as PCMA with sound in it (tshark capture decoded here, not Floe's
#    own counters); BYE from sipp ends the browser call (`ended` hangup).
#  - refused: an INVITE from 127.0.0.2 (not a trunk) gets 403, one to a DID
#    with no route and no such browser user gets 480; neither rings the browser.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
MPORT=$((SIPP_PORT + 2))
start_gateway in --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,codecs=PCMA+PCMU+telephone-event" \
  --route 4930555000=bob --rtp-ports 42000-42999
FLOE_SIP="$(floe_sip in)"
[ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
start_capture "$TMP/to_sipp.pcap" "udp and dst host 127.0.0.1 and dst port $MPORT"

RC=0
(cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" USER_NAME=bob DID=4930555000 \
  CASES=play,refused SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?
stop_capture
# About 7 s answered: >= 250 packets of 20 ms toward sipp, >= 50 with sound.
python3 "$E2E_DIR/rtp_capture.py" "$TMP/to_sipp.pcap" --pt 8 --min-packets 250 --min-loud 50 || {
  echo "FAIL: the browser's audio did not reach sipp's RTP port as PCMA with sound"; RC=1; }

METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
echo "$METRICS" | grep -qx 'floe_sip_calls_in_not_from_trunk_total 1' || { echo "FAIL: floe_sip_calls_in_not_from_trunk_total is not 1"; RC=1; }
stop_gateway in
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/in.out"; echo "--- floe stderr"; tail -20 "$TMP/in.err"
  for f in "$TMP"/sipp_*_messages.log; do [ -f "$f" ] && { echo "--- $f"; tail -60 "$f"; }; done
  echo "FAIL"; exit 1
fi
echo "PASS"
