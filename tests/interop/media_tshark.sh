#!/usr/bin/env bash
# gateway/media's packets read by Wireshark's dissectors (tshark): media_peer
# sends a PCMU stream through OutboundStream (upstream SSRC switch + sequence
# jump half way) with RFC 4733 digits "1#" from DtmfSender and an RTCP
# SR+SDES+BYE, to sipp's RTP echo, and writes what it sent as a pcap. tshark
# must see one RTP stream with no loss and no problems, the events with the
# RFC 4733 §2.5 shape (marker on the first, duration growing by 160, E bit on
# the last three of the same duration), and the RTCP fields we wrote.
set -u
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${FLOE_BUILD:-$SRC/build}
PEER=$BUILD/gateway/media/media_peer
command -v sipp >/dev/null 2>&1 || { echo "FAIL: sipp not found (Debian package sip-tester)"; exit 1; }
command -v tshark >/dev/null 2>&1 || { echo "FAIL: tshark not found (Debian package tshark)"; exit 1; }
[ -x "$PEER" ] || { echo "FAIL: $PEER not built (target media_peer)"; exit 1; }
WORK=$(mktemp -d)
SIPP=""
cleanup() { [ -n "$SIPP" ] && kill "$SIPP" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
FAILED=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; FAILED=1; fi
}
SIP_PORT=$(free_port); MEDIA=$(free_port)
sipp -sn uas -i 127.0.0.1 -p "$SIP_PORT" -mp "$MEDIA" -rtp_echo -nostdin > "$WORK/sipp.out" 2>&1 &
SIPP=$!
sleep 0.5
"$PEER" echo 127.0.0.1:"$MEDIA" 100 "$WORK/sent.pcap" > "$WORK/peer.out"
check "media_peer echo through sipp passed" [ $? -eq 0 ]
tail -1 "$WORK/peer.out"
TS=(tshark -r "$WORK/sent.pcap" -d "udp.port==$MEDIA,rtp" -o rtpevent.event_payload_type_value:101)

"${TS[@]}" -q -z rtp,streams 2>/dev/null > "$WORK/streams.txt"
grep -E "0x[0-9A-F]{8}" "$WORK/streams.txt"
STREAMS=$(grep -cE "0x[0-9A-F]{8}" "$WORK/streams.txt")
check "tshark sees exactly one RTP stream (one SSRC across the upstream switch)" [ "$STREAMS" = 1 ]
check "tshark: 0 lost" grep -qE " 0 \(0\.0%\)" "$WORK/streams.txt"
check "tshark: no stream problem flagged (sequence errors, wrong timestamps)" \
  bash -c "! grep -E '0x[0-9A-F]{8}' '$WORK/streams.txt' | grep -q ' X *$'"

"${TS[@]}" -Y rtpevent -T fields -e rtp.marker -e rtpevent.event_id -e rtpevent.end_of_event \
  -e rtpevent.duration 2>/dev/null | tr '\t' ':' | tr '\n' ' ' > "$WORK/events.txt"
echo "events (marker:event:end:duration): $(cat "$WORK/events.txt")"
WANT_1="1:1:0:160 0:1:0:320 0:1:0:480 0:1:0:640 0:1:1:800 0:1:1:800 0:1:1:800"
WANT_H="1:11:0:160 0:11:0:320 0:11:0:480 0:11:0:640 0:11:1:800 0:11:1:800 0:11:1:800"
check "RFC 4733 events for '1' then '#' (event 11) decoded by tshark as sent" \
  [ "$(cat "$WORK/events.txt")" = "$WANT_1 $WANT_H " ]

RTCP=$("${TS[@]}" -Y rtcp -T fields -e rtcp.pt -e rtcp.sender.packetcount -e rtcp.sdes.text 2>/dev/null)
echo "rtcp (types, SR packet count, SDES/BYE text): $RTCP"
SENT=$(grep -oE "sent [0-9]+ audio \+ [0-9]+ event" "$WORK/peer.out" | awk '{print $2 + $5}')
check "tshark reads SR+SDES+BYE with the sent packet count ($SENT) and our CNAME" \
  [ "$RTCP" = "$(printf '200,202,203\t%s\tmedia_peer@floe,done' "$SENT")" ]
BAD=$("${TS[@]}" -Y "_ws.malformed || _ws.expert.severity >= warning" 2>/dev/null | wc -l)
FRAMES=$("${TS[@]}" 2>/dev/null | wc -l)
check "no malformed packet or expert warning in $FRAMES frames" [ "$BAD" = 0 -a "$FRAMES" -ge 95 ]
exit $FAILED
