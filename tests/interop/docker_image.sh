#!/usr/bin/env bash
# The Docker image, with no Docker engine: builds docker/Dockerfile with
# buildah (chroot isolation, vfs storage, no registry: docker/base_image.sh
# makes debian:bookworm-slim from a cached debootstrap), then runs the
# image's ENTRYPOINT with `buildah run` on the host network, configured by
# a mounted config file and FLOE_* variables to stay on 127.0.0.1, and
# checks: the image's metadata (non-root user, EXPOSE, HEALTHCHECK),
# /healthz from the host and the image's own HEALTHCHECK command, a STUN
# Binding request to the media port (coturn's turnutils_stunclient), an
# `echo` call from headless Chromium served by the containerised gateway
# (tests/browser/echo_chromium_test.mjs: inbound-rtp totalAudioEnergy must
# grow), a clean exit on SIGTERM, and compose.yml's sipp peer image (a call
# from the host's sipp, RTP echo). Removes its containers and the image it
# built; keeps the cached base and dependency stages (FLOE_DOCKER_CACHE,
# default /var/cache/floe-docker) and buildah's cache mounts
# (/var/tmp/buildah-cache: apt downloads, ccache) so the next run is warm.
# Cold ~18 min on 2 busy cores, warm ~1.5-3 min: see README "Docker".
set -euo pipefail
SRC="${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}"
fail() { echo "FAIL: $*"; exit 1; }

for tool in buildah podman debootstrap flock curl turnutils_stunclient node; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps/test.txt)"
done
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium missing (scripts/deps/test.txt)"
[ -d "$SRC/tests/browser/node_modules/playwright-core" ] || fail "npm packages missing; run scripts/deps/npm.sh"
[ "$(id -u)" -eq 0 ] || fail "buildah with chroot isolation and vfs storage needs root here"

