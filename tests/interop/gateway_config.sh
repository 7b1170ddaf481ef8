#!/usr/bin/env bash
# `floe gateway` takes its options from a JSON file (--config / FLOE_CONFIG),
# from FLOE_<OPTION> environment variables and from the command line, in that
# order. Checks each source reaches the running gateway, that the command line
# wins, and that a bad file or a typo stops startup with a message naming it.
set -euo pipefail
FLOE="${FLOE_BIN:?FLOE_BIN must name the floe executable}"
SRC="${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}"
TMP="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
free_udp() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# run NAME ENV... -- ARGS...: starts the gateway, waits for its "listening" line.
run() {
  local name=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$FLOE" gateway --web "$SRC/web" --sip-listen 127.0.0.1:0 --test-line 127.0.0.1:0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PID=$!
  for _ in $(seq 100); do
    grep -q "listening http" "$TMP/$name.out" && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  grep "listening http" "$TMP/$name.out" || { echo "FAIL: $name did not start"; cat "$TMP/$name.err"; exit 1; }
}
stop() {
  kill -TERM "$PID"; wait "$PID" || { echo "FAIL: gateway exited badly"; exit 1; }; PID=""
}

H1=$(free_port); M1=$(free_udp); M2=$(free_udp); M3=$(free_udp)
cat >"$TMP/floe.json" <<JSON
{
  // the page and the media port on loopback only
  "http": "127.0.0.1:$H1",
  "media-address": ["127.0.0.1"],
  "media-port": $M1,
  // a trunk as an object; the password holds the spec's separators
  "trunk": [{"name": "pbx", "proxy": "127.0.0.1:9", "user": "alice", "password": "p,w=x\\\\y"}]
}
JSON

run file FLOE_BIN="$FLOE" -- --config "$TMP/floe.json"
grep -q "listening http $H1 media $M1" "$TMP/file.out" || { echo "FAIL: file options not used"; exit 1; }
curl -fsS "http://127.0.0.1:$H1/healthz" >/dev/null || { echo "FAIL: /healthz on the file's port"; exit 1; }
echo "ok: options from --config (http $H1, media $M1, a trunk given as an object)"
stop

run env FLOE_CONFIG="$TMP/floe.json" FLOE_MEDIA_PORT="$M2" --
grep -q "listening http $H1 media $M2" "$TMP/env.out" || { echo "FAIL: FLOE_MEDIA_PORT did not override the file"; cat "$TMP/env.out"; exit 1; }
echo "ok: FLOE_CONFIG read, FLOE_MEDIA_PORT overrides the file (media $M2)"
stop

run cli FLOE_CONFIG="$TMP/floe.json" FLOE_MEDIA_PORT="$M2" -- --media-port "$M3"
grep -q "listening http $H1 media $M3" "$TMP/cli.out" || { echo "FAIL: command line did not win"; exit 1; }
echo "ok: the command line overrides the environment (media $M3)"
stop

echo '{"media-prot": 1}' >"$TMP/typo.json"
set +e
"$FLOE" gateway --config "$TMP/typo.json" >"$TMP/typo.out" 2>&1; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "unknown option 'media-prot'" "$TMP/typo.out" ||
  { echo "FAIL: a typo in the file should stop startup (rc=$rc)"; cat "$TMP/typo.out"; exit 1; }
echo "ok: unknown key rejected: $(cat "$TMP/typo.out")"

echo '{ "http": ' >"$TMP/bad.json"
set +e
"$FLOE" gateway --config "$TMP/bad.json" >"$TMP/bad.out" 2>&1; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "not a JSON object" "$TMP/bad.out" ||
  { echo "FAIL: broken JSON should stop startup (rc=$rc)"; cat "$TMP/bad.out"; exit 1; }
echo "ok: broken JSON rejected: $(cat "$TMP/bad.out")"

set +e
FLOE_MEDIA_PORT=notaport "$FLOE" gateway >"$TMP/envbad.out" 2>&1; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "media-port needs a port" "$TMP/envbad.out" ||
  { echo "FAIL: a bad FLOE_MEDIA_PORT should stop startup (rc=$rc)"; cat "$TMP/envbad.out"; exit 1; }
echo "ok: bad environment value rejected: $(cat "$TMP/envbad.out")"
echo "PASS: gateway config sources"
