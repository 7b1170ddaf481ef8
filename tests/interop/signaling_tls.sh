#!/usr/bin/env bash
# With a certificate and key configured, the signaling port speaks HTTPS and
# WSS (Node's TLS stack as the peer, trusting a throwaway self-signed cert).
set -euo pipefail
SRC="${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}"
BUILD="${FLOE_BUILD:?FLOE_BUILD must name the build directory}"
SERVER="$BUILD/signaling/signaling_server_test_main"
NODE_DIR="$SRC/tests/browser"
[ -x "$SERVER" ] || { echo "FAIL: $SERVER not built"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl missing"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node is not installed"; exit 1; }
[ -d "$NODE_DIR/node_modules/ws" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

TMP="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
"$SERVER" --bind 127.0.0.1 --port 0 --web "$SRC/web" --cert "$TMP/cert.pem" --key "$TMP/key.pem" \
  >"$TMP/out" 2>"$TMP/err" &
PID=$!
PORT=""
for _ in $(seq 50); do
  PORT="$(awk '/^listening/{print $2}' "$TMP/out")"
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "FAIL: server did not start"; cat "$TMP/err"; exit 1; }
echo "TLS signaling test server on 127.0.0.1:$PORT"
cd "$NODE_DIR"
PORT="$PORT" CA="$TMP/cert.pem" node tls_test.mjs
kill -TERM "$PID"; wait "$PID" || { echo "FAIL: server exited badly"; cat "$TMP/err"; exit 1; }
PID=""
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TMP/err"; then
  echo "FAIL: sanitizer report from the server"; exit 1
fi

# A certificate that cannot be loaded is a clear startup error.
if "$SERVER" --port 0 --cert "$TMP/missing.pem" --key "$TMP/key.pem" >"$TMP/out2" 2>"$TMP/err2"; then
  echo "FAIL: server started with a missing certificate"; exit 1
fi
grep -q "cannot load TLS certificate" "$TMP/err2" || { echo "FAIL: no clear error"; cat "$TMP/err2"; exit 1; }
echo "ok   missing certificate -> clear startup error"
