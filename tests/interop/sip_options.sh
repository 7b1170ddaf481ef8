#!/usr/bin/env bash
# Interop (d): inbound OPTIONS answered 200 by the UserAgent core (Allow
# lists INVITE, Via rport filled in, RFC 3581), and a malformed request
# answered 400 with a reason naming the bad header; scenario
# gateway/sip/tests/scenarios/options_uac.xml. A call afterwards proves the
# UAS is still healthy.
source "$(dirname "$0")/../../gateway/sip/tests/interop_lib.sh"
PEER_PORT=$(free_port); SIPP_PORT=$(free_port); MEDIA=$(free_port)
"$PEER" uas --local 127.0.0.1:"$PEER_PORT" --calls 1 --timeout 30 > peer.out 2>&1 &
PEER_PID=$!; PIDS+=("$PEER_PID")
sleep 0.3
sipp -sf "$SCENARIOS/options_uac.xml" 127.0.0.1:"$PEER_PORT" -i 127.0.0.1 -p "$SIPP_PORT" -m 1 \
  -timeout 10s -timeout_error -nostdin -trace_logs > sipp_options.out 2>&1
OPT_RC=$?
cat options_uac_*_logs.log 2>/dev/null
read -r OK FAIL < <(sipp_counts sipp_options.out)
echo "sipp options: exit=$OPT_RC successful=$OK failed=$FAIL"
sipp -sn uac 127.0.0.1:"$PEER_PORT" -i 127.0.0.1 -p "$SIPP_PORT" -mp "$MEDIA" -m 1 -timeout 10s \
  -timeout_error -nostdin > sipp_call.out 2>&1
CALL_RC=$?
wait "$PEER_PID"; PEER_RC=$?
cat peer.out
check "OPTIONS got 200 with Allow: INVITE and rport; malformed request got 400 naming Max-Forwards" \
  [ "$OPT_RC" -eq 0 -a "$OK" = 1 -a "$FAIL" = 0 ]
check "a call after the bad request still completes" [ "$CALL_RC" -eq 0 -a "$PEER_RC" -eq 0 ]
check "the UAS counted exactly one bad request" grep -q "bad_requests=1" peer.out
exit $FAILED
