#pragma once
// Offers written in the shape Chrome (M120+) and Firefox (120+) produce, for
// tests. Lines end in "\n" here; crlf() turns them into what the wire carries.
#include <string>

namespace floe::sdp::samples {

inline std::string crlf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

inline const char* kFingerprint =
    "sha-256 3A:9F:0C:11:5E:72:8B:D4:E1:06:AB:39:C2:57:F8:4D:90:1B:6E:23:CF:88:45:7A:02:D9:"
    "B6:31:EE:5C:47:A0";

// Chrome: audio + video + data channel, trickle (no candidates yet).
inline const char* kChromeOffer = R"(v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
a=extmap-allow-mixed
a=msid-semantic: WMS 7f9c1a0e-3b0d-4b8e-9f5e-2b4a6f1c8d21
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Kx3m
a=ice-pwd:q5Zr9uH3eYb2kT7vW1xPnL0a
a=ice-options:trickle
a=fingerprint:sha-256 3A:9F:0C:11:5E:72:8B:D4:E1:06:AB:39:C2:57:F8:4D:90:1B:6E:23:CF:88:45:7A:02:D9:B6:31:EE:5C:47:A0
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:7f9c1a0e-3b0d-4b8e-9f5e-2b4a6f1c8d21 5d3b2c1a-9e8f-4a7b-b6c5-d4e3f2a1b0c9
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3735928559 cname:Yh3sQ8pV2rL0kW9n
a=ssrc:3735928559 msid:7f9c1a0e-3b0d-4b8e-9f5e-2b4a6f1c8d21 5d3b2c1a-9e8f-4a7b-b6c5-d4e3f2a1b0c9
m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 127 121
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Kx3m
a=ice-pwd:q5Zr9uH3eYb2kT7vW1xPnL0a
a=ice-options:trickle
a=fingerprint:sha-256 3A:9F:0C:11:5E:72:8B:D4:E1:06:AB:39:C2:57:F8:4D:90:1B:6E:23:CF:88:45:7A:02:D9:B6:31:EE:5C:47:A0
a=setup:actpass
a=mid:1
a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:13 urn:3gpp:video-orientation
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
a=sendrecv
a=msid:7f9c1a0e-3b0d-4b8e-9f5e-2b4a6f1c8d21 0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:102 H264/90000
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 transport-cc
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:127 H264/90000
a=rtcp-fb:127 goog-remb
a=rtcp-fb:127 transport-cc
a=rtcp-fb:127 ccm fir
a=rtcp-fb:127 nack
a=rtcp-fb:127 nack pli
a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:121 rtx/90000
a=fmtp:121 apt=127
a=ssrc-group:FID 2231627014 632943048
a=ssrc:2231627014 cname:Yh3sQ8pV2rL0kW9n
a=ssrc:2231627014 msid:7f9c1a0e-3b0d-4b8e-9f5e-2b4a6f1c8d21 0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e
a=ssrc:632943048 cname:Yh3sQ8pV2rL0kW9n
a=ssrc:632943048 msid:7f9c1a0e-3b0d-4b8e-9f5e-2b4a6f1c8d21 0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:Kx3m
a=ice-pwd:q5Zr9uH3eYb2kT7vW1xPnL0a
a=ice-options:trickle
a=fingerprint:sha-256 3A:9F:0C:11:5E:72:8B:D4:E1:06:AB:39:C2:57:F8:4D:90:1B:6E:23:CF:88:45:7A:02:D9:B6:31:EE:5C:47:A0
a=setup:actpass
a=mid:2
a=sctp-port:5000
a=max-message-size:262144
)";

// Firefox: audio + data channel after gathering (non-trickle form): session
// level fingerprint and ice-options, fmtp before rtpmap, end-of-candidates.
inline const char* kFirefoxOffer = R"(v=0
o=mozilla...THIS_IS_SDPARTA-99.0 6558166129634427712 0 IN IP4 0.0.0.0
s=-
t=0 0
a=sendrecv
a=fingerprint:sha-256 C4:0E:9B:71:2A:58:F3:06:DD:84:1F:B2:67:39:EA:50:0C:93:7D:E8:26:4B:A1:F5:38:6E:C0:1D:92:B7:45:8A
a=group:BUNDLE 0 1
a=ice-options:trickle
a=msid-semantic:WMS *
m=audio 54321 UDP/TLS/RTP/SAVPF 109 9 0 8 101
c=IN IP4 192.168.1.23
a=candidate:0 1 UDP 2122252543 192.168.1.23 54321 typ host
a=candidate:2 1 TCP 2105524479 192.168.1.23 9 typ host tcptype active
a=candidate:1 1 UDP 1686052863 203.0.113.7 54321 typ srflx raddr 192.168.1.23 rport 54321
a=sendrecv
a=end-of-candidates
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level
a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid
a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1
a=fmtp:101 0-15
a=ice-pwd:7a1b9c3d5e2f4a6b8c0d1e3f5a7b9c2d
a=ice-ufrag:3f8e1a9c
a=mid:0
a=msid:{4b1d5c6e-2f3a-4b8c-9d0e-1f2a3b4c5d6e} {8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586}
a=rtcp-mux
a=rtpmap:109 opus/48000/2
a=rtpmap:9 G722/8000/1
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=setup:actpass
a=ssrc:2655508255 cname:{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}
m=application 54321 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 192.168.1.23
a=sendrecv
a=ice-pwd:7a1b9c3d5e2f4a6b8c0d1e3f5a7b9c2d
a=ice-ufrag:3f8e1a9c
a=mid:1
a=setup:actpass
a=sctp-port:5000
a=max-message-size:1073741823
)";

}  // namespace floe::sdp::samples
