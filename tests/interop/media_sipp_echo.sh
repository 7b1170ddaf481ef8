#!/usr/bin/env bash
# gateway/media against sipp's RTP echo (sipp -rtp_echo, a third-party RTP
# endpoint): media_peer sends 20 ms PCMU through an OutboundStream while its
# upstream switches SSRC and jumps 30000 sequence numbers half way, stamps
# RFC 4733 digits "1#" in, and ends with an RTCP SR+SDES+BYE (rtcp-mux). The
# echo comes back through a strict SourceFilter, ReceiveStats and
# DtmfReceiver: one continuous stream (no loss, no restart), both digits.
set -u
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${FLOE_BUILD:-$SRC/build}
PEER=$BUILD/gateway/media/media_peer
command -v sipp >/dev/null 2>&1 || { echo "FAIL: sipp not found (Debian package sip-tester)"; exit 1; }
[ -x "$PEER" ] || { echo "FAIL: $PEER not built (target media_peer)"; exit 1; }
WORK=$(mktemp -d)
SIPP=""
cleanup() { [ -n "$SIPP" ] && kill "$SIPP" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
SIP_PORT=$(free_port); MEDIA=$(free_port)
sipp -sn uas -i 127.0.0.1 -p "$SIP_PORT" -mp "$MEDIA" -rtp_echo -nostdin > "$WORK/sipp.out" 2>&1 &
SIPP=$!
sleep 0.5
kill -0 "$SIPP" 2>/dev/null || { echo "FAIL: sipp did not start"; cat "$WORK/sipp.out"; exit 1; }
"$PEER" echo 127.0.0.1:"$MEDIA" 150
