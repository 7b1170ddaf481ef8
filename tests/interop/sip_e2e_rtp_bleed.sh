#!/usr/bin/env bash
# RTP bleed on the SIP side of a bridged call (DESIGN.md "RTP bleed"): sipp UAC
# -> floe gateway -> Chromium registered as `hank`; sipp plays g711a.pcap from
# the moment of its ACK, so symmetric RTP locks onto sipp. 2.5 s later a
# stranger on 127.0.0.2 sends 150 loud PCMA packets (fresh SSRC) to Floe's
# SIP-side RTP ports (the gateway gets a 4-port range so the target is known).
# Checks: every injected packet is dropped as reason="source"; the browser
# receives no more packets than sipp sent (floe_bridge_rtp_to_browser_packets_total
# <= floe_bridge_rtp_from_sip_packets_total and <= the pcap's count); the call
# itself (audio both ways, BYE) is unaffected.
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
RTP_MIN=$(free_port_block)
start_gateway bleed --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,codecs=PCMA+PCMU+telephone-event" \
  --route 4930555666=hank --rtp-ports "$RTP_MIN-$((RTP_MIN + 3))"
FLOE_SIP="$(floe_sip bleed)"
[ -n "$FLOE_SIP" ] || { echo "FAIL: no 'floe gateway: sip' line"; exit 1; }
PCAP_PACKETS=$(tshark -r /usr/share/sip-tester/g711a.pcap -Y udp 2>/dev/null | wc -l)
INJ_PID=""
trap '[ -n "$INJ_PID" ] && kill "$INJ_PID" 2>/dev/null; sip_e2e_cleanup' EXIT
# The call is answered about 1.5 s after the page loads; inject from ~4 s on.
python3 "$E2E_DIR/rtp_inject.py" 127.0.0.2 5 150 "$RTP_MIN" "$((RTP_MIN + 2))" >"$TMP/inject.out" 2>&1 &
INJ_PID=$!
RC=0
(cd "$NODE_DIR" && PORT="$HTTP" FLOE_SIP="$FLOE_SIP" SIPP_PORT="$SIPP_PORT" USER_NAME=hank DID=4930555666 \
  CASES=play SCEN="$E2E_DIR" WORK="$TMP" node sip_e2e_incoming.mjs) || RC=$?
wait "$INJ_PID" || { echo "FAIL: injector"; RC=1; }
INJ_PID=""
cat "$TMP/inject.out"
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
metric() { echo "$METRICS" | awk -v m="$1" '$1 == m {print $2}'; }
SRC_DROPS=$(metric 'floe_bridge_drops_total{reason="source"}')
FROM_SIP=$(metric floe_bridge_rtp_from_sip_packets_total)
TO_BROWSER=$(metric floe_bridge_rtp_to_browser_packets_total)
echo "g711a.pcap: $PCAP_PACKETS packets; Floe: from SIP $FROM_SIP, to browser $TO_BROWSER, dropped (source) ${SRC_DROPS:-0}"
[ "${SRC_DROPS:-0}" -ge 150 ] && echo "ok   the injected packets were dropped as reason=source (${SRC_DROPS})" || {
  echo "FAIL injected packets not counted as source drops (${SRC_DROPS:-0} < 150)"; RC=1; }
[ "${TO_BROWSER:-0}" -le "${FROM_SIP:-0}" ] && [ "${FROM_SIP:-0}" -le "$PCAP_PACKETS" ] && echo "ok   nothing but sipp's stream reached the browser ($TO_BROWSER <= $FROM_SIP <= $PCAP_PACKETS)" || {
  echo "FAIL the stranger's RTP bled into the call (to browser $TO_BROWSER, from SIP $FROM_SIP, pcap $PCAP_PACKETS)"; RC=1; }
stop_gateway bleed
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/bleed.out"; echo "--- floe stderr"; tail -20 "$TMP/bleed.err"
  echo "FAIL"; exit 1
fi
echo "PASS"
