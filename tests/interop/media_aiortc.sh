#!/usr/bin/env bash
# gateway/media's RTP/RTCP codec against aiortc's (python3-aiortc), both
# directions: Floe-written SR/RR/SDES/BYE parsed by aiortc, aiortc-written
# SR/RR/SDES/BYE/PLI/NACK parsed by Floe, aiortc RTP with CSRCs, RFC 8285
# extensions and padding rewritten in place by OutboundStream and read back.
set -u
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${FLOE_BUILD:-$SRC/build}
PEER=$BUILD/gateway/media/media_peer
[ -x "$PEER" ] || { echo "FAIL: $PEER not built (target media_peer)"; exit 1; }
/usr/bin/python3 -c 'import aiortc' 2>/dev/null || { echo "FAIL: python3-aiortc not installed"; exit 1; }
exec /usr/bin/python3 "$SRC/tests/interop/media_aiortc.py" "$PEER"
