#!/usr/bin/env bash
# Relayed packets per CPU-second: `floe turn-server` vs coturn's `turnserver`
# under the same turnutils_uclient load (ChannelData, echo via
# turnutils_peer), one after the other on 127.0.0.1. The load generator is
# paced, so the fair figure is relayed packets per second of server CPU
# (user+sys from /proc, sampled around the load): "packets per second per core".
#   bench/turn_relay_bench.sh [clients=50] [messages=2000] [interval_ms=1] [size=100]
# Then allocations per second against both (bench/turn_alloc_bench: Floe's
# TURN client engine, 32 clients in parallel, Allocate + Refresh 0 each).
# FLOE_BIN: a Release build of floe (default build/gateway/floe);
# ALLOC_BENCH: turn_alloc_bench (default next to FLOE_BIN's build).
set -euo pipefail
CLIENTS=${1:-50}
MSGS=${2:-2000}
INTERVAL=${3:-1}
SIZE=${4:-100}
FLOE_BIN=${FLOE_BIN:-build/gateway/floe}
ALLOC_BENCH=${ALLOC_BENCH:-$(dirname "$FLOE_BIN")/../bench/turn_alloc_bench}
for prog in "$FLOE_BIN" "$ALLOC_BENCH" turnserver turnutils_uclient turnutils_peer; do
  command -v "$prog" >/dev/null 2>&1 || [[ -x "$prog" ]] || { echo "missing: $prog"; exit 1; }
done
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
TICK=$(getconf CLK_TCK)
cpu_ticks() {  # pid: utime+stime of all threads
  awk '{print $14 + $15}' "/proc/$1/stat"
}
PEER_PORT=$((30000 + RANDOM % 5000))
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >/dev/null 2>&1 &
PIDS+=($!)

run_load() {  # name server-pid port extra-uclient-flags
  local name=$1 pid=$2 port=$3; shift 3
  sleep 1
  local before after t0 t1
  before=$(cpu_ticks "$pid")
  t0=$(date +%s.%N)
  timeout 300 turnutils_uclient -u alice -w secret -e 127.0.0.1 -r "$PEER_PORT" -p "$port" \
    -m "$CLIENTS" -n "$MSGS" -l "$SIZE" -z "$INTERVAL" -c "$@" 127.0.0.1 >"$WORK/$name.log" 2>&1 || true
  t1=$(date +%s.%N)
  after=$(cpu_ticks "$pid")
  local sent recv lost
  sent=$(grep -o 'tot_send_msgs=[0-9]*' "$WORK/$name.log" | tail -1 | cut -d= -f2)
  recv=$(grep -o 'tot_recv_msgs=[0-9]*' "$WORK/$name.log" | tail -1 | cut -d= -f2)
  lost=$(grep -o 'Total lost packets [0-9]* ([0-9.]*%)' "$WORK/$name.log" | tail -1)
  awk -v n="$name" -v s="${sent:-0}" -v r="${recv:-0}" -v c=$((after - before)) -v tk="$TICK" \
      -v w="$(echo "$t1 - $t0" | bc)" -v l="$lost" 'BEGIN {
    cpu = c / tk; pk = s + r;
    printf "%-7s relayed %d pkts (sent %d, echoed %d; %s) in %.1f s wall, server CPU %.2f s -> %.0f pkts per CPU-second\n",
      n, pk, s, r, l, w, cpu, (cpu > 0 ? pk / cpu : 0) }' | tee -a "$WORK/summary"
}

FPORT=$((35000 + RANDOM % 2000))
"$FLOE_BIN" turn-server --listen "127.0.0.1:$FPORT" --realm floe --user alice:secret \
  --allow-loopback-peers --rfc5766-channels --max-user-allocations 100000 >/dev/null 2>&1 &
FPID=$!; PIDS+=($FPID)
run_load floe "$FPID" "$FPORT"
echo "floe    $("$ALLOC_BENCH" --server "127.0.0.1:$FPORT" --user alice --password secret --total 3000 --parallel 32 | tr '\n' ' ')"

CPORT=$((37000 + RANDOM % 2000))
turnserver -n --lt-cred-mech --user alice:secret --realm floe -L 127.0.0.1 -p "$CPORT" \
  --allow-loopback-peers --no-tls --no-dtls --no-cli --log-file stdout --simple-log \
  --relay-threads 1 >/dev/null 2>&1 &
CPID=$!; PIDS+=($CPID)
run_load coturn "$CPID" "$CPORT"
# coturn answers some re-used client ports with 437 for a while after Refresh 0.
echo "coturn  $("$ALLOC_BENCH" --server "127.0.0.1:$CPORT" --user alice --password secret --total 3000 --parallel 32 | tr '\n' ' ')"

awk '{ for (i = 1; i <= NF; i++) if ($i == "per" && $(i+1) == "CPU-second") v[$1] = $(i-2) }
     END { if (v["coturn"] > 0) printf "ratio floe/coturn (pkts per CPU-second): %.2f\n", v["floe"] / v["coturn"] }' \
  "$WORK/summary"