CACHE="${FLOE_DOCKER_CACHE:-/var/cache/floe-docker}"
# A containers-storage root of the test's own: whatever is in it is the
# test's, so leftovers of a killed run can be removed safely.
export FLOE_CONTAINERS_ROOT="$CACHE/containers"
STORE=(--storage-driver vfs --root "$FLOE_CONTAINERS_ROOT/storage" --runroot "$FLOE_CONTAINERS_ROOT/run")
BUILDAH=(buildah "${STORE[@]}")
PODMAN=(podman "${STORE[@]}")
TAG="localhost/floe-docker-test:$$"
CACHE_TAG="localhost/floe-docker-cache"
TMP="$(mktemp -d)"
: >"$TMP/build.log"
CTR=""
SIPP_CTR=""
RUNPID=""
# Stops the program inside the container: with chroot isolation it is a
# process on this host at the end of the chain `buildah run` ->
# buildah-chroot-runtime -> buildah-chroot-exec -> program.
stop_floe() {
  local p="$RUNPID" c
  while c=$(pgrep -P "$p" | head -1) && [ -n "$c" ]; do p=$c; done
  [ "$p" != "$RUNPID" ] && kill -TERM "$p" 2>/dev/null || true
}
cleanup() {
  if [ -n "$RUNPID" ]; then
    stop_floe; sleep 1; kill "$RUNPID" 2>/dev/null || true; wait "$RUNPID" 2>/dev/null || true
  fi
  for c in "$CTR" "$SIPP_CTR"; do [ -n "$c" ] && "${BUILDAH[@]}" rm "$c" >/dev/null 2>&1 || true; done
  [ -n "${KEEP_IMAGE:-}" ] || "${BUILDAH[@]}" rmi "$TAG" >/dev/null 2>&1 || true
  # Untagged layers (the source copy and the compile) go; the tagged base
  # and *-deps/-base stages stay as the warm cache.
  "${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
mkdir -p "$CACHE"
exec 8>"$CACHE/test.lock"
flock -w 1200 8 || fail "another docker_image test holds $CACHE/test.lock"
trap cleanup EXIT
"${BUILDAH[@]}" rm --all >/dev/null 2>&1 || true

# 1. Base image (cached), the two dependency stages (tagged, so they stay
#    cached), then the image itself.
# FLOE_DOCKER_CONTEXT: build another tree (e.g. a `git archive` export)
# than the one the test runs from.
CONTEXT="${FLOE_DOCKER_CONTEXT:-$SRC}"
bud() {
  "${BUILDAH[@]}" bud --isolation chroot --pull=never --format docker --layers \
    --ignorefile "$CONTEXT/docker/Dockerfile.dockerignore" -f "$CONTEXT/docker/Dockerfile" "$@" "$CONTEXT" \
    >>"$TMP/build.log" 2>&1 || { tail -40 "$TMP/build.log"; fail "buildah bud $* failed"; }
}
t0=$(date +%s); t1=$t0; t2=$t0
if [ -n "${FLOE_DOCKER_IMAGE:-}" ]; then
  # Debugging the checks: use an image already in the test's storage, keep it.
  TAG="$FLOE_DOCKER_IMAGE"; KEEP_IMAGE=1
  echo "using the existing image $TAG (FLOE_DOCKER_IMAGE); no build"
else
  t0=$(date +%s)
  bash "$CONTEXT/docker/base_image.sh" || fail "could not make the base image"
  t1=$(date +%s)
  echo "building $TAG from docker/Dockerfile (buildah bud --isolation chroot --layers)"
  bud --target build-deps -t "$CACHE_TAG:build-deps"
  bud --target runtime-base -t "$CACHE_TAG:runtime-base"
  bud -t "$TAG"
  t2=$(date +%s)
fi
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$TAG")
echo "image built: base $((t1 - t0)) s, build $((t2 - t1)) s, size $((size / 1000000)) MB ($size bytes)"
echo "  steps: $(grep -c 'STEP' "$TMP/build.log") run, $(grep -c 'Using cache' "$TMP/build.log") from the layer cache"

# 2. Metadata the Dockerfile promises.
inspect() { "${BUILDAH[@]}" inspect --type image --format "$1" "$TAG"; }
user=$(inspect '{{.Docker.Config.User}}')
[ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || fail "image runs as '$user', not a non-root user"
entry=$(inspect '{{.Docker.Config.Entrypoint}}')
[ "$entry" = '[/usr/local/bin/floe]' ] || fail "ENTRYPOINT is $entry"
health=$(inspect '{{.Docker.Config.Healthcheck.Test}}')
echo "$health" | grep -q healthcheck || fail "no HEALTHCHECK in the image ($health)"
ports=$(inspect '{{range $p, $v := .Docker.Config.ExposedPorts}}{{$p}} {{end}}')
# A range stays a range in buildah's config (Docker expands it).
[[ " $ports" == *" 20000-20999/udp "* ]] || { [[ " $ports" == *" 20000/udp "* ]] && [[ " $ports" == *" 20999/udp "* ]]; } ||
  fail "EXPOSE lacks 20000-20999/udp (has: $ports)"
for p in 8080/tcp 10000/udp 5060/udp 5060/tcp; do
  [[ " $ports" == *" $p "* ]] || fail "EXPOSE lacks $p (has: $ports)"
done
echo "ok: user $user, ENTRYPOINT $entry, HEALTHCHECK $health, EXPOSE 8080/tcp 10000/udp 5060/udp+tcp 20000-20999/udp"

# 3. Run the entrypoint on the host network, loopback only, configured the
#    two ways the README documents: a mounted config file (FLOE_CONFIG) and
#    FLOE_<OPTION> environment variables. Free ports are picked here.
free_port() {
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
HTTP=$(free_port SOCK_STREAM)
MEDIA=$(free_port SOCK_DGRAM)
printf '{"media-address": ["127.0.0.1"], "media-port": %s}\n' "$MEDIA" >"$TMP/floe.json"
chmod 644 "$TMP/floe.json"
CTR=$("${BUILDAH[@]}" from --pull-never "$TAG")
run_in() { "${BUILDAH[@]}" run --isolation chroot --network host "$@"; }
# The SIP side too stays on loopback and off well-known ports (5060, and
# 5070 for the built-in test line). FLOE_* names of options a build does
# not have are ignored, so this holds before and after the SIP side lands.
SIP_PORT=$(free_port SOCK_DGRAM); LINE_PORT=$(free_port SOCK_DGRAM)
CONF=(-v "$TMP/floe.json:/etc/floe/floe.json:ro" -e FLOE_CONFIG=/etc/floe/floe.json
      -e "FLOE_HTTP=127.0.0.1:$HTTP" -e "FLOE_SIP_LISTEN=127.0.0.1:$SIP_PORT"
      -e "FLOE_TEST_LINE=127.0.0.1:$LINE_PORT" -e FLOE_RTP_ADDRESS=127.0.0.1)
# docker/floe.example.json (mounted by compose.yml) must parse.
run_in -v "$CONTEXT/docker/floe.example.json:/etc/floe/floe.json:ro" -e FLOE_CONFIG=/etc/floe/floe.json \
  "$CTR" -- /usr/local/bin/floe gateway --help >/dev/null || fail "docker/floe.example.json is refused"
uid=$(run_in "$CTR" -- id -u)
[ "$uid" != 0 ] || fail "buildah run ran the image as root"
entry_argv=$(inspect '{{range .Docker.Config.Entrypoint}}{{.}} {{end}}')
cmd_argv=$(inspect '{{range .Docker.Config.Cmd}}{{.}} {{end}}')
echo "running: $entry_argv$cmd_argv (uid $uid) with FLOE_CONFIG=/etc/floe/floe.json $(cat "$TMP/floe.json"), FLOE_HTTP=127.0.0.1:$HTTP"
# shellcheck disable=SC2086  # entrypoint and cmd are argv lists without spaces
run_in "${CONF[@]}" "$CTR" -- $entry_argv $cmd_argv >"$TMP/floe.out" 2>"$TMP/floe.err" &
RUNPID=$!
up=""
for _ in $(seq 150); do
  grep -qs "listening http $HTTP media $MEDIA" "$TMP/floe.out" && { up=1; break; }
  kill -0 "$RUNPID" 2>/dev/null || break
  sleep 0.1
done
cat "$TMP/floe.out"
[ -n "$up" ] || { cat "$TMP/floe.err"; fail "the containerised gateway did not start on http $HTTP media $MEDIA"; }
grep -q "web root /usr/local/share/floe/web" "$TMP/floe.out" || fail "gateway does not serve the image's web/ files"
grep -q "media udp 127.0.0.1:$MEDIA" "$TMP/floe.out" || fail "media port not bound on 127.0.0.1 only"

# 4. Health: from the host, and the image's own HEALTHCHECK command run in
#    the container with the container's environment.
[ "$(curl -s "http://127.0.0.1:$HTTP/healthz")" = ok ] || fail "/healthz did not answer ok"
echo "ok: GET http://127.0.0.1:$HTTP/healthz -> ok"
hc=$(inspect '{{range $i, $a := .Docker.Config.Healthcheck.Test}}{{if $i}}{{$a}} {{end}}{{end}}')
# shellcheck disable=SC2086
run_in "${CONF[@]}" "$CTR" -- $hc || fail "HEALTHCHECK ($hc) failed"
# shellcheck disable=SC2086
if run_in -e "FLOE_HTTP=127.0.0.1:1" "$CTR" -- $hc 2>/dev/null; then
  fail "HEALTHCHECK passes with nothing listening"
fi
echo "ok: HEALTHCHECK '$hc' passes inside the container (and fails against a closed port)"

# 5. STUN Binding request to the media port.
out=$(timeout 20 turnutils_stunclient -p "$MEDIA" 127.0.0.1 2>&1) || fail "turnutils_stunclient failed: $out"
echo "$out" | grep -qE "UDP reflexive addr: 127\.0\.0\.1:[0-9]+" || fail "no XOR-MAPPED-ADDRESS: $out"
echo "ok: turnutils_stunclient got 127.0.0.1:<port> back from media port $MEDIA"

# 6. Headless Chromium calls echo through the containerised gateway.
RC=0
(cd "$SRC/tests/browser" && PORT="$HTTP" node echo_chromium_test.mjs) || RC=$?
sleep 0.5
METRICS="$(curl -s "http://127.0.0.1:$HTTP/metrics")"
echo "$METRICS" | grep -E '^floe_calls' || true
echo "$METRICS" | grep -qx 'floe_calls_active 0' || { echo "FAIL: calls left active"; RC=1; }
echo "$METRICS" | grep -qx 'floe_calls_failed_total 0' || { echo "FAIL: a call failed"; RC=1; }
[ "$RC" -eq 0 ] || { tail -40 "$TMP/floe.err"; fail "echo call through the container failed"; }

# 7. SIGTERM reaches floe inside the container and it exits cleanly.
stop_floe
rc=0; wait "$RUNPID" || rc=$?
RUNPID=""
[ "$rc" -eq 0 ] || { cat "$TMP/floe.err"; fail "containerised gateway exited with $rc"; }
grep -q "shutting down" "$TMP/floe.out" || fail "gateway did not log its shutdown"
echo "ok: gateway in the container shut down cleanly on SIGTERM"

# 8. compose.yml's SIP peer: docker/sipp.Dockerfile builds, and its sipp UAS
#    answers a call from the host's sipp UAC and echoes RTP. (Its image is
#    kept as a cache tag: it changes only with sipp.Dockerfile.)
"${BUILDAH[@]}" bud --isolation chroot --pull=never --format docker --layers \
  -f "$CONTEXT/docker/sipp.Dockerfile" -t "$CACHE_TAG:sipp" "$CONTEXT/docker" >>"$TMP/build.log" 2>&1 ||
  { tail -20 "$TMP/build.log"; fail "docker/sipp.Dockerfile did not build"; }
SIPP_CTR=$("${BUILDAH[@]}" from --pull-never "$CACHE_TAG:sipp")
SIP=$(free_port SOCK_DGRAM); RTP=$(free_port SOCK_DGRAM); UAC=$(free_port SOCK_DGRAM)
sipp_entry=$("${BUILDAH[@]}" inspect --type image --format '{{range .Docker.Config.Entrypoint}}{{.}} {{end}}' "$CACHE_TAG:sipp")
# shellcheck disable=SC2086
run_in "$SIPP_CTR" -- $sipp_entry -sn uas -rtp_echo -i 127.0.0.1 -mi 127.0.0.1 -p "$SIP" -mp "$RTP" \
  -nostdin -m 1 >"$TMP/sipp-uas.out" 2>&1 &
RUNPID=$!
sleep 1
python3 - "$RTP" <<'PY' || fail "sipp -rtp_echo in the container did not echo RTP on port $RTP"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
pkt = bytes([0x80, 0x00, 0, 1, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78]) + b"\xd5" * 160
s.sendto(pkt, ("127.0.0.1", int(sys.argv[1])))
data, _ = s.recvfrom(2048)
sys.exit(0 if data == pkt else 1)
PY
timeout 60 sipp -sn uac -m 1 -i 127.0.0.1 -p "$UAC" -nostdin -timeout 30s "127.0.0.1:$SIP" \
  >"$TMP/sipp-uac.out" 2>&1 || { tail -20 "$TMP/sipp-uac.out" "$TMP/sipp-uas.out"; fail "sipp UAC call to the sip-peer image failed"; }
rc=0; timeout 20 tail --pid="$RUNPID" -f /dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "sipp UAS in the container did not finish its one call"
wait "$RUNPID" || { tail -20 "$TMP/sipp-uas.out"; fail "sipp UAS in the container failed"; }
RUNPID=""
"${BUILDAH[@]}" rm "$SIPP_CTR" >/dev/null; SIPP_CTR=""
echo "ok: sip-peer image (docker/sipp.Dockerfile): sipp UAS answered an INVITE from the host's sipp UAC and echoed RTP"
echo "image $((size / 1000000)) MB, built in $((t2 - t1)) s (base $((t1 - t0)) s); PASS"
