# A SIP test peer for docker/compose.yml: Debian's sipp (package sip-tester)
# as a UAS that answers every INVITE and echoes the caller's RTP back
# (-rtp_echo), so a browser calling through Floe hears itself.
#   docker build -f docker/sipp.Dockerfile -t floe-sipp docker
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sip-tester \
      >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10002 --user-group --no-create-home --shell /usr/sbin/nologin sipp
USER sipp
EXPOSE 5080/udp 6000-6003/udp
ENTRYPOINT ["sipp"]
# UAS on 5080 (Floe has 5060, and 5070 for its built-in test line); RTP
# echoed on 6000 (and 6002 for video); -i/-mi give the address put in SIP
# headers and SDP. -nostdin: no terminal, the container log is sipp's screen.
CMD ["-sn", "uas", "-rtp_echo", "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", "5080", "-mp", "6000", "-nostdin"]
