#!/usr/bin/env bash
# Floe's ICE agent against python3-aioice (a third-party RFC 8445 agent) on
# 127.0.0.1: Floe controlling, then Floe controlled. Each run checks that a
# pair is selected on both sides and that datagrams flow both ways intact.
# Then several aioice agents talk to Floe agents that share one UDP port.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peer="${FLOE_BUILD:?FLOE_BUILD must point at the build dir}/ice/ice_peer"
if [[ ! -x "$peer" ]]; then
  echo "FAIL: $peer not built (ice_peer target)"; exit 1
fi
if ! /usr/bin/python3 -c 'import aioice' 2>/dev/null; then
  echo "FAIL: python3-aioice is not installed (apt-get install python3-aioice)"; exit 1
fi
for role in controlling controlled; do
  echo "=== Floe $role vs aioice"
  timeout 60 /usr/bin/python3 "$here/aioice_interop.py" "$peer" "$role"
done
# IPv6 too, when this host has an IPv6 loopback (some containers disable it).
if /usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null; then
  echo "=== Floe controlling vs aioice over ::1"
  timeout 60 /usr/bin/python3 "$here/aioice_interop.py" "$peer" controlling ipv6
else
  echo "note: no IPv6 loopback here (::1 cannot be bound): the IPv6 run was not possible"
fi
echo "=== 4 aioice agents vs 4 Floe agents sharing one UDP port"
timeout 60 /usr/bin/python3 "$here/aioice_shared_port.py" "$peer" 4
echo "PASS: aioice interop, both roles and single-port demultiplexing"
