#!/usr/bin/env bash
# gateway/media receiving a real call's media from sipp: sipp's uac_pcap
# scenario calls a sipp UAS whose answer points at media_peer's RtpSocket,
# then plays the RTP captures shipped with sipp (7 s of G.711 A-law, then an
# RFC 2833 digit '1' whose end packets repeat one sequence number). media_peer
# accepts with a symmetric-RTP SourceFilter and must: learn sipp's media
# address, drop a third party injecting RTP after the lock ("RTP bleed"),
# count the G.711 stream with no loss (RFC 3550 A.1/A.3) and decode '1' once.
# Then the same captures (all 12 digits) replayed offline through one
# OutboundStream must read as one stream with every digit once.
set -u
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${FLOE_BUILD:-$SRC/build}
PEER=$BUILD/gateway/media/media_peer
CAPS=/usr/share/sip-tester
command -v sipp >/dev/null 2>&1 || { echo "FAIL: sipp not found (Debian package sip-tester)"; exit 1; }
[ -f "$CAPS/g711a.pcap" ] || { echo "FAIL: $CAPS/g711a.pcap missing (Debian package sip-tester)"; exit 1; }
[ -x "$PEER" ] || { echo "FAIL: $PEER not built (target media_peer)"; exit 1; }
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"
free_port() {  # an even UDP port whose +1 is free too (RTP + RTCP)
  python3 -c '
import socket
while True:
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))
    p = a.getsockname()[1]
    if p % 2 or p > 65000: continue
    try:
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", p + 1))
    except OSError: continue
    print(p); break'
}
FAILED=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; FAILED=1; fi
}
mkdir pcap && ln -s "$CAPS/g711a.pcap" "$CAPS/dtmf_2833_1.pcap" pcap/
UAS_PORT=$(free_port); UAC_PORT=$(free_port); UAC_MEDIA=$(free_port); UAS_MEDIA=$(free_port)
PEER_PORT=$(free_port)
"$PEER" listen 127.0.0.1:"$PEER_PORT" 127.0.0.1:"$UAC_MEDIA" 30 > listen.out 2>&1 &
LISTEN=$!; PIDS+=("$LISTEN")
sipp -sf "$SRC/gateway/media/tests/scenarios/media_uas.xml" -i 127.0.0.1 -p "$UAS_PORT" \
  -mp "$UAS_MEDIA" -key peer_port "$PEER_PORT" -m 1 -timeout 30s -nostdin > uas.out 2>&1 &
UAS=$!; PIDS+=("$UAS")
sleep 0.5
sipp -sn uac_pcap 127.0.0.1:"$UAS_PORT" -i 127.0.0.1 -p "$UAC_PORT" -mp "$UAC_MEDIA" -m 1 \
  -timeout 30s -nostdin > uac.out 2>&1 &
UAC=$!; PIDS+=("$UAC")
# Three seconds into the call (the G.711 capture lasts 7 s) a third party
# sprays RTP at the port.
sleep 3
python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
for i in range(5):
    s.sendto(struct.pack("!BBHII", 0x80, 8, 1000 + i, 160 * i, 0xbad) + b"\xd5" * 160,
             ("127.0.0.1", int(sys.argv[1])))' "$PEER_PORT"
wait "$UAC"; UAC_RC=$?
wait "$UAS"; UAS_RC=$?
wait "$LISTEN"; LISTEN_RC=$?
cat listen.out
check "sipp uac_pcap call completed (INVITE, 200, ACK, pcap play, BYE)" [ "$UAC_RC" -eq 0 -a "$UAS_RC" -eq 0 ]
check "media_peer exited 0" [ "$LISTEN_RC" -eq 0 ]
check "learned sipp's media source 127.0.0.1:$UAC_MEDIA" grep -q "learned=127.0.0.1:$UAC_MEDIA " listen.out
check "all 246 captured packets accepted, 5 injected after the lock dropped" \
  grep -q "accepted=246 dropped=5 rtp=246 events=10 rtcp=0 malformed=0 ssrcs=2 " listen.out
check "G.711 stream: 235 received of 235 expected (first on probation), 0 lost" \
  grep -qE "^ssrc=dee0ee8f received=235 expected=235 lost=0 " listen.out
check "RFC 2833 digit '1' decoded once from 10 packets (3 end packets share one seq)" \
  grep -qE "^ssrc=0e05384e received=9 expected=7 lost=-2 duplicates=2 .*" listen.out
check "digits=1" grep -q "digits=1$" listen.out

"$PEER" read-pcap "$CAPS/g711a.pcap" "$CAPS"/dtmf_2833_{0,1,2,3,4,5,6,7,8,9,star,pound}.pcap > replay.out
cat replay.out
check "offline replay: each of the 12 captures yields its digit once" grep -qx "digits=0123456789\*#" replay.out
check "through one OutboundStream: no restart or unconfirmed jump at the receiver, all 12 digits" \
  grep -qE "restarts=0 bad_sequence=0 digits=0123456789\*#$" replay.out
exit $FAILED
