#!/usr/bin/env bash
# `floe gateway` with its embedded TURN server and a REST secret: the
# credentials a session gets in `welcome` are TURN REST API ones (username
# "<expiry>:<user>", password base64(HMAC-SHA1(secret, username)), checked
# here independently), and coturn's turnutils_uclient allocates with them on
# the embedded server and relays to a peer on the gateway's own address
# (Send/Data indications, ~0 loss). The same credentials with a wrong
# password and a peer that is not the gateway (127.0.0.2) are refused, and
# two welcomes carry different usernames. Then a static user with TURN over
# TLS (--turn-user, --turn-tls-listen): welcome names the user and a turns:
# URL, and uclient -S allocates with them.
set -euo pipefail
source "$(dirname "$0")/gateway_common.bash"
for prog in node turnutils_uclient turnutils_peer python3 openssl; do
  command -v "$prog" >/dev/null || { echo "FAIL: $prog not found"; exit 1; }
done
[ -d "$SRC/tests/browser/node_modules/ws" ] || { echo "FAIL: npm packages missing; run scripts/deps/npm.sh"; exit 1; }

free_port() {
  python3 - <<'PY'
import socket, random
for _ in range(200):
    p = random.randint(20000, 39000)
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", p))
        u.close(); t.close(); print(p); break
    except OSError:
        pass
PY
}
TURN_PORT=$(free_port)
PEER_PORT=$(free_port)
SECRET="gw-$RANDOM-$RANDOM"
PEER_PID=""
trap 'gateway_cleanup; [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null; true' EXIT
turnutils_peer -L 127.0.0.1 -L 127.0.0.2 -p "$PEER_PORT" >"$TMP/peer.log" 2>&1 &
PEER_PID=$!

start_gateway rest --turn-listen "127.0.0.1:$TURN_PORT" --turn-secret "$SECRET" --turn-ttl 600
FAILS=0
W1=$(FLOE_SRC="$SRC" node "$SRC/tests/interop/gateway_welcome.mjs" "ws://127.0.0.1:$HTTP/ws")
W2=$(FLOE_SRC="$SRC" node "$SRC/tests/interop/gateway_welcome.mjs" "ws://127.0.0.1:$HTTP/ws")
echo "welcome iceServers: $(echo "$W1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["iceServers"]))')"
read -r USER PASS URLS < <(echo "$W1" | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin)["iceServers"] if any(u.startswith("turn") for u in x["urls"])][0]
print(s["username"], s["credential"], ",".join(s["urls"]))')
USER2=$(echo "$W2" | python3 -c 'import json,sys; print([x for x in json.load(sys.stdin)["iceServers"] if "username" in x][0]["username"])')

# The URL names the embedded server, both transports.
for want in "turn:127.0.0.1:$TURN_PORT?transport=udp" "turn:127.0.0.1:$TURN_PORT?transport=tcp"; do
  if [[ ",$URLS," == *",$want,"* ]]; then echo "ok   [url]: $want"; else echo "FAIL [url]: $want not in $URLS"; FAILS=$((FAILS + 1)); fi
done
# REST form, recomputed here from the secret.
if python3 - "$SECRET" "$USER" "$PASS" <<'PY'
import base64, hashlib, hmac, sys, time
secret, user, pw = sys.argv[1:]
exp, name = user.split(":", 1)
ok = pw == base64.b64encode(hmac.new(secret.encode(), user.encode(), hashlib.sha1).digest()).decode()
ok = ok and 0 < int(exp) - time.time() <= 600 and name
sys.exit(0 if ok else 1)
PY
then echo "ok   [rest-form]: username $USER, password = base64(HMAC-SHA1(secret, username)), expiry within --turn-ttl"
else echo "FAIL [rest-form]: $USER / $PASS"; FAILS=$((FAILS + 1)); fi
if [[ "$USER" != "$USER2" ]]; then echo "ok   [per-session]: $USER vs $USER2"
else echo "FAIL [per-session]: both welcomes gave $USER"; FAILS=$((FAILS + 1)); fi

