#!/usr/bin/python3
"""Floe's ICE agent (ice_peer) against aioice on loopback.

Usage: aioice_interop.py PATH_TO_ICE_PEER controlling|controlled [ipv6]
`controlling` is Floe's role; aioice takes the other one. With `ipv6` both
sides use ::1 instead of 127.0.0.1. Exits non-zero on
any failure and prints what it checked.
"""
import asyncio
import sys

import aioice
import aioice.ice

ROUNDS = 3


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


async def main(peer_path, floe_role, ipv6):
    # aioice skips loopback when it lists interfaces; the test stays on loopback.
    loopback = "::1" if ipv6 else "127.0.0.1"
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [loopback]
    floe_controlling = floe_role == "controlling"
    conn = aioice.Connection(ice_controlling=not floe_controlling, components=1,
                             use_ipv4=not ipv6, use_ipv6=ipv6)
    await conn.gather_candidates()

    proc = await asyncio.create_subprocess_exec(
        peer_path, "--role", floe_role, "--bind", "[::1]:0" if ipv6 else "127.0.0.1:0",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    lines = asyncio.Queue()

    async def reader():
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                await lines.put(None)
                return
            line = raw.decode().rstrip("\n")
            print("floe> " + line, flush=True)
            await lines.put(line)

    reader_task = asyncio.ensure_future(reader())

    async def next_line(pred, what, timeout=15):
        async def wait():
            while True:
                line = await lines.get()
                if line is None:
                    fail("ice_peer exited while waiting for " + what)
                if pred(line):
                    return line
        try:
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            fail("timed out waiting for " + what)

    def send(cmd):
        print("py  > " + cmd, flush=True)
        proc.stdin.write((cmd + "\n").encode())

    try:
        ufrag = (await next_line(lambda l: l.startswith("ufrag "), "ufrag")).split()[1]
        pwd = (await next_line(lambda l: l.startswith("pwd "), "pwd")).split()[1]
        floe_candidates = []
        while True:
            line = await next_line(lambda l: l.startswith("candidate:") or
                                   l == "end-of-candidates", "candidates")
            if line == "end-of-candidates":
                break
            floe_candidates.append(line)
        if not floe_candidates:
            fail("Floe offered no candidate")

        conn.remote_username = ufrag
        conn.remote_password = pwd
        for c in floe_candidates:
            await conn.add_remote_candidate(aioice.Candidate.from_sdp(c[len("candidate:"):]))
        await conn.add_remote_candidate(None)

        send("remote-credentials %s %s" % (conn.local_username, conn.local_password))
        for c in conn.local_candidates:
            send("candidate:" + c.to_sdp())
        send("end-of-candidates")
        await proc.stdin.drain()

        await asyncio.wait_for(conn.connect(), 20)
        print("checked: aioice connect() completed (a pair was nominated)", flush=True)
        selected = await next_line(lambda l: l.startswith("selected "), "Floe selected pair")
        _, floe_local, floe_remote, _ = selected.split()
        host = conn.local_candidates[0].host
        aio_local = ("[%s]:%d" if ":" in host else "%s:%d") % (host, conn.local_candidates[0].port)
        if floe_remote != aio_local:
            fail("Floe selected %s, aioice is at %s" % (floe_remote, aio_local))
        print("checked: Floe selected %s -> %s (aioice's address)" % (floe_local, floe_remote),
              flush=True)
        await next_line(lambda l: l in ("state connected", "state completed"), "Floe connected")

        for i in range(ROUNDS):
            msg = "aioice-to-floe-%d" % i
            await conn.send(msg.encode())
            await next_line(lambda l, m=msg: l == "data " + m, "data " + msg)
        print("checked: %d datagrams aioice -> Floe arrived intact" % ROUNDS, flush=True)
        for i in range(ROUNDS):
            msg = "floe-to-aioice-%d" % i
            send("send " + msg)
            await proc.stdin.drain()
            got = await asyncio.wait_for(conn.recv(), 5)
            if got.decode() != msg:
                fail("aioice received %r, expected %r" % (got, msg))
        print("checked: %d datagrams Floe -> aioice arrived intact" % ROUNDS, flush=True)

        # RFC 7675: Floe's consent checks (every 4-6 s) must be answered by aioice.
        await asyncio.sleep(6.5)
        send("counters")
        await proc.stdin.drain()
        counters = await next_line(lambda l: l.startswith("counters "), "counters")
        fields = dict(kv.split("=") for kv in counters.split()[1:])
        if fields["bad_integrity"] != "0":
            fail("Floe counted integrity failures: " + counters)
        if int(fields["consent_responses"]) < 1:
            fail("no consent response from aioice within 6.5 s: " + counters)
        print("checked: aioice answered %s consent request(s) from Floe" %
              fields["consent_responses"], flush=True)
        send("send after-consent")
        await proc.stdin.drain()
        got = await asyncio.wait_for(conn.recv(), 5)
        if got != b"after-consent":
            fail("no data after the consent period: %r" % got)
        send("quit")
        await proc.stdin.drain()
        await asyncio.wait_for(proc.wait(), 5)
        if proc.returncode != 0:
            fail("ice_peer exited with %d" % proc.returncode)
        print("PASS: Floe %s vs aioice %s over %s" %
              (floe_role, "controlled" if floe_controlling else "controlling",
               "IPv6" if ipv6 else "IPv4"), flush=True)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        reader_task.cancel()
        await conn.close()


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in ("controlling", "controlled"):
        fail("usage: aioice_interop.py ICE_PEER controlling|controlled [ipv6]")
    asyncio.run(main(sys.argv[1], sys.argv[2], len(sys.argv) == 4 and sys.argv[3] == "ipv6"))
