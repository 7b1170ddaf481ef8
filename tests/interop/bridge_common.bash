# Sourced by tests/interop/bridge_*.sh: start the SIP-enabled gateway on
# 127.0.0.1 with random ports, learn its HTTP and SIP ports, stop it checking
# for a clean exit and no sanitizer report. Not a test itself (tests are *.sh).
# The gateway is `$FLOE_BIN gateway` (set by CTest); BRIDGE_GATEWAY=path runs
# gateway/bridge's test driver bridge_gateway instead (the same router, SIP
# service and media port, without the rest of floe gateway).
SRC="${FLOE_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${FLOE_BUILD:-$SRC/build}"
if [ -n "${BRIDGE_GATEWAY:-}" ]; then
  GW="$BRIDGE_GATEWAY"; GW_CMD=("$GW")
else
  GW="${FLOE_BIN:-$BUILD/gateway/floe}"; GW_CMD=("$GW" gateway)
fi
SCEN="$SRC/gateway/bridge/tests/scenarios"
NODE_DIR="$SRC/tests/browser"
[ -x "$GW" ] || { echo "FAIL: $GW not built"; exit 1; }
command -v sipp >/dev/null || { echo "FAIL: sipp not found (Debian sip-tester, scripts/deps/test.txt)"; exit 1; }

TMP="$(mktemp -d)"
GW_PID=""
HTTP=""
SIP=""
bridge_cleanup() { [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null || true; [ -n "${KEEP_TMP:-}" ] && echo "logs kept in $TMP" || rm -rf "$TMP"; }
trap bridge_cleanup EXIT

free_udp_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A free even port P with P+1..P+3 free too (sipp's SIP port, then media ports P+2, P+3).
free_port_block() {
  python3 - <<'PY'
import socket
while True:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p % 2 or p > 65000: continue
    try:
        socks = []
        for q in range(p, p + 6):
            t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); t.bind(("127.0.0.1", q)); socks.append(t)
        for t in socks: t.close()
        print(p); break
    except OSError:
        pass
PY
}

# start_bridge NAME [gateway options...]: logs in $TMP/NAME.{out,err}. The
# built-in test line is off unless the options ask for it (--test-line ADDR).
start_bridge() {
  local name=$1; shift
  local line=(--test-line off)
  case " $* " in *" --test-line "*) line=() ;; esac
  "${GW_CMD[@]}" "${line[@]}" --http 127.0.0.1:0 --media-port 0 --media-address 127.0.0.1 --web "$SRC/web" \
    --sip-listen 127.0.0.1:0 --rtp-address 127.0.0.1 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  GW_PID=$!
  HTTP=""
  for _ in $(seq 100); do
    HTTP="$(awk '/listening http/{print $5}' "$TMP/$name.out")"
    [ -n "$HTTP" ] && break
    sleep 0.1
  done
  [ -n "$HTTP" ] || { echo "FAIL: gateway ($name) did not start"; cat "$TMP/$name.out" "$TMP/$name.err"; exit 1; }
  # "floe gateway: sip udp ADDR" (bridge_gateway) or "floe gateway: sip ADDR ..." (floe gateway).
  SIP="$(sed -n 's/^floe gateway: sip \(udp \)\?\([0-9.]*:[0-9]*\).*/\2/p' "$TMP/$name.out" | head -1)"
  cat "$TMP/$name.out"
}

stop_bridge() {
  local name=$1
  kill -TERM "$GW_PID"
  wait "$GW_PID" || { echo "FAIL: gateway ($name) exited badly"; tail -30 "$TMP/$name.err"; exit 1; }
  GW_PID=""
  if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TMP/$name.err"; then
    echo "FAIL: sanitizer report from the gateway ($name)"; exit 1
  fi
}
