#!/usr/bin/env bash
# Interop: sipp (Debian sip-tester) as the UAC against Floe's built-in SIP
# test line (gateway/testline, run alone by its testline_server driver), with
# gateway/testline/tests/rtp_probe.py as the RTP peer:
#  - echo-sip: 50 PCMU packets come back byte-identical; sipp BYEs; and
#    sipp's own RTP (play_pcap_audio of its bundled g711a.pcap) is echoed
#  - RFC 4733: sipp's bundled telephone-event captures for 1 and # are
#    recorded by the line once each with their durations
#  - tone (PCMU and PCMA): 20 ms packets, one SSRC, seq +1, ts +160, the
#    decoded audio (Python's audioop G.711) is a 1 kHz tone
#  - busy -> 486 (UDP and TCP), unknown number -> 404
#  - INVITE without SDP: offer in the 200, answer in the ACK, echo works
#  - re-INVITE hold (sendonly -> recvonly, tone stops) and resume
#    (sendrecv, tone again with a marker and a timestamp jump)
#  - BYE from the line (max call duration), CANCEL of a ringing call
set -u
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${FLOE_BUILD:-$SRC/build}
TL=$BUILD/gateway/testline/testline_server
SCEN=$SRC/gateway/testline/tests/scenarios
PROBE=$SRC/gateway/testline/tests/rtp_probe.py