uclient() {  # name expect(ok|fail) peer-ip extra...
  local name=$1 expect=$2 peer=$3; shift 3
  local out="$TMP/uclient-$name.log" rc=0 limit=60
  [[ $expect == fail ]] && limit=15
  timeout "$limit" turnutils_uclient -s "$@" -e "$peer" -r "$PEER_PORT" -p "$TURN_PORT" -n 50 -l 160 -z 5 \
    127.0.0.1 >"$out" 2>&1 || rc=$?
  local sent recv
  sent=$(grep -o 'tot_send_msgs=[0-9]*' "$out" | tail -1 | cut -d= -f2 || true)
  recv=$(grep -o 'tot_recv_msgs=[0-9]*' "$out" | tail -1 | cut -d= -f2 || true)
  if [[ $expect == ok ]]; then
    if [[ $rc -eq 0 && -n "$sent" && "$sent" -gt 0 && "${recv:-0}" -ge $((sent * 98 / 100)) ]]; then
      echo "ok   [$name]: sent $sent received $recv"
    else
      echo "FAIL [$name]: rc=$rc sent=${sent:-?} recv=${recv:-?}"; tail -5 "$out"; FAILS=$((FAILS + 1))
    fi
  else
    if [[ $rc -ne 0 || "${recv:-0}" -eq 0 ]]; then echo "ok   [$name]: refused (rc=$rc, received ${recv:-0})"
    else echo "FAIL [$name]: relayed $recv messages"; FAILS=$((FAILS + 1)); fi
  fi
}
uclient welcome-creds-udp ok 127.0.0.1 -u "$USER" -w "$PASS"
uclient welcome-creds-tcp ok 127.0.0.1 -t -u "$USER" -w "$PASS"
uclient coturn-style-W ok 127.0.0.1 -W "$SECRET" -u someone
uclient wrong-password fail 127.0.0.1 -u "$USER" -w "x$PASS"
uclient not-the-gateway fail 127.0.0.2 -u "$USER" -w "$PASS"

METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_turn_(allocations_created|refused)' || true
if echo "$METRICS" | grep -qE '^floe_turn_refused_total\{reason="peer_configured"\} [1-9]'; then
  echo "ok   [metrics]: the refused peer is counted"
else
  echo "FAIL [metrics]: no peer_configured refusal counted"; FAILS=$((FAILS + 1))
fi
stop_gateway rest

# Static user and TURN over TLS: welcome hands out the user and a turns: URL;
# uclient allocates over TLS with them.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 || { echo "FAIL: openssl"; exit 1; }
TLS_PORT=$(free_port)
TURN_PORT=$(free_port)
start_gateway static --turn-listen "127.0.0.1:$TURN_PORT" --turn-no-tcp --turn-user alice:pw-$RANDOM \
  --turn-tls-listen "127.0.0.1:$TLS_PORT" --turn-cert "$TMP/cert.pem" --turn-key "$TMP/key.pem"
W3=$(FLOE_SRC="$SRC" node "$SRC/tests/interop/gateway_welcome.mjs" "ws://127.0.0.1:$HTTP/ws")
read -r USER PASS URLS < <(echo "$W3" | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin)["iceServers"] if "username" in x][0]
print(s["username"], s["credential"], ",".join(s["urls"]))')
if [[ "$USER" == alice && "$PASS" == pw-* && "$URLS" == "turn:127.0.0.1:$TURN_PORT?transport=udp,turns:127.0.0.1:$TLS_PORT?transport=tcp" ]]; then
  echo "ok   [static-user]: $USER, $URLS"
else
  echo "FAIL [static-user]: $USER $PASS $URLS"; FAILS=$((FAILS + 1))
fi
TURN_PORT=$TLS_PORT uclient static-tls ok 127.0.0.1 -S -t -u "$USER" -w "$PASS"
stop_gateway static
[[ $FAILS -eq 0 ]] || { echo "gateway_turn_rest: $FAILS check(s) failed"; exit 1; }
echo "gateway_turn_rest: all checks passed"
