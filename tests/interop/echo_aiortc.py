"""aiortc (Debian python3-aiortc) as an independent WebRTC client of Floe's
JSON protocol: hello, call `echo` with an offer carrying a 440 Hz tone and a
data channel, apply Floe's answer (its trickled candidates merged in: aiortc
1.4 does not trickle), then check that decoded audio frames with energy come
back and that data-channel messages echo. A second call with a forged
a=fingerprint must end with reason "failed". Usage: echo_aiortc.py WS_URL"""
import asyncio
import fractions
import json
import os
import sys
import time

import numpy as np
import websockets
from av import AudioFrame
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

RATE = 48000
SAMPLES = 960  # 20 ms


class Tone(MediaStreamTrack):
    kind = "audio"

    def __init__(self):
        super().__init__()
        self.pts = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.time()
        wait = self.start + self.pts / RATE - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(SAMPLES) + self.pts) / RATE
        samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, RATE)
        self.pts += SAMPLES
        return frame


async def main(url):
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            failures.append(what)

    ws = await websockets.connect(url)
    next_id = 1

    async def request(kind, **fields):
        nonlocal next_id
        msg = {"type": kind, "id": next_id, **fields}
        next_id += 1
        await ws.send(json.dumps(msg))
        return msg["id"]

    events = asyncio.Queue()

    async def reader():
        async for text in ws:
            await events.put(json.loads(text))

    reader_task = asyncio.create_task(reader())

    async def expect(pred, timeout=10):
        deadline = time.time() + timeout
        while True:
            m = await asyncio.wait_for(events.get(), max(0.01, deadline - time.time()))
            if pred(m):
                return m

    await request("hello")
    welcome = await expect(lambda m: m["type"] == "welcome")
    check(bool(welcome.get("sessionId")), "hello -> welcome " + welcome.get("sessionId", "?"))

    pc = RTCPeerConnection()
    # aiortc 1.4 offers the pre-RFC 8841 "DTLS/SCTP <port>" + a=sctpmap form by
    # default; LEGACY_SCTP=1 keeps it (Floe must answer in that form), else
    # ask for what browsers send (RFC 8841).
    legacy = os.environ.get("LEGACY_SCTP") == "1"
    pc._sctpLegacySdp = legacy
    pc.addTrack(Tone())
    dc = pc.createDataChannel("floe")
    frames = {"all": 0, "loud": 0}
    got_track = asyncio.Event()

    @pc.on("track")
    def on_track(track):
        got_track.set()

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

    echoes = asyncio.Queue()
    dc_open = asyncio.Event()
    dc.on("open", dc_open.set)
    dc.on("message", lambda m: echoes.put_nowait(m))

    await pc.setLocalDescription(await pc.createOffer())
    t0 = time.time()
    call_req = await request("call", callId="aio1", target="echo", sdp=pc.localDescription.sdp)
    ack = await expect(lambda m: m.get("id") == call_req)
    check(ack["type"] == "ack", "call echo acknowledged")
    answer = await expect(lambda m: m["type"] == "answer")
    candidates = []
    while True:
        m = await expect(lambda m: m["type"] in ("candidate", "end-of-candidates", "answered"))
        if m["type"] == "candidate":
            candidates.append(m["candidate"])
        elif m["type"] == "end-of-candidates":
            break
    check(len(candidates) > 0, f"Floe trickled {len(candidates)} candidate(s) and end-of-candidates")
    if legacy:
        check("DTLS/SCTP 5000" in pc.localDescription.sdp and "a=sctpmap:" in pc.localDescription.sdp,
              "aiortc offered the legacy m=application DTLS/SCTP + a=sctpmap form")
        check("m=application 9 DTLS/SCTP 5000" in answer["sdp"]
              and "a=sctpmap:5000 webrtc-datachannel" in answer["sdp"]
              and "a=sctp-port" not in answer["sdp"],
              "Floe answered in the same legacy form")
    advertised = os.environ.get("EXPECT_ADVERTISED")
    if advertised:
        check(all(c.split()[4] == advertised for c in candidates),
              f"every candidate advertises {advertised} (--advertise): {candidates}")
    # aiortc 1.4 takes candidates in the description only: merge them into
    # every bundled section of the answer.
    if "-v" in sys.argv:
        print(answer["sdp"])
    lines = answer["sdp"].replace("\r\n", "\n").rstrip("\n").split("\n")
    merged = []
    for line in lines:
        merged.append(line)
        if line.startswith("a=ice-pwd:"):
            merged += ["a=" + c for c in candidates] + ["a=end-of-candidates"]
    await pc.setRemoteDescription(RTCSessionDescription(sdp="\r\n".join(merged) + "\r\n", type="answer"))

    await asyncio.wait_for(dc_open.wait(), 10)
    check(True, f"ICE, DTLS and SCTP up, data channel open after {1000 * (time.time() - t0):.0f} ms")
    await asyncio.wait_for(got_track.wait(), 5)
    for text in ("hello floe", "second message"):
        dc.send(text)
        echoed = await asyncio.wait_for(echoes.get(), 5)
        check(echoed == text, f"data channel echoed {text!r}")
    dc.send(b"\x00\x01binary")
    echoed = await asyncio.wait_for(echoes.get(), 5)
    check(echoed == b"\x00\x01binary", "data channel echoed a binary message")

    await asyncio.sleep(3)
    check(frames["all"] > 50, f"{frames['all']} audio frames came back in ~3 s")
    check(frames["loud"] > 20, f"{frames['loud']} of them carry the tone (RMS > 500)")

    await request("hangup", callId="aio1")
    await pc.close()

    # A wrong a=fingerprint: Floe's DTLS must refuse aiortc's certificate and
    # end the call with reason "failed" (RFC 8122 §5).
    pc2 = RTCPeerConnection()
    pc2._sctpLegacySdp = False
    pc2.addTrack(Tone())
    pc2.createDataChannel("floe")
    await pc2.setLocalDescription(await pc2.createOffer())
    forged = []
    for line in pc2.localDescription.sdp.split("\r\n"):
        if line.startswith("a=fingerprint:sha-256 "):
            line = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32)
        forged.append(line)
    t1 = time.time()
    req2 = await request("call", callId="aio2", target="echo", sdp="\r\n".join(forged))
    await expect(lambda m: m.get("id") == req2)
    answer2 = await expect(lambda m: m["type"] == "answer" and m.get("callId") == "aio2")
    cands2 = []
    while True:
        m = await expect(lambda m: m.get("callId") == "aio2" and m["type"] in ("candidate", "end-of-candidates"))
        if m["type"] == "end-of-candidates":
            break
        cands2.append(m["candidate"])
    merged2 = []
    for line in answer2["sdp"].replace("\r\n", "\n").rstrip("\n").split("\n"):
        merged2.append(line)
        if line.startswith("a=ice-pwd:"):
            merged2 += ["a=" + c for c in cands2] + ["a=end-of-candidates"]
    await pc2.setRemoteDescription(RTCSessionDescription(sdp="\r\n".join(merged2) + "\r\n", type="answer"))
    ended = await expect(lambda m: m["type"] == "ended" and m.get("callId") == "aio2", timeout=15)
    check(ended.get("reason") == "failed",
          f"wrong fingerprint: call ended '{ended.get('reason')}' after {1000 * (time.time() - t1):.0f} ms "
          f"({ended.get('message', '')})")
    await pc2.close()
    reader_task.cancel()
    await ws.close()
    print(f"{'PASS' if not failures else 'FAIL'}: aiortc echo ({len(failures)} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
