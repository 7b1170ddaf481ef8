# Sourced by tests/interop/sip_e2e_*.sh (not a test itself): `floe gateway`
# via gateway_common.bash, plus Floe's SIP address, a free port block for
# sipp and a tshark capture of what reaches sipp's RTP port.
source "$(dirname "${BASH_SOURCE[0]}")/gateway_common.bash"
E2E_DIR="$SRC/tests/interop/sip_e2e"
NODE_DIR="$SRC/tests/browser"
command -v sipp >/dev/null || { echo "FAIL: sipp not found (Debian sip-tester)"; exit 1; }
command -v tshark >/dev/null || { echo "FAIL: tshark not found"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing"; exit 1; }
[ -d "$NODE_DIR/node_modules/playwright-core" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }
[ -f /usr/share/sip-tester/g711a.pcap ] || { echo "FAIL: sipp's g711a.pcap missing"; exit 1; }

CAP_PID=""
sip_e2e_cleanup() {
  [ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null || true
  if [ -n "${KEEP_TMP:-}" ]; then
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    echo "logs kept in $TMP"
  else
    gateway_cleanup
  fi
}
trap sip_e2e_cleanup EXIT

# An even port P with P..P+5 free on 127.0.0.1 and 127.0.0.2 (sipp's SIP port,
# its media ports P+2/P+3).
free_port_block() {
  python3 - <<'PY'
import socket
while True:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p % 2 or p > 65000: continue
    try:
        socks = []
        for ip in ("127.0.0.1", "127.0.0.2"):
            for q in range(p, p + 6):
                t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); t.bind((ip, q)); socks.append(t)
        for t in socks: t.close()
        print(p); break
    except OSError:
        pass
PY
}

# floe_sip NAME: Floe's SIP listener ADDR:PORT from "floe gateway: sip ADDR ...".
floe_sip() { awk '/^floe gateway: sip /{print $4; exit}' "$TMP/$1.out"; }

# start_capture FILE FILTER: tshark on lo into a libpcap FILE, waits until it runs.
start_capture() {
  tshark -i lo -f "$2" -F pcap -w "$1" -q 2>"$1.err" &
  CAP_PID=$!
  for _ in $(seq 100); do grep -q "Capturing on" "$1.err" 2>/dev/null && return 0; sleep 0.1; done
  echo "FAIL: tshark did not start"; cat "$1.err"; exit 1
}
stop_capture() { sleep 0.5; kill -INT "$CAP_PID"; wait "$CAP_PID" || true; CAP_PID=""; }
