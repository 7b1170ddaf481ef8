#!/usr/bin/env bash
# coturn's turnutils_stunclient against `floe stun-server`: plain Binding over
# IPv4 and IPv6, then its RFC 5780 mode against floe with --alt-ip 127.0.0.2
# (CHANGE-REQUEST, RESPONSE-ORIGIN, OTHER-ADDRESS, RESPONSE-PORT), then a
# Binding over TCP and a wildcard listener's source address (Python clients:
# coturn has no TCP STUN client).
source "$(dirname "$0")/stun_common.bash"
for tool in turnutils_stunclient python3 ss; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/deps/test.txt)"; exit 1; }
done

P=$(pick_port)

# 1. Plain Binding, IPv4 and IPv6.
start_floe plain --listen "127.0.0.1:$P" --listen "[::1]:$P"
out=$(timeout 20 turnutils_stunclient -p "$P" 127.0.0.1 2>&1) || fail "stunclient (IPv4) failed: $out"
echo "$out"
echo "$out" | grep -qE "UDP reflexive addr: 127\.0\.0\.1:[0-9]+" ||
  fail "no IPv4 reflexive address 127.0.0.1:<port> in stunclient output"
echo "ok: turnutils_stunclient got XOR-MAPPED-ADDRESS 127.0.0.1:<its port> from floe over IPv4"
out=$(timeout 20 turnutils_stunclient -p "$P" ::1 2>&1) || fail "stunclient (IPv6) failed: $out"
echo "$out"
echo "$out" | grep -qE "reflexive addr: \[?::1\]?:[0-9]+" ||
  fail "no IPv6 reflexive address ::1 in stunclient output"
echo "ok: turnutils_stunclient got XOR-MAPPED-ADDRESS [::1]:<its port> from floe over IPv6"

# 2. RFC 5780 mode against the four-socket server.
Q=$(pick_port)
start_floe rfc5780 --listen "127.0.0.1:$Q" --alt-ip 127.0.0.2 --tcp
out=$(timeout 20 turnutils_stunclient -f -p "$Q" 127.0.0.1 2>&1) || fail "stunclient -f failed: $out"
echo "$out"
echo "$out" | grep -q "Other addr: : 127.0.0.2:$((Q + 1))" ||
  fail "OTHER-ADDRESS 127.0.0.2:$((Q + 1)) not reported"
echo "$out" | grep -q "Response origin: : 127.0.0.1:$Q" || fail "RESPONSE-ORIGIN 127.0.0.1:$Q missing"
echo "$out" | grep -q "Response origin: : 127.0.0.2:$((Q + 1))" ||
  fail "no reply from the alternate address after CHANGE-REQUEST"
[ "$(echo "$out" | grep -c "RFC 5780 response")" -ge 3 ] || fail "fewer than 3 RFC 5780 responses"
echo "ok: turnutils_stunclient -f saw OTHER-ADDRESS, RESPONSE-ORIGIN and CHANGE-REQUEST replies"

# 3. TCP: one connection, two back-to-back requests in one write.
python3 - "$Q" <<'EOF' || fail "STUN over TCP failed"
import os, socket, struct, sys
port = int(sys.argv[1])
def req():
    tid = os.urandom(12)
    return tid, struct.pack("!HHI", 0x0001, 0, 0x2112A442) + tid
(t1, r1), (t2, r2) = req(), req()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(r1 + r2)
buf = b""
def read_msg():
    global buf
    while len(buf) < 20 or len(buf) < 20 + struct.unpack("!H", buf[2:4])[0]:
        chunk = s.recv(4096)
        if not chunk: raise SystemExit("connection closed")
        buf += chunk
    n = 20 + struct.unpack("!H", buf[2:4])[0]
    m, buf = buf[:n], buf[n:]
    return m
local = s.getsockname()
for tid in (t1, t2):
    m = read_msg()
    typ, length, cookie = struct.unpack("!HHI", m[:8])
    assert typ == 0x0101 and cookie == 0x2112A442 and m[8:20] == tid, "bad response header"
    pos, found = 20, None
    while pos < len(m):
        at, al = struct.unpack("!HH", m[pos:pos + 4])
        v = m[pos + 4:pos + 4 + al]
        if at == 0x0020:
            port_x = struct.unpack("!H", v[2:4])[0] ^ 0x2112
            ip = bytes(a ^ b for a, b in zip(v[4:8], struct.pack("!I", 0x2112A442)))
            found = (socket.inet_ntoa(ip), port_x)
        pos += 4 + ((al + 3) & ~3)
    assert found == local, f"XOR-MAPPED-ADDRESS {found} != {local}"
print(f"ok: STUN over TCP answered two pipelined requests with XOR-MAPPED-ADDRESS {local[0]}:{local[1]}")
EOF

# 4. A wildcard listener answers from the address it was asked on
#    (IP_PKTINFO): without that, a request to 127.0.0.2 would be answered
#    from 127.0.0.1, and connected or NATed clients would never see it.
W=$(pick_port)
start_floe wildcard --listen "0.0.0.0:$W"
python3 - "$W" <<'PY' || fail "wildcard listener answered from the wrong address"
import os, socket, struct, sys
port = int(sys.argv[1])
for dst in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(struct.pack("!HHI", 1, 0, 0x2112A442) + os.urandom(12), (dst, port))
    _, src = s.recvfrom(2048)
    assert src == (dst, port), f"asked {dst}:{port}, answered from {src[0]}:{src[1]}"
    print(f"ok: request to {dst}:{port} answered from {src[0]}:{src[1]}")
PY

# Clean shutdown on SIGTERM with counters printed.
kill -TERM "${pids[0]}"
wait "${pids[0]}" || fail "floe stun-server did not exit cleanly on SIGTERM"
grep -q "shutting down" "$tmp/plain.log" || fail "no shutdown line"
grep -qE "binding success [1-9]" "$tmp/plain.log" || fail "no successful bindings counted"
echo "ok: floe stun-server exited cleanly on SIGTERM: $(tail -1 "$tmp/plain.log")"
echo "PASS"
