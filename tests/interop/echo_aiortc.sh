#!/usr/bin/env bash
# aiortc (Debian python3-aiortc, /usr/bin/python3) calls `echo` on
# `floe gateway` over the JSON WebSocket protocol: audio frames and
# data-channel messages come back through Floe's ICE, DTLS-SRTP and SCTP.
# A second gateway with --advertise 127.0.0.2 must put that address in its
# candidates and still connect.
set -euo pipefail
source "$(dirname "$0")/gateway_common.bash"
/usr/bin/python3 -c "import aiortc, websockets" 2>/dev/null ||
  { echo "FAIL: python3-aiortc / python3-websockets missing (scripts/deps/test.txt)"; exit 1; }

start_gateway plain

RC=0
timeout 60 /usr/bin/python3 "$SRC/tests/interop/echo_aiortc.py" "ws://127.0.0.1:$HTTP/ws" || RC=$?
stop_gateway plain
[ "$RC" -eq 0 ] || { echo "FAIL: aiortc checks failed"; tail -20 "$TMP/plain.err"; exit 1; }
echo "floe gateway shut down cleanly"

# aiortc's default, the pre-RFC 8841 data-channel form (DTLS/SCTP 5000 +
# a=sctpmap): Floe answers in the same form and the data channel echoes.
start_gateway legacy
RC=0
LEGACY_SCTP=1 timeout 60 /usr/bin/python3 "$SRC/tests/interop/echo_aiortc.py" \
  "ws://127.0.0.1:$HTTP/ws" || RC=$?
stop_gateway legacy
[ "$RC" -eq 0 ] || { echo "FAIL: aiortc checks with the legacy DTLS/SCTP form failed"; exit 1; }
echo "legacy DTLS/SCTP form: PASS"

# --advertise: Floe's candidates carry 127.0.0.2 while it listens on
# 127.0.0.1 (a static NAT stand-in). aiortc's checks to 127.0.0.2 go
# nowhere, but Floe's own checks from 127.0.0.1 reach aiortc, which learns
# Floe as peer-reflexive: the call still connects.
start_gateway advertise --advertise 127.0.0.2
RC=0
EXPECT_ADVERTISED=127.0.0.2 timeout 60 /usr/bin/python3 "$SRC/tests/interop/echo_aiortc.py" \
  "ws://127.0.0.1:$HTTP/ws" || RC=$?
stop_gateway advertise
[ "$RC" -eq 0 ] || { echo "FAIL: aiortc checks with --advertise failed"; exit 1; }
echo "PASS"
