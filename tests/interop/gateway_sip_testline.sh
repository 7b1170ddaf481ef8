#!/usr/bin/env bash
# The embedded default, end to end: `floe gateway` with its built-in SIP
# test line, and headless Chromium pressing Call on the page for `echo-sip`
# (audio back through the SIP leg), `tone` (1 kHz from the line) and `busy`
# (486), and holds/resumes a tone call from the browser. Then /metrics must
# show the line answered three calls, saw one busy, got the hold and resume
# re-INVITEs and every BYE from the gateway, and the gateway must exit cleanly.
set -euo pipefail
source "$(dirname "$0")/gateway_common.bash"
for prog in node /usr/bin/chromium curl; do
  command -v "$prog" >/dev/null || { echo "FAIL: $prog missing"; exit 1; }
done
[ -d "$SRC/tests/browser/node_modules/playwright-core" ] ||
  { echo "FAIL: playwright-core missing (run scripts/deps/npm.sh)"; exit 1; }

start_gateway testline
PORT="$HTTP" node "$SRC/tests/browser/sip_testline_test.mjs"
sleep 0.5
curl -fsS "http://127.0.0.1:$HTTP/metrics" >"$TMP/metrics"
metric() { awk -v m="$1" '$1 == m {print $2}' "$TMP/metrics"; }
grep -E '^floe_testline' "$TMP/metrics" || true
answered=$(metric floe_testline_answered_total); busy=$(metric floe_testline_busy_total)
reinvites=$(metric floe_testline_reinvites_total)
byes=$(metric floe_testline_peer_hangups_total); echoed=$(metric floe_testline_rtp_echoed_total)
[ "${answered:-0}" -ge 3 ] || { echo "FAIL: the test line answered ${answered:-0} calls, wanted 3"; exit 1; }
[ "${reinvites:-0}" -ge 2 ] || { echo "FAIL: the test line got ${reinvites:-0} re-INVITEs, wanted 2 (hold, resume)"; exit 1; }
[ "${busy:-0}" -ge 1 ] || { echo "FAIL: the test line counted ${busy:-0} busy"; exit 1; }
[ "${byes:-0}" -ge 3 ] || { echo "FAIL: the test line got ${byes:-0} BYEs from the gateway, wanted 3"; exit 1; }
[ "${echoed:-0}" -ge 100 ] || { echo "FAIL: the test line echoed ${echoed:-0} RTP packets"; exit 1; }
echo "ok: test line answered $answered, busy $busy, BYEs from the gateway $byes, re-INVITEs $reinvites, RTP echoed $echoed"
stop_gateway testline
echo "floe gateway shut down cleanly; PASS"
