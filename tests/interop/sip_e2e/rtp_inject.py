#!/usr/bin/env python3
"""RTP bleed source for interop.sip_e2e_rtp_bleed: after DELAY seconds sends
COUNT loud PCMA packets (1 kHz, full scale, a fresh SSRC, 20 ms apart) to each
of the given 127.0.0.1 ports, from SRC_IP (an address that is not the trunk's
signalled media address). Prints what it sent.
Usage: rtp_inject.py SRC_IP DELAY COUNT PORT [PORT...]"""
import math
import socket
import struct
import sys
import time


def linear_to_alaw(x):
    # G.711 A-law encoder (ITU-T G.711 Table 1a), on 16-bit input.
    sign = 0x80 if x >= 0 else 0
    if x < 0:
        x = -x - 1
    x = min(x >> 3, 0xFFF)
    if x < 32:
        seg, mant = 0, x >> 1
    else:
        seg = x.bit_length() - 5
        mant = (x >> seg) & 0x0F
    return (sign | (seg << 4) | mant) ^ 0x55


def main():
    src_ip, delay, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    ports = [int(p) for p in sys.argv[4:]]
    tone = bytes(linear_to_alaw(int(30000 * math.sin(2 * math.pi * 1000 * n / 8000))) for n in range(160))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src_ip, 0))
    time.sleep(delay)
    ssrc = 0x0B1EED00
    for i in range(count):
        hdr = struct.pack('>BBHII', 0x80, 8, (4000 + i) & 0xFFFF, 160 * i, ssrc)
        for p in ports:
            s.sendto(hdr + tone, ('127.0.0.1', p))
        time.sleep(0.02)
    print(f'injected {count} PCMA packets per port from {s.getsockname()} to ports {ports}')


if __name__ == '__main__':
    main()
