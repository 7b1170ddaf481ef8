# Sourced by the gateway interop scripts: start `floe gateway` on 127.0.0.1
# with random ports, learn its HTTP port, and stop it checking that it exits
# cleanly with no sanitizer report. Not a test itself (tests are *.sh).
SRC="${FLOE_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
FLOE="${FLOE_BIN:?FLOE_BIN must name the floe executable}"
[ -x "$FLOE" ] || { echo "FAIL: $FLOE not built"; exit 1; }

TMP="$(mktemp -d)"
PID=""
HTTP=""
gateway_cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap gateway_cleanup EXIT

# start_gateway NAME [floe gateway options...]: logs go to $TMP/NAME.{out,err}.
start_gateway() {
  local name=$1; shift
  "$FLOE" gateway --http 127.0.0.1:0 --media-port 0 --media-address 127.0.0.1 \
    --web "$SRC/web" --sip-listen 127.0.0.1:0 --test-line 127.0.0.1:0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PID=$!
  HTTP=""
  for _ in $(seq 100); do
    HTTP="$(awk '/listening http/{print $5}' "$TMP/$name.out" 2>/dev/null || true)"
    [ -n "$HTTP" ] && break
    sleep 0.1
  done
  [ -n "$HTTP" ] || { echo "FAIL: floe gateway ($name) did not start"; cat "$TMP/$name.out" "$TMP/$name.err"; exit 1; }
  cat "$TMP/$name.out"
}

# stop_gateway NAME: SIGTERM, then a clean exit and no sanitizer report.
stop_gateway() {
  local name=$1
  kill -TERM "$PID"
  wait "$PID" || { echo "FAIL: floe gateway ($name) exited badly"; cat "$TMP/$name.err"; exit 1; }
  PID=""
  if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TMP/$name.err"; then
    echo "FAIL: sanitizer report from floe ($name)"; exit 1
  fi
}
