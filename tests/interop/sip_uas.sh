#!/usr/bin/env bash
# Interop (a): sipp as UAS (built-in "uas" scenario) answers Floe's INVITE
# client transaction and dialog: INVITE -> 180/200 -> ACK -> BYE -> 200.
source "$(dirname "$0")/../../gateway/sip/tests/interop_lib.sh"
SIPP_PORT=$(free_port); PEER_PORT=$(free_port); MEDIA=$(free_port)
CALLS=3
sipp -sn uas -i 127.0.0.1 -p "$SIPP_PORT" -mp "$MEDIA" -m "$CALLS" -timeout 30s -timeout_error \
  -nostdin > sipp.out 2>&1 &
SIPP=$!; PIDS+=("$SIPP")
sleep 0.5
"$PEER" uac --local 127.0.0.1:"$PEER_PORT" --remote 127.0.0.1:"$SIPP_PORT" --calls "$CALLS" \
  --hold-ms 100 --timeout 25 > peer.out 2>&1
PEER_RC=$?
wait "$SIPP"; SIPP_RC=$?
cat peer.out
read -r OK FAIL < <(sipp_counts sipp.out)
echo "sipp uas: exit=$SIPP_RC successful=$OK failed=$FAIL"
check "Floe UAC completed $CALLS calls (INVITE, 2xx, ACK, BYE, 200)" [ "$PEER_RC" -eq 0 ]
check "sipp uas exited 0" [ "$SIPP_RC" -eq 0 ]
check "sipp counted $CALLS successful calls, 0 failed" [ "$OK" = "$CALLS" -a "$FAIL" = 0 ]
exit $FAILED
