"""aiortc (Debian python3-aiortc) calls `echo` on a `floe gateway` it can
reach only through the TURN relay the gateway allocated for itself
(`--ice-turn-server`): the gateway's candidates must include a relayed one,
the pair aiortc nominates must have that relayed candidate as its remote,
and the tone must come back. aiortc uses the STUN servers from `welcome`
(server-reflexive candidates, so the relay may send to its NAT mapping).
Prints one RESULT line with the time to the open data channel.
Usage: gateway_turn_aiortc.py WS_URL"""
import asyncio
import fractions
import json
import sys
import time

import numpy as np
import websockets
from av import AudioFrame
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

RATE, SAMPLES = 48000, 960


class Tone(MediaStreamTrack):
    kind = "audio"

    def __init__(self):
        super().__init__()
        self.pts, self.start = 0, None

    async def recv(self):
        if self.start is None:
            self.start = time.time()
        wait = self.start + self.pts / RATE - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(SAMPLES) + self.pts) / RATE
        frame = AudioFrame.from_ndarray((np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).reshape(1, -1),
                                        format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, self.pts, fractions.Fraction(1, RATE)
        self.pts += SAMPLES
        return frame


async def main(url):
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            failures.append(what)

    ws = await websockets.connect(url)
    events = asyncio.Queue()

    async def reader():
        async for text in ws:
            await events.put(json.loads(text))

    reader_task = asyncio.create_task(reader())

    async def expect(pred, timeout=15):
        deadline = time.time() + timeout
        while True:
            m = await asyncio.wait_for(events.get(), max(0.01, deadline - time.time()))
            if pred(m):
                return m

    await ws.send(json.dumps({"type": "hello", "id": 1}))
    welcome = await expect(lambda m: m["type"] == "welcome")
    stun = [u for s in welcome["iceServers"] for u in ([s["urls"]] if isinstance(s["urls"], str) else s["urls"])
            if u.startswith("stun:")]
    check(bool(stun), f"welcome names STUN server(s) {stun}")
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[RTCIceServer(urls=u) for u in stun]))
    pc._sctpLegacySdp = False
    pc.addTrack(Tone())
    dc = pc.createDataChannel("floe")
    frames = {"all": 0, "loud": 0}

    @pc.on("track")
    def on_track(track):
        async def consume():
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                pcm = frame.to_ndarray().astype(np.float64)
                frames["all"] += 1
                if np.sqrt(np.mean(pcm * pcm)) > 500:
                    frames["loud"] += 1
        asyncio.ensure_future(consume())

    dc_open = asyncio.Event()
    dc.on("open", dc_open.set)
    await pc.setLocalDescription(await pc.createOffer())
    t0 = time.time()
    await ws.send(json.dumps({"type": "call", "id": 2, "callId": "turn1", "target": "echo",
                              "sdp": pc.localDescription.sdp}))
    answer = await expect(lambda m: m["type"] == "answer")
    candidates = []
    while True:
        m = await expect(lambda m: m["type"] in ("candidate", "end-of-candidates", "ended"))
        if m["type"] == "ended":
            check(False, f"call ended early: {m}")
            return 1
        if m["type"] == "end-of-candidates":
            break
        candidates.append(m["candidate"])
    relayed = [c for c in candidates if " typ relay" in c]
    check(bool(relayed), f"Floe offered a relayed candidate: {relayed}")
    lines = answer["sdp"].replace("\r\n", "\n").rstrip("\n").split("\n")
    merged = []
    for line in lines:
        merged.append(line)
        if line.startswith("a=ice-pwd:"):
            merged += ["a=" + c for c in candidates] + ["a=end-of-candidates"]
    await pc.setRemoteDescription(RTCSessionDescription(sdp="\r\n".join(merged) + "\r\n", type="answer"))
    try:
        await asyncio.wait_for(dc_open.wait(), 20)
    except asyncio.TimeoutError:
        check(False, "data channel did not open in 20 s")
        return 1
    ms = 1000 * (time.time() - t0)
    check(True, f"ICE, DTLS and SCTP up through the gateway's relay, data channel open after {ms:.0f} ms")
    conn = pc.getTransceivers()[0].sender.transport.transport._connection
    pair = conn._nominated.get(1)
    rtype = pair.remote_candidate.type if pair else None
    ltype = pair.local_candidate.type if pair else None
    check(rtype == "relay", f"aiortc's nominated pair: local {ltype} -> remote {rtype} (Floe's relayed candidate)")
    await asyncio.sleep(3)
    check(frames["loud"] > 20, f"{frames['all']} audio frames came back in ~3 s, {frames['loud']} carry the tone")
    print(f"RESULT local={ltype} remote={rtype} ms={ms:.0f}", flush=True)
    await ws.send(json.dumps({"type": "hangup", "id": 3, "callId": "turn1"}))
    await pc.close()
    reader_task.cancel()
    await ws.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
