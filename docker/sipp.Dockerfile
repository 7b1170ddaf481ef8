# A SIP test peer for docker/compose.yml: Debian's sipp (package sip-tester)
# as a UAS that answers every INVITE and echoes the caller's RTP back
# (-rtp_echo), so a browser calling through Floe hears itself.
#   docker build -f docker/sipp.Dockerfile -t floe-sipp docker
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sip-tester \
      >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10002 --user-group --no-create-home --shell /usr/sbin/nologin sipp
USER sipp
EXPOSE 5070/udp 6000-6001/udp
ENTRYPOINT ["sipp"]
# UAS on 5070 (5060 is Floe's), media (RTP echo) on 6000; -i/-mi give the
# address put in SIP headers and SDP. -nostdin and -bg are not used: the
# container's log is sipp's screen output (-trace_stat off keeps it quiet).
CMD ["-sn", "uas", "-rtp_echo", "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", "5070", "-mp", "6000", "-nostdin"]
