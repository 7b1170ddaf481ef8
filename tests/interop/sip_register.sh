#!/usr/bin/env bash
# Interop (c): Floe's Registration against a sipp registrar scenario
# (gateway/sip/tests/scenarios/registrar_digest.xml) that challenges with 401
# and checks the digest with sipp's own verifyauth: initial REGISTER, digest
# retry, refresh reusing the nonce with nc=2, then Expires: 0. A second run
# with a wrong password must fail on both sides.
source "$(dirname "$0")/../../gateway/sip/tests/interop_lib.sh"

run() {  # run PASSWORD -> sets PEER_RC SIPP_RC OK FAIL
  local reg_port peer_port
  reg_port=$(free_port); peer_port=$(free_port)
  sipp -sf "$SCENARIOS/registrar_digest.xml" -i 127.0.0.1 -p "$reg_port" -m 1 -timeout 20s \
    -timeout_error -nostdin > "sipp_$1.out" 2>&1 &
  local sp=$!; PIDS+=("$sp")
  sleep 0.5
  "$PEER" register --local 127.0.0.1:"$peer_port" --remote 127.0.0.1:"$reg_port" --user alice \
    --password "$1" --expires 60 --refreshes 1 --timeout 8 > "peer_$1.out" 2>&1
  PEER_RC=$?
  wait "$sp"; SIPP_RC=$?
  cat "peer_$1.out"
  read -r OK FAIL < <(sipp_counts "sipp_$1.out")
  echo "sipp registrar: exit=$SIPP_RC successful=$OK failed=$FAIL"
}

run s3cret
check "Floe registered (401 answered), refreshed once, unregistered" [ "$PEER_RC" -eq 0 ]
check "sipp verified all three digests (nc=1, nonce reuse nc=2, removal) and exited 0" \
  [ "$SIPP_RC" -eq 0 -a "$OK" = 1 -a "$FAIL" = 0 ]
run wrong-password
check "wrong password: Floe reports failure" [ "$PEER_RC" -ne 0 ]
check "wrong password: sipp's verifyauth rejected the digest" [ "$SIPP_RC" -ne 0 -a "$FAIL" = 1 ]
exit $FAILED
