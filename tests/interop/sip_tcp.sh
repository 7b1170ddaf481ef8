#!/usr/bin/env bash
# Interop over TCP (RFC 3261 §18.3 framing, the Asio driver in gateway/sip/io):
# sipp UAC -> Floe UAS and Floe UAC -> sipp UAS with -t t1, plus a stream
# whose Content-Length lies (announces ~100 MB): Floe must close that
# connection and keep serving.
source "$(dirname "$0")/../../gateway/sip/tests/interop_lib.sh"

PEER_PORT=$(free_port); SIPP_PORT=$(free_port); MEDIA=$(free_port)
CALLS=3
"$PEER" uas --local 127.0.0.1:"$PEER_PORT" --calls "$CALLS" --timeout 30 --transport tcp \
  > peer_uas.out 2>&1 &
PEER_PID=$!; PIDS+=("$PEER_PID")
sleep 0.3
LIE=$(python3 - "$PEER_PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"OPTIONS sip:floe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKlie\r\n"
          b"From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:floe@127.0.0.1>\r\nCall-ID: lie\r\n"
          b"CSeq: 1 OPTIONS\r\nContent-Length: 99999999\r\n\r\nshort body")
try:
    data = s.recv(4096)
    print("closed" if data == b"" else "answered")
except socket.timeout:
    print("open")
PY
)
echo "content-length lie: connection $LIE"
sipp -sn uac -t t1 127.0.0.1:"$PEER_PORT" -i 127.0.0.1 -p "$SIPP_PORT" -mp "$MEDIA" -m "$CALLS" -r 10 \
  -timeout 25s -timeout_error -nostdin > sipp_uac.out 2>&1
UAC_RC=$?
wait "$PEER_PID"; PEER_RC=$?
cat peer_uas.out
read -r OK FAIL < <(sipp_counts sipp_uac.out)
echo "sipp uac over TCP: exit=$UAC_RC successful=$OK failed=$FAIL"
check "Floe closed the TCP connection whose Content-Length exceeded the body limit" [ "$LIE" = closed ]
check "sipp uac -t t1: $CALLS successful calls to the Floe UAS" \
  [ "$UAC_RC" -eq 0 -a "$OK" = "$CALLS" -a "$FAIL" = 0 -a "$PEER_RC" -eq 0 ]

SIPP_PORT=$(free_port); PEER_PORT=$(free_port); MEDIA=$(free_port)
sipp -sn uas -t t1 -i 127.0.0.1 -p "$SIPP_PORT" -mp "$MEDIA" -m 2 -timeout 25s -timeout_error \
  -nostdin > sipp_uas.out 2>&1 &
SIPP=$!; PIDS+=("$SIPP")
sleep 0.5
"$PEER" uac --local 127.0.0.1:"$PEER_PORT" --remote 127.0.0.1:"$SIPP_PORT" --calls 2 \
  --hold-ms 100 --timeout 20 --transport tcp > peer_uac.out 2>&1
PEER_RC=$?
wait "$SIPP"; SIPP_RC=$?
cat peer_uac.out
read -r OK FAIL < <(sipp_counts sipp_uas.out)
echo "sipp uas over TCP: exit=$SIPP_RC successful=$OK failed=$FAIL"
check "Floe UAC over TCP: 2 calls to sipp uas -t t1 (ACK and BYE on the same connection)" \
  [ "$PEER_RC" -eq 0 -a "$SIPP_RC" -eq 0 -a "$OK" = 2 -a "$FAIL" = 0 ]
exit $FAILED
