#!/usr/bin/env bash
# Interop: INVITE cases against sipp scenarios in gateway/sip/tests/scenarios:
#  - uas_invite_digest.xml: 401 on INVITE, Floe ACKs it, re-INVITEs with a
#    digest that sipp's verifyauth accepts (and refuses with a wrong password)
#  - uas_busy.xml: 486, the INVITE client transaction's ACK (CSeq n ACK)
#  - uas_ringing_cancel.xml: Floe CANCELs a ringing call, ACKs the 487
#  - uac_cancel.xml: sipp CANCELs a ringing Floe UAS: 200 for CANCEL, 487
source "$(dirname "$0")/../../gateway/sip/tests/interop_lib.sh"

uac_case() {  # uac_case NAME SCENARIO CALLS PEER-ARGS...
  local name=$1 scenario=$2 calls=$3
  shift 3
  local sp_port peer_port
  sp_port=$(free_port); peer_port=$(free_port)
  sipp -sf "$SCENARIOS/$scenario" -i 127.0.0.1 -p "$sp_port" -m "$calls" -timeout 15s \
    -timeout_error -nostdin > "sipp_$name.out" 2>&1 &
  local sp=$!; PIDS+=("$sp")
  sleep 0.5
  "$PEER" uac --local 127.0.0.1:"$peer_port" --remote 127.0.0.1:"$sp_port" --calls "$calls" \
    --timeout 10 "$@" > "peer_$name.out" 2>&1
  PEER_RC=$?
  wait "$sp"; SIPP_RC=$?
  read -r OK FAIL < <(sipp_counts "sipp_$name.out")
  echo "[$name] $(cat "peer_$name.out") | sipp exit=$SIPP_RC successful=$OK failed=$FAIL"
}

uac_case digest uas_invite_digest.xml 2 --user alice --password s3cret
check "401 on INVITE: ACKed, re-INVITE (CSeq 2) digest verified by sipp, call answered and ended" \
  [ "$PEER_RC" -eq 0 -a "$SIPP_RC" -eq 0 -a "$OK" = 2 -a "$FAIL" = 0 ]
uac_case badpass uas_invite_digest.xml 1 --user alice --password nope
SAW_403=no; grep -q "failed=1" peer_badpass.out && grep -q "INVITE failed: 403" peer_badpass.out && SAW_403=yes
check "wrong password on INVITE: sipp refuses (403), Floe ACKs it and reports the failure" \
  [ "$PEER_RC" -ne 0 -a "$FAIL" = 1 -a "$SAW_403" = yes ]
uac_case busy uas_busy.xml 3 --expect 486
check "486 Busy Here: the transaction ACKed each final, sipp saw 3 complete calls" \
  [ "$PEER_RC" -eq 0 -a "$SIPP_RC" -eq 0 -a "$OK" = 3 -a "$FAIL" = 0 ]
uac_case cancel uas_ringing_cancel.xml 2 --expect 487 --cancel-after-ms 100
check "Floe CANCELs after 180: sipp got CANCEL, sent 200 + 487, got the ACK" \
  [ "$PEER_RC" -eq 0 -a "$SIPP_RC" -eq 0 -a "$OK" = 2 -a "$FAIL" = 0 ]

PEER_PORT=$(free_port); SIPP_PORT=$(free_port); MEDIA=$(free_port)
"$PEER" uas --local 127.0.0.1:"$PEER_PORT" --calls 2 --answer-after-ms 5000 --timeout 15 \
  > peer_uas.out 2>&1 &
PP=$!; PIDS+=("$PP")
sleep 0.3
sipp -sf "$SCENARIOS/uac_cancel.xml" 127.0.0.1:"$PEER_PORT" -i 127.0.0.1 -p "$SIPP_PORT" \
  -mp "$MEDIA" -m 2 -timeout 10s -timeout_error -nostdin > sipp_uac_cancel.out 2>&1
SIPP_RC=$?
wait "$PP"; PEER_RC=$?
read -r OK FAIL < <(sipp_counts sipp_uac_cancel.out)
echo "[uas-cancel] $(cat peer_uas.out) | sipp exit=$SIPP_RC successful=$OK failed=$FAIL"
check "sipp CANCELs a ringing Floe UAS twice: 200 + 487 each time, no 200 OK sent" \
  [ "$PEER_RC" -eq 0 -a "$SIPP_RC" -eq 0 -a "$OK" = 2 -a "$FAIL" = 0 ]
check "the UAS reported 2 cancelled INVITEs" grep -q "cancelled=2" peer_uas.out
exit $FAILED
