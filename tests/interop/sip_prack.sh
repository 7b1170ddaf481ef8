#!/usr/bin/env bash
# Interop: RFC 3262 reliable provisionals toward a Floe UAC. sipp
# (gateway/sip/tests/scenarios/uas_reliable_183.xml) checks Supported:
# 100rel on the INVITE, sends a reliable 183 with SDP (RSeq 1) and a
# reliable 180 (RSeq 2), retransmitting each until the PRACK with the right
# RAck arrives; then 200/ACK/BYE.
source "$(dirname "$0")/../../gateway/sip/tests/interop_lib.sh"
SIPP_PORT=$(free_port); PEER_PORT=$(free_port); MEDIA=$(free_port)
CALLS=3
sipp -sf "$SCENARIOS/uas_reliable_183.xml" -i 127.0.0.1 -p "$SIPP_PORT" -mp "$MEDIA" -m "$CALLS" \
  -timeout 20s -timeout_error -trace_logs -nostdin > sipp.out 2>&1 &
SIPP=$!; PIDS+=("$SIPP")
sleep 0.5
"$PEER" uac --local 127.0.0.1:"$PEER_PORT" --remote 127.0.0.1:"$SIPP_PORT" --calls "$CALLS" \
  --hold-ms 100 --timeout 15 > peer.out 2>&1
PEER_RC=$?
wait "$SIPP"; SIPP_RC=$?
cat peer.out
read -r OK FAIL < <(sipp_counts sipp.out)
echo "sipp uas (reliable 183 + 180): exit=$SIPP_RC successful=$OK failed=$FAIL"
CHECKED=$(cat ./*_logs.log 2>/dev/null | grep -c "checked: PRACK")
echo "sipp log lines 'checked: PRACK ...': $CHECKED"
check "Floe UAC completed $CALLS calls through reliable 183/180" [ "$PEER_RC" -eq 0 ]
check "Floe sent one PRACK per reliable provisional ($((2 * CALLS)))" grep -q "pracks=$((2 * CALLS)) " peer.out
check "sipp verified each PRACK's RAck and counted $CALLS successful calls" \
  [ "$SIPP_RC" -eq 0 -a "$OK" = "$CALLS" -a "$FAIL" = 0 -a "$CHECKED" = $((2 * CALLS)) ]
exit $FAILED
