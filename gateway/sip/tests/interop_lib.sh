# Shared by tests/interop/sip_*.sh: locate sipp and the sip_peer driver, pick
# free loopback ports, clean up only what the script started.
set -u
SRC=${FLOE_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${FLOE_BUILD:-$SRC/build}
PEER=${SIP_PEER:-$BUILD/gateway/sip/sip_peer}
SCENARIOS=$SRC/gateway/sip/tests/scenarios

if ! command -v sipp >/dev/null 2>&1; then
  echo "FAIL: sipp not found (Debian package sip-tester, listed in scripts/deps/test.txt)"
  exit 1
fi
if [ ! -x "$PEER" ]; then
  echo "FAIL: test driver $PEER not built (target sip_peer)"
  exit 1
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

# A UDP port the kernel reports free on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sipp_counts FILE -> "successful failed" from sipp's final statistics screen.
sipp_counts() {
  local ok fail
  ok=$(grep -E "Successful call" "$1" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  fail=$(grep -E "Failed call" "$1" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  echo "${ok:-0} ${fail:-0}"
}

FAILED=0
check() {  # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then
    echo "ok:   $what"
  else
    echo "FAIL: $what"
    FAILED=1
  fi
}
