#!/usr/bin/env bash
# DTLS-SRTP keying, SRTP and WebRTC data channels between Floe (floe_dtls_peer:
# DtlsTransport + SctpAssociation over UDP on 127.0.0.1) and werift, a
# TypeScript WebRTC stack with its own DTLS and SCTP (no OpenSSL, no usrsctp),
# driven by dtls/tests/werift/peer.mjs with a small DCEP of its own, and
# werift's SRTP (both profiles) against libsrtp behind Floe. In each
# DTLS role: the RFC 5764 exporter output must match, each side must open a
# channel the other acknowledges (RFC 8832), messages from 0 B to 256 KiB must
# be echoed on ordered and unordered channels, channels close by stream reset
# (RFC 8831 §6.7), then SCTP shuts down and DTLS sends close_notify.
set -euo pipefail
SRC="${FLOE_SRC:?FLOE_SRC not set}"
PEER="${FLOE_BUILD:?FLOE_BUILD not set}/dtls/floe_dtls_peer"
JS_DIR="$SRC/dtls/tests/werift"
[ -x "$PEER" ] || { echo "FAIL: $PEER not built"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node missing"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl missing"; exit 1; }
if [ ! -d "$JS_DIR/node_modules/werift-dtls" ] || [ ! -d "$JS_DIR/node_modules/werift-sctp" ]; then
  command -v npm >/dev/null || { echo "FAIL: npm missing (needed to install werift)"; exit 1; }
  (cd "$JS_DIR" && npm ci --no-audit --no-fund --loglevel=error) || { echo "FAIL: npm ci for werift"; exit 1; }
fi

TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for() {
  for _ in $(seq 1 $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
fail() { echo "FAIL: $*"; for f in "$TMP"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=werift-peer -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
FP="sha-256 $(openssl x509 -in "$TMP/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)"

# Floe's close_notify is checked against OpenSSL in dtls_openssl.sh; werift
# drops an alert it fails to parse without a word, so here it is only reported.
CLOSE_NOTE=""
closed_seen() {
  if wait_for "$TMP/js.log" "JS DTLS CLOSED" 5; then CLOSE_NOTE="werift saw close_notify"
  else CLOSE_NOTE="werift did not report close_notify (not a failure)"; fi
}

check() {  # role-name
  local floe="$TMP/floe.log" js="$TMP/js.log" ours theirs floe_fp
  ours=$(grep -m1 '^KEYING MATERIAL:' "$floe" | awk '{print $3}')
  theirs=$(grep -m1 '^JS KEYING MATERIAL:' "$js" | awk '{print $4}')
  [ -n "$ours" ] && [ "$ours" = "$theirs" ] || fail "$1: keying material differs: floe=$ours werift=$theirs"
  floe_fp=$(grep -m1 '^FINGERPRINT:' "$floe" | cut -d' ' -f2-)
  grep -q "JS DTLS CONNECTED peer=$floe_fp" "$js" || fail "$1: werift saw another certificate"
  for line in "PEER CHANNEL werift-chan" "ECHO OK floe-ordered" "ECHO OK floe-unordered" \
              "CHANNEL CLOSED floe-ordered" "CHANNEL CLOSED floe-unordered" \
              "SCTP CLOSED SCTP shutdown complete" "^CLOSED"; do
    grep -q "$line" "$floe" || fail "$1: floe log lacks '$line'"
  done
  [ "$(grep -c '^PEER MESSAGE werift-chan' "$floe")" -eq 4 ] || fail "$1: floe did not get werift's 4 messages"
  for line in "JS GOT CHANNEL floe-ordered type=0x0 " "JS GOT CHANNEL floe-unordered type=0x80 " \
              "JS CHANNEL ACKED" "JS ECHO OK" "JS STREAMS RESET"; do
    grep -q "$line" "$js" || fail "$1: werift log lacks '$line'"
  done
  echo "ok: $1: exporter output equal, DCEP both ways, 0 B..256 KiB echoed ordered+unordered, stream-reset close, SCTP SHUTDOWN; $CLOSE_NOTE"
}

# Floe = DTLS client (even stream ids), werift = DTLS server (it sends a HelloVerifyRequest).
port=$(free_port)
node "$JS_DIR/peer.mjs" --role server --port "$port" --cert "$TMP/cert.pem" --key "$TMP/key.pem" \
  --timeout 30000 >"$TMP/js.log" 2>&1 &
PIDS+=($!)
wait_for "$TMP/js.log" "JS READY" 10 || fail "werift server did not start"
"$PEER" --role client --connect "127.0.0.1:$port" --peer-fingerprint "$FP" --sctp --timeout-ms 20000 \
  >"$TMP/floe.log" 2>&1 || fail "floe client exited non-zero"
closed_seen
check "Floe client / werift server"

# Floe = DTLS server (odd stream ids), werift = DTLS client.
port=$(free_port)
rm -f "$TMP"/*.log
"$PEER" --role server --listen "127.0.0.1:$port" --peer-fingerprint "$FP" --sctp --timeout-ms 20000 \
  >"$TMP/floe.log" 2>&1 &
floe_pid=$!
PIDS+=($floe_pid)
wait_for "$TMP/floe.log" LISTENING 5 || fail "floe server did not start"
node "$JS_DIR/peer.mjs" --role client --port "$port" --cert "$TMP/cert.pem" --key "$TMP/key.pem" \
  --timeout 30000 >"$TMP/js.log" 2>&1 &
PIDS+=($!)
wait "$floe_pid" || fail "floe server exited non-zero"
closed_seen
check "Floe server / werift client"
# SRTP: each side protects 50 RTP packets with the keys its own DTLS stack
# exported and unprotects the other's (libsrtp under Floe, werift's own SRTP
# in TypeScript), in both DTLS roles and for both profiles werift supports.
srtp_run() {  # floe-role werift-profile-id floe-profile-name
  local port; port=$(free_port)
  rm -f "$TMP"/*.log
  if [ "$1" = client ]; then
    node "$JS_DIR/peer.mjs" --role server --port "$port" --cert "$TMP/cert.pem" --key "$TMP/key.pem" \
      --srtp 50 --profiles "$2" --timeout 20000 >"$TMP/js.log" 2>&1 &
    PIDS+=($!)
    wait_for "$TMP/js.log" "JS READY" 10 || fail "werift server did not start"
    "$PEER" --role client --connect "127.0.0.1:$port" --peer-fingerprint "$FP" --profiles "$3" \
      --srtp 50 --timeout-ms 10000 >"$TMP/floe.log" 2>&1 || fail "SRTP $3: floe client exited non-zero"
  else
    "$PEER" --role server --listen "127.0.0.1:$port" --peer-fingerprint "$FP" --profiles "$3" \
      --srtp 50 --timeout-ms 10000 >"$TMP/floe.log" 2>&1 &
    local floe_pid=$!
    PIDS+=($floe_pid)
    wait_for "$TMP/floe.log" LISTENING 5 || fail "floe server did not start"
    node "$JS_DIR/peer.mjs" --role client --port "$port" --cert "$TMP/cert.pem" --key "$TMP/key.pem" \
      --srtp 50 --profiles "$2" --timeout 20000 >"$TMP/js.log" 2>&1 &
    PIDS+=($!)
    wait "$floe_pid" || fail "SRTP $3: floe server exited non-zero"
  fi
  wait_for "$TMP/js.log" "JS SRTP IN ok=50 bad=0" 5 || fail "SRTP $3: werift did not decrypt Floe's 50 packets"
  grep -q "SRTP IN ok=50 bad=0" "$TMP/floe.log" || fail "SRTP $3: floe did not unprotect werift's 50 packets"
  grep -q "PROFILE: $3" "$TMP/floe.log" || fail "SRTP $3: profile not negotiated"
  echo "ok: SRTP $3, Floe as DTLS $1: 50 packets each way unprotected and checked by the other stack"
}
srtp_run client 1 SRTP_AES128_CM_SHA1_80
srtp_run client 7 SRTP_AEAD_AES_128_GCM
srtp_run server 1 SRTP_AES128_CM_SHA1_80
srtp_run server 7 SRTP_AEAD_AES_128_GCM

echo "PASS: DTLS-SRTP keying, SRTP and data channels interoperate with werift-dtls $(node -p "require('$JS_DIR/node_modules/werift-dtls/package.json').version") / werift-sctp $(node -p "require('$JS_DIR/node_modules/werift-sctp/package.json').version")"
