#!/usr/bin/python3
"""Several aioice agents against Floe agents that all share ONE UDP port.

Usage: aioice_shared_port.py PATH_TO_ICE_PEER [N]
Floe runs `ice_peer --agents N --role controlled` (the gateway's single-port
mode: one socket, demultiplexed by ufrag, then by the validated 5-tuple);
N aioice connections play the browsers (controlling). Each connection must
select a pair to that one port and exchange datagrams with ITS Floe agent
only. Exits non-zero on any failure.
"""
import asyncio
import sys

import aioice
import aioice.ice


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


async def main(peer_path, n):
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    proc = await asyncio.create_subprocess_exec(
        peer_path, "--role", "controlled", "--bind", "127.0.0.1:0", "--agents", str(n),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    queues = [asyncio.Queue() for _ in range(n)]

    async def reader():
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                for q in queues:
                    await q.put(None)
                return
            line = raw.decode().rstrip("\n")
            print("floe> " + line, flush=True)
            if not line.startswith("@"):
                fail("unprefixed line from ice_peer: " + line)
            idx, _, rest = line[1:].partition(" ")
            await queues[int(idx)].put(rest)

    reader_task = asyncio.ensure_future(reader())

    async def next_line(i, pred, what, timeout=15):
        async def wait():
            while True:
                line = await queues[i].get()
                if line is None:
                    fail("ice_peer exited while waiting for %s (agent %d)" % (what, i))
                if pred(line):
                    return line
        try:
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            fail("timed out waiting for %s (agent %d)" % (what, i))

    async def send(i, cmd):
        print("py  > @%d %s" % (i, cmd), flush=True)
        proc.stdin.write(("@%d %s\n" % (i, cmd)).encode())
        await proc.stdin.drain()

    conns = []
    try:
        floe_port = None
        for i in range(n):
            conn = aioice.Connection(ice_controlling=True, components=1, use_ipv6=False)
            conns.append(conn)
            await conn.gather_candidates()
            ufrag = (await next_line(i, lambda l: l.startswith("ufrag "), "ufrag")).split()[1]
            pwd = (await next_line(i, lambda l: l.startswith("pwd "), "pwd")).split()[1]
            cand = await next_line(i, lambda l: l.startswith("candidate:"), "candidate")
            await next_line(i, lambda l: l == "end-of-candidates", "end-of-candidates")
            port = cand.split()[5]
            if floe_port is None:
                floe_port = port
            elif port != floe_port:
                fail("Floe agents are not sharing one port: %s vs %s" % (port, floe_port))
            conn.remote_username, conn.remote_password = ufrag, pwd
            await conn.add_remote_candidate(aioice.Candidate.from_sdp(cand[len("candidate:"):]))
            await conn.add_remote_candidate(None)
            await send(i, "remote-credentials %s %s" % (conn.local_username, conn.local_password))
            for c in conn.local_candidates:
                await send(i, "candidate:" + c.to_sdp())
            await send(i, "end-of-candidates")
        print("checked: %d Floe agents all offer 127.0.0.1:%s" % (n, floe_port), flush=True)

        await asyncio.wait_for(asyncio.gather(*(c.connect() for c in conns)), 30)
        for i, conn in enumerate(conns):
            sel = await next_line(i, lambda l: l.startswith("selected "), "selected pair")
            mine = "127.0.0.1:%d" % conn.local_candidates[0].port
            if sel.split()[2] != mine:
                fail("Floe agent %d selected %s, its aioice peer is %s" % (i, sel.split()[2], mine))
        print("checked: all %d pairs selected, each Floe agent on its own peer" % n, flush=True)

        for i, conn in enumerate(conns):
            await conn.send(("to-floe-%d" % i).encode())
        for i in range(n):
            await next_line(i, lambda l, i=i: l == "data to-floe-%d" % i, "data to-floe-%d" % i)
        for i in range(n):
            await send(i, "send to-aioice-%d" % i)
        for i, conn in enumerate(conns):
            got = await asyncio.wait_for(conn.recv(), 5)
            if got.decode() != "to-aioice-%d" % i:
                fail("aioice %d received %r" % (i, got))
        print("checked: datagrams reached the right agent both ways on the shared port",
              flush=True)
        await send(0, "counters")
        counters = await next_line(0, lambda l: l.startswith("counters "), "counters")
        fields = dict(kv.split("=") for kv in counters.split()[1:])
        if int(fields["demux_by_ufrag"]) < n or int(fields["demux_by_tuple"]) < n:
            fail("demux counters too low: " + counters)
        print("checked: demux routed %s by ufrag, %s by 5-tuple" %
              (fields["demux_by_ufrag"], fields["demux_by_tuple"]), flush=True)
        await send(0, "quit")
        await asyncio.wait_for(proc.wait(), 5)
        print("PASS: %d aioice agents vs %d Floe agents on one UDP port" % (n, n), flush=True)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        reader_task.cancel()
        for c in conns:
            await c.close()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        fail("usage: aioice_shared_port.py ICE_PEER [N]")
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 4))
