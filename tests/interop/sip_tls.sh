#!/usr/bin/env bash
# Interop over TLS (RFC 3261 §26.2, RFC 5630): Floe's Asio driver with TLS
# against baresip (libre's SIP/TLS on OpenSSL). Debian's sipp is built
# without TLS (`sipp -h` lists no l1/ln transport), so baresip is the
# third-party TLS peer here. Certificates come from a CA made for the test;
# each side verifies the other's server certificate against it.
#  (a) baresip UAC -> Floe UAS (its account adds ;transport=tls): INVITE, 200, ACK, BYE over one TLS
#      connection (baresip hangs up when it quits).
#  (b) Floe UAC -> baresip UAS (auto-answer): INVITE sips:, 200, ACK, BYE.
#  (c) Floe UAC trusting a different CA refuses baresip's certificate.
source "$(dirname "$0")/../../gateway/sip/tests/interop_lib.sh"

if ! command -v baresip >/dev/null 2>&1; then
  echo "FAIL: baresip not found (Debian package baresip-core, listed in scripts/deps/test.txt)"
  exit 1
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "FAIL: openssl not found"
  exit 1
fi

# ---- certificates: a test CA, a leaf for Floe and one for baresip (IP SAN 127.0.0.1)
mkcert() {  # mkcert NAME CA_PREFIX
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" \
    -subj "/CN=$1" 2>/dev/null
  printf "subjectAltName=IP:127.0.0.1\n" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -out "$1.crt" \
    -days 1 -extfile "$1.ext" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
  -days 1 -subj "/CN=Floe interop CA" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout otherca.key \
  -out otherca.crt -days 1 -subj "/CN=Some other CA" 2>/dev/null
mkcert floe ca
mkcert baresip ca
cat baresip.crt baresip.key > baresip.pem
check "test certificates generated" [ -s floe.crt -a -s baresip.pem ]

# baresip listens for TLS on its SIP port + 1. No sound card: a sine source
# (48 kHz stereo is all ausine offers) and no player (baresip logs that and
# carries on with the call).
baresip_conf() {  # baresip_conf DIR PORT ACCOUNT
  mkdir -p "$1"
  cat > "$1/config" <<EOF
poll_method epoll
sip_listen 127.0.0.1:$2
sip_certificate $WORK/baresip.pem
sip_cafile $WORK/ca.crt
call_local_timeout 30
audio_source ausine,440
ausrc_srate 48000
ausrc_channels 2
audio_player aufile,/dev/null
audio_alert aufile,/dev/null
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aufile.so
module_tmp uuid.so
module_tmp account.so
module_app contact.so
module_app menu.so
EOF
  echo "$3" > "$1/accounts"
  : > "$1/contacts"
}

# Two consecutive free ports (SIP on P, TLS on P+1) for baresip.
pair_port() {
  python3 - <<'PY'
import socket
for _ in range(200):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    try:
        b = socket.socket(); b.bind(("127.0.0.1", p + 1)); b.close(); a.close(); print(p); break
    except OSError:
        a.close()
PY
}

# wait_port PORT: until something accepts TCP on 127.0.0.1:PORT (10 s at most).
wait_port() {
  python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# ---- (a) baresip UAC -> Floe UAS over TLS
PEER_PORT=$(pair_port); TLS_PORT=$((PEER_PORT + 1)); BS_PORT=$(pair_port)
"$PEER" uas --local 127.0.0.1:"$PEER_PORT" --calls 1 --timeout 30 --transport tls \
  --cert floe.crt --key floe.key --ca ca.crt --tls-port "$TLS_PORT" > peer_uas.out 2>&1 &
PEER_PID=$!; PIDS+=("$PEER_PID")
wait_port "$TLS_PORT"
baresip_conf bs_uac "$BS_PORT" "<sip:alice@127.0.0.1;transport=tls>;regint=0"
# -t: baresip quits (and hangs up with BYE) after that many seconds.
timeout 30 baresip -f "$WORK/bs_uac" -s -t 4 -e "/dial sip:floe@127.0.0.1:$TLS_PORT" \
  < /dev/null > baresip_uac.out 2>&1 &
BS_PID=$!; PIDS+=("$BS_PID")
wait "$PEER_PID"; PEER_RC=$?
wait "$BS_PID"
cat peer_uas.out
grep -E "^(INVITE|SIP/2.0|BYE|ACK) " baresip_uac.out | sed 's/^/baresip(a): /' | head -12
check "baresip UAC -> Floe UAS over TLS: INVITE answered, ACK and BYE received" [ "$PEER_RC" -eq 0 ]
check "baresip saw Floe's 200 OK" grep -q "SIP/2.0 200 OK" baresip_uac.out
check "Floe UAS carried the call on TLS only (tls_in >= 3, no UDP/TCP)" \
  grep -Eq "udp_in=0 .*tcp_in=0 tls_in=([3-9]|[1-9][0-9])" peer_uas.out

# ---- (b) Floe UAC -> baresip UAS (auto-answer) over TLS, verifying baresip
BS_PORT=$(pair_port); PEER_PORT=$(pair_port)
baresip_conf bs_uas "$BS_PORT" "<sip:service@127.0.0.1;transport=tls>;regint=0;answermode=auto"
timeout 30 baresip -f "$WORK/bs_uas" -s -t 12 < /dev/null > baresip_uas.out 2>&1 &
BS_PID=$!; PIDS+=("$BS_PID")
wait_port $((BS_PORT + 1))
"$PEER" uac --local 127.0.0.1:"$PEER_PORT" --remote 127.0.0.1:$((BS_PORT + 1)) --calls 2 \
  --hold-ms 500 --timeout 20 --transport tls --cert floe.crt --key floe.key --ca ca.crt \
  --tls-port $((PEER_PORT + 1)) > peer_uac.out 2>&1
PEER_RC=$?
kill "$BS_PID" 2>/dev/null; wait "$BS_PID" 2>/dev/null
cat peer_uac.out
grep -E "^(INVITE|SIP/2.0|BYE|ACK) " baresip_uas.out | sed 's/^/baresip(b): /' | head -12
check "Floe UAC -> baresip UAS over TLS: 2 calls answered, ACKed and ended with BYE" [ "$PEER_RC" -eq 0 ]
check "baresip received Floe's BYE over TLS" grep -q "^BYE sip" baresip_uas.out
check "Floe verified baresip's certificate (no handshake failure)" \
  grep -q "handshake_failures=0" peer_uac.out

# ---- (c) a CA that did not sign baresip's certificate: no call
BS_PORT=$(pair_port); PEER_PORT=$(pair_port)
baresip_conf bs_uas2 "$BS_PORT" "<sip:service@127.0.0.1;transport=tls>;regint=0;answermode=auto"
timeout 30 baresip -f "$WORK/bs_uas2" -t 8 < /dev/null > baresip_uas2.out 2>&1 &
BS_PID=$!; PIDS+=("$BS_PID")
wait_port $((BS_PORT + 1))
"$PEER" uac --local 127.0.0.1:"$PEER_PORT" --remote 127.0.0.1:$((BS_PORT + 1)) --calls 1 \
  --timeout 6 --transport tls --ca otherca.crt --tls-port $((PEER_PORT + 1)) > peer_bad.out 2>&1
BAD_RC=$?
kill "$BS_PID" 2>/dev/null; wait "$BS_PID" 2>/dev/null
cat peer_bad.out
check "Floe UAC trusting another CA refuses baresip's certificate (call fails)" [ "$BAD_RC" -ne 0 ]
check "the refusal was a TLS handshake failure" grep -Eq "handshake_failures=[1-9]" peer_bad.out
exit $FAILED
