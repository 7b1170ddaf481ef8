#!/usr/bin/env bash
# Interop (b): sipp as UAC (built-in "uac" scenario) calls a Floe UAS that
# answers 180 + 200 with SDP, receives the ACK and answers the BYE.
source "$(dirname "$0")/../../gateway/sip/tests/interop_lib.sh"
PEER_PORT=$(free_port); SIPP_PORT=$(free_port); MEDIA=$(free_port)
CALLS=5
"$PEER" uas --local 127.0.0.1:"$PEER_PORT" --calls "$CALLS" --timeout 30 > peer.out 2>&1 &
PEER_PID=$!; PIDS+=("$PEER_PID")
sleep 0.3
sipp -sn uac 127.0.0.1:"$PEER_PORT" -i 127.0.0.1 -p "$SIPP_PORT" -mp "$MEDIA" -m "$CALLS" -r 10 \
  -timeout 25s -timeout_error -nostdin > sipp.out 2>&1
SIPP_RC=$?
wait "$PEER_PID"; PEER_RC=$?
cat peer.out
read -r OK FAIL < <(sipp_counts sipp.out)
echo "sipp uac: exit=$SIPP_RC successful=$OK failed=$FAIL"
check "sipp uac exited 0" [ "$SIPP_RC" -eq 0 ]
check "sipp counted $CALLS successful calls, 0 failed" [ "$OK" = "$CALLS" -a "$FAIL" = 0 ]
check "Floe UAS saw $CALLS ACKs and $CALLS BYEs" [ "$PEER_RC" -eq 0 ]
exit $FAILED
