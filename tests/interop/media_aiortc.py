"""Floe's RTP/RTCP codec (gateway/media) against aiortc's (aiortc.rtp), both ways.

Usage: media_aiortc.py MEDIA_PEER
  1. RTCP Floe writes (SR+SDES+BYE, RR+SDES) is parsed by aiortc; fields compared.
  2. RTCP aiortc writes (SR, RR, SDES, BYE, PSFB PLI, RTPFB NACK) is parsed by Floe.
  3. RTP aiortc writes (CSRCs, RFC 8285 one-byte extensions, padding) is parsed by
     Floe, rewritten in place by OutboundStream, and parsed back by aiortc: the
     payload and extensions survive, SSRC/PT/sequence/timestamp are Floe's.
"""
import subprocess
import sys

from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import (HeaderExtensionsMap, RtcpByePacket, RtcpPacket, RtcpPsfbPacket,
                        RtcpReceiverInfo, RtcpRrPacket, RtcpRtpfbPacket, RtcpSdesPacket,
                        RtcpSenderInfo, RtcpSourceInfo, RtcpSrPacket, RtpPacket)

peer = sys.argv[1]
failures = []


def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what)
    if not cond:
        failures.append(what)


def run(args, stdin=""):
    r = subprocess.run([peer] + args, input=stdin, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        failures.append(f"media_peer {args[0]} exit {r.returncode}")
    return r.stdout.splitlines()


print("1. Floe-written RTCP parsed by aiortc")
sr_hex, rr_hex = run(["write-rtcp"])
pkts = RtcpPacket.parse(bytes.fromhex(sr_hex))
check([type(p).__name__ for p in pkts] == ["RtcpSrPacket", "RtcpSdesPacket", "RtcpByePacket"],
      f"SR compound = {[type(p).__name__ for p in pkts]}")
sr, sdes, bye = pkts
check(sr.ssrc == 0xaabbccdd, "SR ssrc")
check(sr.sender_info.ntp_timestamp == 0xe8a1b2c380000000, "SR NTP timestamp")
check((sr.sender_info.rtp_timestamp, sr.sender_info.packet_count, sr.sender_info.octet_count)
      == (123456, 50, 8000), "SR RTP timestamp, packet and octet counts")
b = sr.reports[0]
check((b.ssrc, b.fraction_lost, b.packets_lost, b.highest_sequence, b.jitter, b.lsr, b.dlsr)
      == (0x01020304, 25, 300, 0x11234, 77, 0xb7052000, 0x54000), "report block fields")
check(sdes.chunks[0].ssrc == 0xaabbccdd and sdes.chunks[0].items == [(1, b"floe@gw")], "SDES CNAME")
check(bye.sources == [0xaabbccdd], "BYE source")
pkts = RtcpPacket.parse(bytes.fromhex(rr_hex))
check(isinstance(pkts[0], RtcpRrPacket) and pkts[0].ssrc == 0x11111111
      and pkts[0].reports[0].jitter == 77, "RR with one block")
check(pkts[1].chunks[0].items == [(1, b"rr")], "RR compound SDES CNAME")

print("2. aiortc-written RTCP parsed by Floe")
block = RtcpReceiverInfo(ssrc=0x0a0b0c0d, fraction_lost=64, packets_lost=12, highest_sequence=70000,
                         jitter=33, lsr=0x12345678, dlsr=0x10000)
compounds = [
    bytes(RtcpSrPacket(ssrc=7, sender_info=RtcpSenderInfo(ntp_timestamp=0xe8a1b2c3d4e5f607,
                                                           rtp_timestamp=99, packet_count=5,
                                                           octet_count=800), reports=[block]))
    + bytes(RtcpSdesPacket(chunks=[RtcpSourceInfo(ssrc=7, items=[(1, b"aiortc-cname")])]))
    + bytes(RtcpByePacket(sources=[7, 8])),
    bytes(RtcpRrPacket(ssrc=9, reports=[block, block]))
    + bytes(RtcpPsfbPacket(fmt=1, ssrc=9, media_ssrc=7))
    + bytes(RtcpRtpfbPacket(fmt=1, ssrc=9, media_ssrc=7, lost=[100, 101, 105])),
]
out = run(["read-rtcp"], "".join(c.hex() + "\n" for c in compounds))
blk = "block=168496141/64/12/70000/33/305419896/65536"
expected = [
    f"type=200 count=1 ssrc=7 ntp={0xe8a1b2c3d4e5f607} rtp=99 packets=5 octets=800 {blk}",
    "type=202 count=1 item=7/1/aiortc-cname",
    "type=203 count=2 source=7 source=8 reason=",
    f"type=201 count=2 ssrc=9 {blk} {blk}",
    "type=206 count=1 sender=9 media=7 fci=0",
    "type=205 count=1 sender=9 media=7 fci=4",
]
for want, got in zip(expected, out):
    check(want == got, f"Floe read: {got}")
check(len(out) == len(expected), f"{len(out)} packets read, {len(expected)} expected")

print("3. aiortc-written RTP parsed and rewritten by Floe, read back by aiortc")
ext_map = HeaderExtensionsMap()
ext_map.configure(RTCRtpParameters(headerExtensions=[
    RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
    RTCRtpHeaderExtensionParameters(id=4, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
]))
plain = RtpPacket(payload_type=0, marker=0, sequence_number=65535, timestamp=4294967000,
                  ssrc=0x11223344, payload=b"\xd5" * 160)
rich = RtpPacket(payload_type=111, marker=1, sequence_number=1234, timestamp=0xdeadbeef,
                 ssrc=0x55667788, payload=b"opus-frame")
rich.csrc = [0x01020304, 0x05060708]
rich.extensions.audio_level = (True, 42)
rich.extensions.mid = "0"
rich.padding_size = 5
lines = run(["read-rtp"], plain.serialize(ext_map).hex() + "\n" + rich.serialize(ext_map).hex() + "\n")
check(lines[0] == "pt=0 marker=0 seq=65535 ts=4294967000 ssrc=287454020 csrc=0 ext=0000/0 header=12 "
      f"payload={'d5' * 160} padding=0", f"Floe read plain: {lines[0][:60]}...")
check(lines[2].startswith("pt=111 marker=1 seq=1234 ts=3735928559 ssrc=1432778632 csrc=2 ext=bede/")
      and f"payload={b'opus-frame'.hex()} padding=5" in lines[2], f"Floe read rich: {lines[2]}")
for i, original in ((1, plain), (3, rich)):
    back = RtpPacket.parse(bytes.fromhex(lines[i]), ext_map)
    check((back.ssrc, back.payload_type, back.sequence_number, back.timestamp)
          == (0xf10e0001, 96, 1000, 160000), f"aiortc reads Floe's rewrite: ssrc/pt/seq/ts {i}")
    check(back.payload == original.payload and back.csrc == original.csrc
          and back.padding_size == original.padding_size, "payload, CSRCs and padding intact")
    check(back.marker == 1, "marker set on the first packet of a source")
    check(back.extensions.audio_level == original.extensions.audio_level
          and back.extensions.mid == original.extensions.mid, "extensions intact")

print("media_aiortc: " + ("OK" if not failures else f"{len(failures)} FAILED"))
sys.exit(1 if failures else 0)
