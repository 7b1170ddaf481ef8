#!/usr/bin/env python3
"""RTP side of tests/interop/testline_sipp.sh (sipp does the SIP).

  rtp_probe.py echo --port P --to HOST:PORT --count N --out FILE
      From 127.0.0.1:P send N PCMU packets (20 ms apart, distinct sequence
      numbers and payloads) to the test line and count the ones that come
      back byte-identical.
  rtp_probe.py tone --port P --seconds S --out FILE
      Listen on 127.0.0.1:P for S seconds and describe what arrived: payload
      type, SSRC changes, sequence and timestamp steps, arrival gaps, marker
      bits, and the dominant frequency of the decoded G.711 audio (decoded
      with Python's audioop, a G.711 implementation independent of Floe's).

The result is one line of key=value pairs written to FILE.
"""
import argparse
import math
import socket
import struct
import sys
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402  (deprecated in 3.11, still shipped in Debian 12)


def write(out, fields):
    line = " ".join(f"{k}={v}" for k, v in fields.items())
    with open(out, "w") as f:
        f.write(line + "\n")
    print(line)


def echo(args):
    host, port = args.to.rsplit(":", 1)
    dest = (host, int(port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", args.port))
    s.settimeout(0.005)
    sent = {}
    sent_at = {}
    rtts = []
    echoed = identical = 0
    ssrc = 0x5EC0DE01
    next_send = time.monotonic()
    deadline = next_send + args.count * 0.02 + 1.0
    i = 0
    while time.monotonic() < deadline:
        now = time.monotonic()
        if i < args.count and now >= next_send:
            payload = bytes(((i * 7 + k) & 0xFF) for k in range(160))
            pkt = struct.pack("!BBHII", 0x80, 0, (1000 + i) & 0xFFFF, 160 * i, ssrc) + payload
            sent[(1000 + i) & 0xFFFF] = pkt
            sent_at[(1000 + i) & 0xFFFF] = time.monotonic()
            s.sendto(pkt, dest)
            i += 1
            next_send += 0.02
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            if i >= args.count and echoed >= args.count:
                break
            continue
        if len(data) < 12:
            continue
        echoed += 1
        seq = struct.unpack("!H", data[2:4])[0]
        if sent.get(seq) == data:
            identical += 1
            rtts.append(time.monotonic() - sent_at[seq])
    r = {"sent": i, "echoed": echoed, "identical": identical}
    if rtts:
        rtts.sort()
        r["rtt_median_us"] = int(rtts[len(rtts) // 2] * 1e6)
        r["rtt_max_us"] = int(rtts[-1] * 1e6)
    write(args.out, r)


def decode(pt, payload):
    lin = audioop.ulaw2lin(payload, 2) if pt == 0 else audioop.alaw2lin(payload, 2)
    return struct.unpack(f"<{len(lin) // 2}h", lin)


def power(samples, f, rate=8000.0):
    re = im = 0.0
    w = 2 * math.pi * f / rate
    for n, x in enumerate(samples):
        re += x * math.cos(w * n)
        im -= x * math.sin(w * n)
    return re * re + im * im


def tone(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", args.port))
    s.settimeout(0.05)
    packets = []
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            continue
        if len(data) >= 12 and data[0] >> 6 == 2:
            packets.append((time.monotonic(), data))
    r = {"packets": len(packets)}
    if not packets:
        write(args.out, r)
        return
    pts = sorted({d[1] & 0x7F for _, d in packets})
    r["pt"] = ",".join(map(str, pts))
    ssrcs = [struct.unpack("!I", d[8:12])[0] for _, d in packets]
    r["ssrc_changes"] = sum(1 for a, b in zip(ssrcs, ssrcs[1:]) if a != b)
    seqs = [struct.unpack("!H", d[2:4])[0] for _, d in packets]
    r["seq_bad"] = sum(1 for a, b in zip(seqs, seqs[1:]) if (b - a) & 0xFFFF != 1)
    tss = [struct.unpack("!I", d[4:8])[0] for _, d in packets]
    times = [t for t, _ in packets]
    # Timestamp steps: 160 between consecutive packets, or (after a gap) the
    # elapsed time in samples, within two packets.
    ts_bad = 0
    max_gap = 0.0
    gap_ts_ok = 1
    for k in range(1, len(packets)):
        dt = times[k] - times[k - 1]
        dts = (tss[k] - tss[k - 1]) & 0xFFFFFFFF
        max_gap = max(max_gap, dt)
        if dt < 0.1:
            if dts != 160:
                ts_bad += 1
        elif abs(dts - dt * 8000) > 2 * 160 + 0.06 * 8000:
            gap_ts_ok = 0
    r["ts_bad"] = ts_bad
    r["gap_ts_ok"] = gap_ts_ok
    r["max_gap_ms"] = int(max_gap * 1000)
    r["markers"] = sum(1 for _, d in packets if d[1] & 0x80)
    r["payload_bytes"] = ",".join(sorted({str(len(d) - 12) for _, d in packets}))
    span = times[-1] - times[0]
    r["rate_pps"] = round((len(packets) - 1) / span, 1) if span > 0 else 0
    # Arrival spacing of consecutive packets (not across a hold gap).
    steps = [b - a for a, b in zip(times, times[1:]) if b - a < 0.1]
    if steps:
        mean = sum(steps) / len(steps)
        r["spacing_mean_ms"] = round(mean * 1000, 2)
        r["spacing_max_dev_ms"] = round(max(abs(x - mean) for x in steps) * 1000, 2)
    # The dominant frequency of one second of audio from the first stream.
    first = [d for _, d in packets if (d[1] & 0x7F) == pts[0]][:50]
    samples = []
    for d in first:
        samples.extend(decode(d[1] & 0x7F, d[12:]))
    total = sum(x * x for x in samples) or 1.0
    best_f, best_p = 0, -1.0
    for f in range(100, 4000, 50):
        p = power(samples, f)
        if p > best_p:
            best_f, best_p = f, p
    r["dominant_hz"] = best_f
    # Share of the signal power in that bin (1.0 for a pure tone; Parseval).
    r["purity"] = round(best_p / (total * len(samples) / 2), 3)
    r["peak"] = max(abs(x) for x in samples)
    write(args.out, r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["echo", "tone"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--to")
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--note", default="")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.mode == "echo":
        if not args.to:
            sys.exit("echo needs --to")
        echo(args)
    else:
        tone(args)


if __name__ == "__main__":
    main()
