#!/usr/bin/env bash
# aiortc (Debian python3-aiortc, /usr/bin/python3) calls `echo` on
# `floe gateway` over the JSON WebSocket protocol: audio frames and
# data-channel messages come back through Floe's ICE, DTLS-SRTP and SCTP.
# A second gateway with --advertise 127.0.0.2 must put that address in its
# candidates and still connect.
set -euo pipefail
SRC="${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}"
FLOE="${FLOE_BIN:?FLOE_BIN must name the floe executable}"
[ -x "$FLOE" ] || { echo "FAIL: $FLOE not built"; exit 1; }
/usr/bin/python3 -c "import aiortc, websockets" 2>/dev/null ||
  { echo "FAIL: python3-aiortc / python3-websockets missing (scripts/deps/test.txt)"; exit 1; }

TMP="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

"$FLOE" gateway --http 127.0.0.1:0 --media-port 0 --media-address 127.0.0.1 \
  --web "$SRC/web" >"$TMP/out" 2>"$TMP/err" &
PID=$!
HTTP=""
for _ in $(seq 100); do
  HTTP="$(awk '/listening http/{print $5}' "$TMP/out")"
  [ -n "$HTTP" ] && break
  sleep 0.1
done
[ -n "$HTTP" ] || { echo "FAIL: floe gateway did not start"; cat "$TMP/out" "$TMP/err"; exit 1; }
cat "$TMP/out"

RC=0
timeout 60 /usr/bin/python3 "$SRC/tests/interop/echo_aiortc.py" "ws://127.0.0.1:$HTTP/ws" || RC=$?
kill -TERM "$PID"
wait "$PID" || { echo "FAIL: floe gateway exited badly"; cat "$TMP/err"; exit 1; }
PID=""
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TMP/err"; then
  echo "FAIL: sanitizer report from floe"; exit 1
fi
[ "$RC" -eq 0 ] || { echo "FAIL: aiortc checks failed"; tail -20 "$TMP/err"; exit 1; }
echo "floe gateway shut down cleanly"

# --advertise: Floe's candidates carry 127.0.0.2 while it listens on
# 127.0.0.1 (a static NAT stand-in). aiortc's checks to 127.0.0.2 go
# nowhere, but Floe's own checks from 127.0.0.1 reach aiortc, which learns
# Floe as peer-reflexive: the call still connects.
"$FLOE" gateway --http 127.0.0.1:0 --media-port 0 --media-address 127.0.0.1 \
  --advertise 127.0.0.2 --web "$SRC/web" >"$TMP/out2" 2>"$TMP/err2" &
PID=$!
HTTP=""
for _ in $(seq 100); do
  HTTP="$(awk '/listening http/{print $5}' "$TMP/out2")"
  [ -n "$HTTP" ] && break
  sleep 0.1
done
[ -n "$HTTP" ] || { echo "FAIL: floe gateway --advertise did not start"; cat "$TMP/out2" "$TMP/err2"; exit 1; }
grep "media udp" "$TMP/out2"
RC=0
EXPECT_ADVERTISED=127.0.0.2 timeout 60 /usr/bin/python3 "$SRC/tests/interop/echo_aiortc.py" \
  "ws://127.0.0.1:$HTTP/ws" || RC=$?
kill -TERM "$PID"
wait "$PID" || { echo "FAIL: floe gateway exited badly"; cat "$TMP/err2"; exit 1; }
PID=""
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TMP/err2"; then
  echo "FAIL: sanitizer report from floe"; exit 1
fi
[ "$RC" -eq 0 ] || { echo "FAIL: aiortc checks with --advertise failed"; exit 1; }
echo "PASS"
