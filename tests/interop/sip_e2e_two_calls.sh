#!/usr/bin/env bash
# Two trunk calls at once to two browsers through one floe gateway: page 1
# registered as `ivy` (DID 4930555777), page 2 as `jack` (DID 4930555888),
# two sipp UACs from the trunk's address. sipp A plays g711a.pcap to ivy and
# hangs up after 7 s; sipp B sends no RTP to jack. Checks: each browser is
# rung exactly once; ivy hears the pcap and her audio reaches sipp A; jack
# receives no packet at all and only one stream reaches sipp A's RTP port
# (no cross-talk either way), and his call ends on the media
# timeout (--media-timeout 4, BYE to sipp B) while ivy's goes on to sipp A's BYE.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
SIPP_PORT2=$(free_port_block)
start_gateway two --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,codecs=PCMA+PCMU+telephone-event" \
  --route 4930555777=ivy --route 4930555888=jack --media-timeout 4 --rtp-ports 50000-50999
FLOE_SIP="$(floe_sip two)"
[ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
start_capture "$TMP/to_sipp.pcap" "udp and dst host 127.0.0.1 and dst port $((SIPP_PORT + 2))"
RC=0
(cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" SIPP_PORT2="$SIPP_PORT2" \
  USER_NAME=ivy DID=4930555777 USER2=jack DID2=4930555888 MEDIA_TIMEOUT=4 \
  CASES=pair SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?
stop_capture
python3 "$E2E_DIR/rtp_capture.py" "$TMP/to_sipp.pcap" --pt 8 --min-packets 250 --min-loud 50 --max-ssrcs 1 || {
  echo "FAIL: ivy's audio did not reach sipp A, or a second stream (jack's) did"; RC=1; }
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
stop_gateway two
grep -E "bridge call" "$TMP/two.out" | tail -3 || true
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/two.out"; echo "--- floe stderr"; tail -20 "$TMP/two.err"
  for f in "$TMP"/sipp_*messages.log; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done
  echo "FAIL"; exit 1
fi
echo "PASS"
