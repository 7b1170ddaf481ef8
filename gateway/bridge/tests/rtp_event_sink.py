#!/usr/bin/env python3
"""A test RTP sink for the DTMF check: binds 127.0.0.1:PORT, collects RFC 4733
telephone-event packets (payload type PT) for SECONDS, and prints one JSON
object: each event (keyed by its RTP timestamp, RFC 4733 §2.5.1.2) with its
code, whether the first packet had the marker bit, how many end (E) packets
came, their final duration, plus the audio packet count and SSRCs seen."""
import json
import socket
import struct
import sys
import time

port, pt, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(0.2)
events, audio, ssrcs, seqs = {}, 0, set(), []
deadline = time.time() + seconds
while time.time() < deadline:
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(data) < 12 or data[0] >> 6 != 2:
        continue
    marker, ptype = data[1] >> 7, data[1] & 0x7F
    seq, ts, ssrc = struct.unpack("!HII", data[2:12])
    ssrcs.add(ssrc)
    seqs.append(seq)
    if ptype != pt:
        audio += 1
        continue
    if len(data) < 16:
        continue
    ev, flags, duration = data[12], data[13], struct.unpack("!H", data[14:16])[0]
    e = events.setdefault(ts, {"event": ev, "marker": False, "packets": 0, "ends": 0, "duration": 0})
    e["packets"] += 1
    e["marker"] |= bool(marker)
    if flags & 0x80:
        e["ends"] += 1
    e["duration"] = max(e["duration"], duration)
ordered = [events[k] for k in sorted(events)]
steps = [(b - a) & 0xFFFF for a, b in zip(seqs, seqs[1:])]
print(json.dumps({"events": ordered, "audio": audio, "ssrcs": len(ssrcs),
                  "seq_gaps": sum(1 for d in steps if d != 1)}))
