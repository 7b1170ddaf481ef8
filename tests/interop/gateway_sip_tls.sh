#!/usr/bin/env bash
# SIP over TLS on `floe gateway` (RFC 3261 §26.2), against OpenSSL's own
# TLS endpoints: `openssl s_client` checks the gateway's certificate and gets
# 200 OK to an OPTIONS sent over the TLS listener; `openssl s_server` plays a
# trunk with transport=tls and receives Floe's REGISTER over TLS (Via
# SIP/2.0/TLS) after Floe verified the trunk's certificate; a trunk whose
# certificate no configured CA signed gets no REGISTER at all.
set -euo pipefail
source "$(dirname "$0")/gateway_common.bash"
command -v openssl >/dev/null || { echo "FAIL: openssl missing"; exit 1; }
free_tcp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
SPIDS=()
stop_servers() { for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null || true; done; SPIDS=(); }
trap 'stop_servers; gateway_cleanup' EXIT

# A CA, and certificates for 127.0.0.1 (IP subjectAltName) signed by it.
cd "$TMP"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=floe-test-ca \
  -keyout ca.key -out ca.pem 2>/dev/null
leaf() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" -keyout "$1.key" \
    -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" \
    -out "$1.pem" 2>/dev/null
}
leaf gateway
leaf trunk
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=stranger \
  -addext subjectAltName=IP:127.0.0.1 -keyout stranger.key -out stranger.pem 2>/dev/null
cd - >/dev/null

# s_server as the trunk: prints what it receives.
trunk() {
  local port=$1 cert=$2 out=$3
  openssl s_server -accept "127.0.0.1:$port" -cert "$TMP/$cert.pem" -key "$TMP/$cert.key" \
    -quiet < <(sleep 30) >"$out" 2>&1 &
  SPIDS+=($!)
  # Ready when listening (a probe connection would be taken as the trunk's).
  for _ in $(seq 50); do ss -ltnH "sport = :$port" | grep -q . && break; sleep 0.1; done
}

T1=$(free_tcp)
trunk "$T1" trunk "$TMP/trunk.out"
start_gateway tls --sip-tls-cert "$TMP/gateway.pem" --sip-tls-key "$TMP/gateway.key" \
  --sip-tls-ca "$TMP/ca.pem" --sip-tls-port 0 \
  --trunk "name=tls,proxy=127.0.0.1:$T1,transport=tls,user=alice,password=pw,register=1"
TLS_ADDR=$(awk '/: sip tls /{print $5}' "$TMP/tls.out")
[ -n "$TLS_ADDR" ] || { echo "FAIL: no TLS listener line"; exit 1; }
echo "gateway SIP/TLS listener: $TLS_ADDR"

# 1. Our listener: s_client verifies the gateway's certificate, sends OPTIONS.
REQ=$'OPTIONS sip:floe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-tls-1\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:floe@127.0.0.1>\r\nCall-ID: tls-options-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'
reply=$( (printf "%s" "$REQ"; sleep 2) | timeout 6 openssl s_client -connect "$TLS_ADDR" -CAfile "$TMP/ca.pem" \
  -verify_return_error -verify_ip 127.0.0.1 -quiet 2>"$TMP/s_client.err" || true)
printf 'reply: %s\n' "${reply%%$'\r'*}"
grep -q '^SIP/2.0 200' <<<"$reply" || { echo "FAIL: no 200 to OPTIONS over TLS"; cat "$TMP/s_client.err"; exit 1; }
echo "ok: OPTIONS over TLS answered 200, gateway certificate verified by openssl s_client"

# 2. A TLS trunk: Floe registers over TLS after checking the trunk's certificate.
for _ in $(seq 50); do grep -q '^REGISTER ' "$TMP/trunk.out" && break; sleep 0.1; done
grep -q '^REGISTER sip:127.0.0.1' "$TMP/trunk.out" || { echo "FAIL: no REGISTER at the TLS trunk"; cat "$TMP/trunk.out" "$TMP/tls.err"; exit 1; }
grep -q '^Via: SIP/2.0/TLS ' "$TMP/trunk.out" || { echo "FAIL: REGISTER's Via is not TLS"; cat "$TMP/trunk.out"; exit 1; }
echo "ok: REGISTER reached the TLS trunk: $(grep -m1 '^Via:' "$TMP/trunk.out")"
stop_gateway tls
stop_servers

# 3. A trunk whose certificate no configured CA signed: nothing is sent.
T2=$(free_tcp)
trunk "$T2" stranger "$TMP/stranger.out"
start_gateway untrusted --sip-tls-ca "$TMP/ca.pem" \
  --trunk "name=tls,proxy=127.0.0.1:$T2,transport=tls,user=alice,password=pw,register=1"
sleep 2
if grep -q 'REGISTER' "$TMP/stranger.out"; then
  echo "FAIL: Floe sent a REGISTER to a trunk with an untrusted certificate"; exit 1
fi
echo "ok: no request reached a trunk whose certificate the CA did not sign"
stop_gateway untrusted
echo "PASS: SIP over TLS on floe gateway"
