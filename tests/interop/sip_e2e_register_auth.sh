#!/usr/bin/env bash
# Digest authentication toward a trunk, end to end with `floe gateway`:
# sipp UAS (tests/interop/sip_e2e/uas_register_invite_401.xml) is the trunk's
# registrar and proxy and challenges with 401 + WWW-Authenticate (MD5,
# qop=auth). Checks: Floe (--trunk ...,register=1,user=floe,password=s3cret)
# answers the REGISTER challenge with an Authorization sipp verifies, and
# reports the trunk registered; then headless Chromium calls 5551234, Floe's
# INVITE is challenged with 401, the retry's digest verifies, the call is
# answered and the browser hears its own audio through sipp's RTP echo; the
# browser's hang-up reaches sipp as BYE (sipp exits 0 only if all of this
# happened as scripted).
set -euo pipefail
source "$(dirname "$0")/sip_e2e_common.bash"

SIPP_PORT=$(free_port_block)
SIPP_PID=""
sipp -sf "$E2E_DIR/uas_register_invite_401.xml" -i 127.0.0.1 -p "$SIPP_PORT" -mp $((SIPP_PORT + 2)) \
  -rtp_echo -m 2 -nostdin -timeout 60s -timeout_error -trace_err -error_file "$TMP/sipp_errors.log" \
  -trace_msg -message_file "$TMP/sipp_messages.log" >"$TMP/sipp.out" 2>&1 &
SIPP_PID=$!
trap '[ -n "$SIPP_PID" ] && kill "$SIPP_PID" 2>/dev/null; sip_e2e_cleanup' EXIT
sleep 0.3

start_gateway auth --trunk "name=sipp,proxy=127.0.0.1:$SIPP_PORT,user=floe,password=s3cret,register=1,keepalive=0" \
  --rtp-ports 43000-43999
RC=0
for _ in $(seq 100); do grep -q "registration registered" "$TMP/auth.out" && break; sleep 0.1; done
if grep -q "SIP trunk sipp registration registered" "$TMP/auth.out"; then
  echo "ok   REGISTER: 401 challenge answered, trunk registered ($(grep 'registration' "$TMP/auth.out" | tail -1))"
else
  echo "FAIL REGISTER: the trunk did not register"; RC=1
fi
(cd "$NODE_DIR" && PORT="$HTTP" TARGET=5551234 node sip_e2e_outgoing.mjs) || RC=$?

SIPP_RC=0
for _ in $(seq 100); do kill -0 "$SIPP_PID" 2>/dev/null || break; sleep 0.1; done
kill "$SIPP_PID" 2>/dev/null || true
wait "$SIPP_PID" || SIPP_RC=$?
SIPP_PID=""
if [ "$SIPP_RC" -eq 0 ]; then
  echo "ok   sipp: both retries carried Authorization valid for floe/s3cret; INVITE answered, BYE received"
else
  echo "FAIL sipp exit $SIPP_RC"; tail -20 "$TMP/sipp_errors.log" 2>/dev/null; RC=1
fi
grep -c '^REGISTER\|^INVITE' "$TMP/sipp_messages.log" >/dev/null 2>&1 || true
grep -E '^ *Authorization:' "$TMP/sipp_messages.log" | sed 's/response="[0-9a-f]*"/response="..."/' | head -4 || true

METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_(bridge|sip)_' | grep -v ' 0$' || true
stop_gateway auth
if [ "$RC" -ne 0 ]; then
  echo "--- floe stdout"; tail -20 "$TMP/auth.out"; echo "--- floe stderr"; tail -20 "$TMP/auth.err"
  echo "--- sipp messages"; tail -80 "$TMP/sipp_messages.log" 2>/dev/null
  echo "FAIL"; exit 1
fi
echo "PASS"