command -v sipp >/dev/null 2>&1 || { echo "FAIL: sipp not found (Debian package sip-tester)"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 not found"; exit 1; }
[ -x "$TL" ] || { echo "FAIL: $TL not built (target testline_server)"; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
sipp_counts() {
  local ok fail
  ok=$(grep -E "Successful call" "$1" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  fail=$(grep -E "Failed call" "$1" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  echo "${ok:-0} ${fail:-0}"
}
FAILED=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; FAILED=1; fi
}
field() { grep -o "\b$2=[^ ]*" "$1" 2>/dev/null | head -1 | cut -d= -f2; }

start_line() {  # start_line NAME ARGS... -> sets LINE_PID, LINE_PORT
  local name=$1
  shift
  "$TL" --listen 127.0.0.1:0 "$@" > "line_$name.out" 2> "line_$name.err" &
  LINE_PID=$!
  PIDS+=("$LINE_PID")
  for _ in $(seq 50); do
    grep -q '^listening' "line_$name.out" && break
    sleep 0.1
  done
  LINE_PORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\)$/\1/p' "line_$name.out")
  [ -n "$LINE_PORT" ] || { echo "FAIL: testline_server did not start"; cat "line_$name.err"; exit 1; }
}
stop_line() {  # stop_line NAME: SIGTERM, wait, check it exited cleanly
  kill -TERM "$LINE_PID" 2>/dev/null
  wait "$LINE_PID"
  local rc=$?
  check "[$1] testline_server exited 0 after SIGTERM, no sanitizer report" \
    [ "$rc" -eq 0 -a -z "$(grep -E 'Sanitizer|runtime error' "line_$1.err")" ]
}

run_sipp() {  # run_sipp NAME SCENARIO NUMBER [sipp args...] -> SIPP_RC OK FAIL
  local name=$1 scenario=$2 number=$3
  shift 3
  PP=${PP:-$(free_port)}
  sipp -sf "$SCEN/$scenario" 127.0.0.1:"$LINE_PORT" -s "$number" -i 127.0.0.1 \
    -p "$(free_port)" -mp "$(free_port)" -m 1 -timeout 20s -timeout_error -nostdin \
    -key probe "$PROBE" -key probe_port "$PP" -key out "$WORK/probe_$name.txt" "$@" \
    > "sipp_$name.out" 2>&1
  SIPP_RC=$?
  read -r OK FAIL < <(sipp_counts "sipp_$name.out")
  echo "[$name] sipp exit=$SIPP_RC successful=$OK failed=$FAIL${PROBE_NOTE:-}"
  PP=
}
sipp_ok() { [ "$SIPP_RC" -eq 0 -a "$OK" = 1 -a "$FAIL" = 0 ]; }

wait_probe_file() {  # the echo probe runs from sipp's <exec>: wait for its result
  for _ in $(seq 50); do [ -s "$1" ] && return 0; sleep 0.1; done
  return 1
}

tone_case() {  # tone_case NAME SCENARIO NUMBER PROBE_SECONDS [sipp args...]
  local name=$1 scenario=$2 number=$3 secs=$4
  shift 4
  PP=$(free_port)
  python3 "$PROBE" tone --port "$PP" --seconds "$secs" --out "probe_$name.txt" > /dev/null 2>&1 &
  local probe=$!
  PIDS+=("$probe")
  sleep 0.3
  local keep=$PP
  run_sipp "$name" "$scenario" "$number" "$@"
  PP=$keep
  wait "$probe"
  echo "[$name] probe: $(cat "probe_$name.txt" 2>/dev/null)"
}

# ---------------------------------------------------------------- one line
start_line main
echo "test line on 127.0.0.1:$LINE_PORT"

run_sipp echo uac_echo.xml echo-sip
wait_probe_file probe_echo.txt
echo "[echo] probe: $(cat probe_echo.txt 2>/dev/null)"
check "echo-sip: INVITE/200/ACK/BYE with sipp" sipp_ok
check "echo-sip: 50 RTP packets sent, 50 echoed byte-identical" \
  [ "$(field probe_echo.txt sent)" = 50 -a "$(field probe_echo.txt identical)" = 50 ]

run_sipp dtmf uac_dtmf.xml echo-sip
sleep 0.2
DTMF_LINE=$(grep "call echo-sip ended" line_main.out | tail -1)
echo "[dtmf] line: $DTMF_LINE"
check "RFC 4733 from sipp (its dtmf_2833_1/pound captures): call answered and BYEd" sipp_ok
check "RFC 4733 from sipp: the line recorded digits 1# once each, 2240 (280 ms) long" \
  grep -q "dtmf=1# dtmf_durations=2240,2240" <<< "$DTMF_LINE"

run_sipp pcap uac_echo_pcap.xml echo-sip
sleep 0.2
PCAP_LINE=$(grep "call echo-sip ended" line_main.out | tail -1)
echo "[pcap] line: $PCAP_LINE"
check "echo-sip with sipp's own RTP (play_pcap_audio g711a.pcap): call answered and BYEd" sipp_ok
check "echo-sip with sipp's own RTP: the line received >= 30 packets and echoed every one" \
  [ "$(echo "$PCAP_LINE" | grep -o 'rtp_in=[0-9]*' | cut -d= -f2)" -ge 30 -a \
    "$(echo "$PCAP_LINE" | grep -o 'rtp_in=[0-9]*' | cut -d= -f2)" = \
    "$(echo "$PCAP_LINE" | grep -o 'echoed=[0-9]*' | cut -d= -f2)" ]

for law in "0 PCMU" "8 PCMA"; do
  set -- $law
  tone_case "tone_$2" uac_tone.xml tone 2.5 -key pt "$1" -key codec "$2"
  f=probe_tone_$2.txt
  check "tone ($2): call answered and ended by sipp's BYE" sipp_ok
  check "tone ($2): >= 60 packets of 160 bytes, payload type $1, ~50 packets/s (40-55: a timer late > 100 ms skips, never bursts)" \
    [ "$(field $f packets)" -ge 60 -a "$(field $f pt)" = "$1" -a "$(field $f payload_bytes)" = 160 \
      -a "$(python3 -c "print(40 <= $(field $f rate_pps) <= 55)")" = True ]
  check "tone ($2): one SSRC, sequence +1, timestamp +160 per packet" \
    [ "$(field $f ssrc_changes)" = 0 -a "$(field $f seq_bad)" = 0 -a "$(field $f ts_bad)" = 0 ]
  check "tone ($2): decoded audio is a 1 kHz tone (purity >= 0.9)" \
    [ "$(field $f dominant_hz)" = 1000 -a "$(python3 -c "print($(field $f purity) >= 0.9)")" = True ]
done

run_sipp busy uac_busy.xml busy
check "busy: 486 Busy Here, ACKed" sipp_ok
run_sipp busy_tcp uac_busy.xml busy -t t1
check "busy over TCP: 486 Busy Here, ACKed" sipp_ok
run_sipp notfound uac_notfound.xml no-such-number
check "unknown number: 404 Not Found, ACKed" sipp_ok

run_sipp nosdp uac_no_sdp.xml echo-sip
wait_probe_file probe_nosdp.txt
echo "[nosdp] probe: $(cat probe_nosdp.txt 2>/dev/null)"
check "INVITE without SDP: the 200 offers PCMU PCMA telephone-event, the ACK answers" sipp_ok
check "INVITE without SDP: media set up from the answer in the ACK (50/50 echoed)" \
  [ "$(field probe_nosdp.txt identical)" = 50 ]

tone_case hold uac_hold.xml tone 4.5
f=probe_hold.txt
check "hold: re-INVITE sendonly answered recvonly, resume answered sendrecv" sipp_ok
check "hold: tone stopped for >= 800 ms and came back" \
  [ "$(field $f max_gap_ms)" -ge 800 -a "$(field $f packets)" -ge 80 ]
check "hold: after resume a marker bit, timestamps counted through the hold, seq continuous" \
  [ "$(field $f markers)" -ge 2 -a "$(field $f gap_ts_ok)" = 1 -a "$(field $f seq_bad)" = 0 \
    -a "$(field $f ssrc_changes)" = 0 ]

run_sipp cancel uac_cancel_ring.xml ring
check "CANCEL of a ringing call: 200 to CANCEL, 487 to INVITE, ACKed" sipp_ok

stop_line main
cat line_main.out | grep -E "^(call|stats)"
check "line stats: 11 INVITEs, 7 answered, 2 busy, 1 not found, 1 cancelled, 2 re-INVITEs, 7 peer BYEs" \
  grep -q "stats: invites=11 answered=7 busy=2 not_found=1 sdp_rejected=0 cancelled=1 reinvites=2 peer_hangups=7" line_main.out

# ------------------------------------------- the line hangs up by itself
start_line maxdur --max-duration-ms 1000
run_sipp byeline uac_wait_bye.xml echo-sip
check "max duration: the line sends BYE after 1 s, sipp answers 200" sipp_ok
sleep 0.3
stop_line maxdur
check "max duration: the line reports the call ended by its own BYE" \
  grep -q "call echo-sip ended (max duration)" line_maxdur.out

exit $FAILED
