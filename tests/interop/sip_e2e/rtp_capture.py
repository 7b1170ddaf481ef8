#!/usr/bin/env python3
"""Reads a libpcap capture of UDP toward sipp's RTP port and reports the RTP
in it: packets per payload type, SSRCs, sequence gaps, the longest pause, and
for G.711 (PT 0/8) how many packets carry sound (RMS above a floor).
Usage: rtp_capture.py FILE [--min-packets N] [--min-loud N] [--pt P]
       [--min-gap-ms MS] [--max-ssrcs N]; exits 1 when a bound fails."""
import argparse
import struct
import sys


def alaw_to_linear(a):
    a ^= 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


def ulaw_to_linear(u):
    u = ~u & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return (0x84 - t) if u & 0x80 else (t - 0x84)


ALAW = [alaw_to_linear(i) for i in range(256)]
ULAW = [ulaw_to_linear(i) for i in range(256)]


def udp_payloads(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xA1B2C3D4, 0xA1B23C4D) else '>'
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    l2 = {1: 14, 113: 16, 276: 20, 0: 4}.get(linktype)
    if l2 is None:
        sys.exit(f'unsupported link type {linktype}')
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ip = pkt[l2:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 0x0F) * 4
        udp = ip[ihl:]
        src = '.'.join(str(b) for b in ip[12:16]) + ':' + str(struct.unpack('>H', udp[0:2])[0])
        yield sec + frac / (1e9 if nano else 1e6), src, udp[8:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('file')
    ap.add_argument('--min-packets', type=int, default=0)
    ap.add_argument('--min-loud', type=int, default=0)
    ap.add_argument('--pt', type=int)
    ap.add_argument('--min-gap-ms', type=float, default=0)
    ap.add_argument('--max-ssrcs', type=int, default=0, help='0: any number')
    a = ap.parse_args()
    per_pt, ssrcs, sources = {}, set(), set()
    loud = total = 0
    times = []
    peak = 0
    for t, src, p in udp_payloads(a.file):
        if len(p) < 12 or p[0] >> 6 != 2:
            continue
        pt = p[1] & 0x7F
        cc = p[0] & 0x0F
        payload = p[12 + 4 * cc:]
        per_pt[pt] = per_pt.get(pt, 0) + 1
        ssrcs.add(struct.unpack('>I', p[8:12])[0])
        sources.add(src)
        if a.pt is not None and pt != a.pt:
            continue
        total += 1
        times.append(t)
        if pt in (0, 8) and payload:
            table = ALAW if pt == 8 else ULAW
            rms = (sum(table[b] ** 2 for b in payload) / len(payload)) ** 0.5
            peak = max(peak, rms)
            if rms > 200:
                loud += 1
    gaps = [b - a_ for a_, b in zip(times, times[1:])]
    longest = max(gaps) * 1000 if gaps else 0
    print(f'RTP to sipp: {sum(per_pt.values())} packets, per payload type {per_pt}, '
          f'SSRCs {len(ssrcs)}, from {sorted(sources)}; PT {a.pt}: {total} packets, '
          f'{loud} with RMS > 200 (peak RMS {peak:.0f}), longest pause {longest:.0f} ms')
    ok = (total >= a.min_packets and loud >= a.min_loud and longest >= a.min_gap_ms
          and (a.max_ssrcs == 0 or len(ssrcs) <= a.max_ssrcs))
    if not ok:
        print('FAIL: bounds --min-packets %d --min-loud %d --min-gap-ms %.0f --max-ssrcs %d not met'
              % (a.min_packets, a.min_loud, a.min_gap_ms, a.max_ssrcs))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
