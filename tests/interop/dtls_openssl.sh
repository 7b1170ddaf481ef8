#!/usr/bin/env bash
# DTLS-SRTP interop between Floe's DtlsTransport (driven by floe_dtls_peer over
# UDP on 127.0.0.1) and OpenSSL's own s_server / s_client, in both roles and for
# each SRTP profile: the keying material OpenSSL prints for the RFC 5764
# exporter must equal the one Floe derived, application data must cross both
# ways, close_notify must end the session, and a wrong fingerprint must fail.
set -euo pipefail
PEER="${FLOE_BUILD:?FLOE_BUILD not set}/dtls/floe_dtls_peer"
[ -x "$PEER" ] || { echo "FAIL: $PEER not built"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl command missing"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: python3 missing"; exit 1; }

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
wait_for() {  # file pattern seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
fail() { echo "FAIL: $*"; for f in "$TMP"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=openssl-peer -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
FP="sha-256 $(openssl x509 -in "$TMP/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
echo "openssl peer certificate: $FP"

keylen() { [ "$1" = SRTP_AEAD_AES_128_GCM ] && echo 56 || echo 60; }
checks=0

# Floe is the DTLS client (a=setup:active), OpenSSL s_server the server.
floe_client() {
  local prof="$1" len port
  len=$(keylen "$prof"); port=$(free_port)
  rm -f "$TMP"/*.log "$TMP/in"; mkfifo "$TMP/in"
  openssl s_server -dtls1_2 -accept "127.0.0.1:$port" -cert "$TMP/cert.pem" -key "$TMP/key.pem" \
    -use_srtp "$prof" -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen "$len" -naccept 1 \
    <"$TMP/in" >"$TMP/server.log" 2>&1 &
  PIDS+=($!)
  exec 3>"$TMP/in"
  wait_for "$TMP/server.log" ACCEPT 5 || fail "s_server did not start"
  "$PEER" --role client --connect "127.0.0.1:$port" --peer-fingerprint "$FP" --profiles "$prof" \
    --send "hello-from-floe-$prof" --timeout-ms 8000 >"$TMP/floe.log" 2>&1 || fail "floe client ($prof) exited non-zero"
  wait_for "$TMP/server.log" "hello-from-floe-$prof" 5 || fail "s_server did not receive Floe's data ($prof)"
  exec 3>&-
  local theirs ours
  theirs=$(grep -m1 'Keying material:' "$TMP/server.log" | awk '{print toupper($3)}')
  ours=$(grep -m1 'KEYING MATERIAL:' "$TMP/floe.log" | awk '{print $3}')
  [ -n "$theirs" ] && [ "$theirs" = "$ours" ] || fail "keying material differs ($prof): openssl=$theirs floe=$ours"
  [ ${#ours} -eq $(( len * 2 )) ] || fail "keying material length ($prof)"
  grep -q "SRTP Extension negotiated, profile=$prof" "$TMP/server.log" || fail "s_server did not negotiate $prof"
  grep -q "PROFILE: $prof" "$TMP/floe.log" || fail "floe did not report $prof"
  grep -q "^CLOSED" "$TMP/floe.log" || fail "floe did not close"
  echo "ok: Floe client <-> openssl s_server, $prof, exporter output equal ($len bytes), data + close_notify"
  checks=$((checks + 1))
}

# Floe is the DTLS server (a=setup:passive), OpenSSL s_client the client.
floe_server() {
  local prof="$1" len port
  len=$(keylen "$prof"); port=$(free_port)
  rm -f "$TMP"/*.log "$TMP/in"; mkfifo "$TMP/in"
  "$PEER" --role server --listen "127.0.0.1:$port" --peer-fingerprint "$FP" --profiles "$prof" \
    --timeout-ms 8000 >"$TMP/floe.log" 2>&1 &
  local floe_pid=$!
  PIDS+=($floe_pid)
  wait_for "$TMP/floe.log" LISTENING 5 || fail "floe server did not start"
  openssl s_client -dtls1_2 -connect "127.0.0.1:$port" -cert "$TMP/cert.pem" -key "$TMP/key.pem" \
    -use_srtp "$prof" -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen "$len" \
    <"$TMP/in" >"$TMP/client.log" 2>&1 &
  PIDS+=($!)
  exec 4>"$TMP/in"
  wait_for "$TMP/floe.log" CONNECTED 5 || fail "floe server did not connect ($prof)"
  echo "hello-from-openssl-$prof" >&4
  wait_for "$TMP/floe.log" "APPDATA: hello-from-openssl-$prof" 5 || fail "floe did not receive data ($prof)"
  wait_for "$TMP/client.log" "^hello-from-openssl-$prof" 5 || fail "s_client did not get Floe's echo ($prof)"
  exec 4>&-   # stdin EOF: s_client sends close_notify
  wait "$floe_pid" || fail "floe server exited non-zero ($prof)"
  local theirs ours
  theirs=$(grep -m1 'Keying material:' "$TMP/client.log" | awk '{print toupper($3)}')
  ours=$(grep -m1 'KEYING MATERIAL:' "$TMP/floe.log" | awk '{print $3}')
  [ -n "$theirs" ] && [ "$theirs" = "$ours" ] || fail "keying material differs ($prof): openssl=$theirs floe=$ours"
  grep -q "PROFILE: $prof" "$TMP/floe.log" || fail "floe did not report $prof"
  grep -q "^CLOSED" "$TMP/floe.log" || fail "floe did not see close_notify ($prof)"
  echo "ok: openssl s_client <-> Floe server, $prof, exporter output equal ($len bytes), echo + close_notify"
  checks=$((checks + 1))
}

for prof in SRTP_AES128_CM_SHA1_80 SRTP_AES128_CM_SHA1_32 SRTP_AEAD_AES_128_GCM; do
  floe_client "$prof"
  floe_server "$prof"
done

# A fingerprint that is not the peer's must fail the handshake on Floe's side.
port=$(free_port)
rm -f "$TMP"/*.log "$TMP/in"; mkfifo "$TMP/in"
openssl s_server -dtls1_2 -accept "127.0.0.1:$port" -cert "$TMP/cert.pem" -key "$TMP/key.pem" \
  -use_srtp SRTP_AES128_CM_SHA1_80 -naccept 1 <"$TMP/in" >"$TMP/server.log" 2>&1 &
PIDS+=($!)
exec 3>"$TMP/in"
wait_for "$TMP/server.log" ACCEPT 5 || fail "s_server did not start"
BAD="sha-256 $(echo "${FP#sha-256 }" | sed 's/^../00/')"
if "$PEER" --role client --connect "127.0.0.1:$port" --peer-fingerprint "$BAD" --timeout-ms 5000 >"$TMP/floe.log" 2>&1; then
  fail "floe accepted a certificate whose fingerprint was not signalled"
fi
grep -q "FAILED: .*does not match" "$TMP/floe.log" || fail "no fingerprint-mismatch reason"
exec 3>&-
echo "ok: wrong a=fingerprint fails the handshake with a clear reason"
checks=$((checks + 1))
echo "PASS: $checks DTLS interop checks against $(openssl version)"
