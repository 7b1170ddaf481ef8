#!/usr/bin/env python3
"""One cell of the NAT-lab ICE matrix: two ice_peer processes (Floe's ICE
agent), each started by the command line given as JSON, exchange
credentials and trickled candidates through this script (the signalling
channel), must both select a pair and pass data both ways. Prints one line:
  RESULT <controlling-local>-<controlling-remote> <controlled-local>-<controlled-remote> <ms> <cd_a> <cd_b>
where <ms> is the time from starting both agents to both being connected and
<cd_x> the ChannelData messages each side sent to its TURN server.
"""
import asyncio
import json
import sys
import time


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


class Agent:
    def __init__(self, name, argv):
        self.name, self.argv = name, argv
        self.lines = asyncio.Queue()
        self.log = []

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=None)
        asyncio.ensure_future(self._read())

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                await self.lines.put(None)
                return
            text = line.decode().rstrip("\n")
            self.log.append(text)
            await self.lines.put(text)

    def say(self, line):
        self.proc.stdin.write((line + "\n").encode())

    async def stop(self):
        try:
            self.say("quit")
            await asyncio.wait_for(self.proc.wait(), 2)
        except Exception:
            self.proc.kill()


async def main(a_argv, b_argv, timeout):
    a, b = Agent("controlling", a_argv), Agent("controlled", b_argv)
    t0 = time.monotonic()
    await a.start()
    await b.start()
    state = {a: {}, b: {}}
    peers = {a: b, b: a}

    async def pump(me):
        other = peers[me]
        creds = {}
        while True:
            line = await me.lines.get()
            if line is None:
                fail("%s exited early; its output: %s" % (me.name, me.log))
            if line.startswith("ufrag ") or line.startswith("pwd "):
                k, v = line.split(" ", 1)
                creds[k] = v
                if len(creds) == 2:
                    other.say("remote-credentials %s %s" % (creds["ufrag"], creds["pwd"]))
            elif line.startswith("candidate") or line == "end-of-candidates":
                other.say(line)
            elif line.startswith("selected-types "):
                state[me]["types"] = line.split()[1:3]
            elif line.startswith("state "):
                s = line.split()[1]
                if s in ("connected", "completed") and "connected_ms" not in state[me]:
                    state[me]["connected_ms"] = (time.monotonic() - t0) * 1000
                if s == "failed":
                    fail("%s: ICE failed; output: %s" % (me.name, me.log))
            elif line.startswith("counters "):
                state[me]["counters"] = dict(kv.split("=") for kv in line.split()[1:])
            elif line.startswith("data "):
                state[me].setdefault("data", []).append(line[5:])

    tasks = [asyncio.ensure_future(pump(x)) for x in (a, b)]

    async def wait_for(pred, what):
        end = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > end:
                fail("timed out waiting for %s; controlling: %s; controlled: %s"
                     % (what, a.log, b.log))
            await asyncio.sleep(0.01)

    await wait_for(lambda: all("connected_ms" in state[x] and "types" in state[x] for x in (a, b)),
                   "both agents connected with a selected pair")
    a.say("send ping-from-controlling")
    b.say("send ping-from-controlled")
    await wait_for(lambda: "ping-from-controlled" in state[a].get("data", []) and
                   "ping-from-controlling" in state[b].get("data", []), "data both ways")
    # Once a relayed pair is selected a channel is bound (RFC 8656 §12);
    # more data then rides ChannelData, which the counters show.
    await asyncio.sleep(0.3)
    for x in (a, b):
        x.say("send after-channel-bind")
        x.say("counters")
    await wait_for(lambda: all("counters" in state[x] for x in (a, b)), "counters")
    await asyncio.sleep(0.2)
    for x in (a, b):
        x.say("counters")
    await asyncio.sleep(0.2)
    ms = max(state[a]["connected_ms"], state[b]["connected_ms"])
    channels = [int(state[x]["counters"].get("turn_channel_data_sent", 0)) for x in (a, b)]
    print("RESULT %s %s %.0f %d %d" % ("-".join(state[a]["types"]), "-".join(state[b]["types"]),
                                       ms, channels[0], channels[1]), flush=True)
    for t in tasks:
        t.cancel()
    await a.stop()
    await b.stop()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])))
