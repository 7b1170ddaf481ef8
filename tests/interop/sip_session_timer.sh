#!/usr/bin/env bash
# Interop: RFC 4028 toward a Floe UAC asking for Session-Expires: 90. sipp
# (gateway/sip/tests/scenarios/uas_422_session_timer.xml) answers 422 with
# Min-SE: 1800; the UserAgent ACKs it and retries by itself with
# Session-Expires/Min-SE 1800 (sipp checks both), and the 2xx makes Floe's
# SessionTimer the refresher with a 1800 s interval.
source "$(dirname "$0")/../../gateway/sip/tests/interop_lib.sh"
SIPP_PORT=$(free_port); PEER_PORT=$(free_port); MEDIA=$(free_port)
CALLS=2
sipp -sf "$SCENARIOS/uas_422_session_timer.xml" -i 127.0.0.1 -p "$SIPP_PORT" -mp "$MEDIA" \
  -m "$CALLS" -timeout 20s -timeout_error -trace_logs -nostdin > sipp.out 2>&1 &
SIPP=$!; PIDS+=("$SIPP")
sleep 0.5
"$PEER" uac --local 127.0.0.1:"$PEER_PORT" --remote 127.0.0.1:"$SIPP_PORT" --calls "$CALLS" \
  --hold-ms 100 --timeout 15 --session-expires 90 > peer.out 2>&1
PEER_RC=$?
wait "$SIPP"; SIPP_RC=$?
cat peer.out
read -r OK FAIL < <(sipp_counts sipp.out)
echo "sipp uas (422 then 200): exit=$SIPP_RC successful=$OK failed=$FAIL"
CHECKED=$(cat ./*_logs.log 2>/dev/null | grep -Ec "checked: retried INVITE Session-Expires +1800")
echo "sipp log lines 'checked: retried INVITE ... 1800': $CHECKED"
check "Floe UAC completed $CALLS calls after a 422 each (the TU never saw the 422)" [ "$PEER_RC" -eq 0 ]
check "the 2xx set a 1800 s session timer with Floe as refresher" \
  [ "$(grep -c 'session timer: active=1 interval=1800 we_refresh=1' peer.out)" = "$CALLS" ]
check "sipp checked the retried INVITEs (Session-Expires and Min-SE 1800) and counted $CALLS calls" \
  [ "$SIPP_RC" -eq 0 -a "$OK" = "$CALLS" -a "$FAIL" = 0 -a "$CHECKED" = "$CALLS" ]
exit $FAILED
