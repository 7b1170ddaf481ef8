#!/usr/bin/env bash
# Makes docker.io/library/debian:bookworm-slim locally, for building
# docker/Dockerfile with buildah where no registry is reachable (CI):
# `debootstrap --variant=minbase bookworm` from the host's Debian mirror,
# trimmed the way Debian's slim image is (no docs, man pages or locales),
# tarred once into the cache directory and imported into containers-storage
# (vfs driver) under the name the Dockerfiles use.
#
#   docker/base_image.sh            # make or reuse the cached base
#   FLOE_DOCKER_REFRESH=1 docker/base_image.sh   # debootstrap again
#
# A tarball older than FLOE_DOCKER_MAX_AGE_DAYS (default 30) is made again,
# so the base picks up Debian's point releases and security updates the way
# a pulled debian:bookworm-slim would.
#
# Env: FLOE_DOCKER_CACHE (default /var/cache/floe-docker), FLOE_DEBIAN_MIRROR
# (default: the first Debian URI in /etc/apt/sources.list*),
# FLOE_CONTAINERS_ROOT (a containers-storage root of its own, as the test
# uses; default: the system's /var/lib/containers/storage). Needs root.
set -euo pipefail
CACHE="${FLOE_DOCKER_CACHE:-/var/cache/floe-docker}"
IMAGE="docker.io/library/debian:bookworm-slim"
TARBALL="$CACHE/debian-bookworm-minbase.tar"
PODMAN=(podman --storage-driver vfs)
STAMP="$CACHE/debian-bookworm-minbase.image-id"
if [ -n "${FLOE_CONTAINERS_ROOT:-}" ]; then
  PODMAN+=(--root "$FLOE_CONTAINERS_ROOT/storage" --runroot "$FLOE_CONTAINERS_ROOT/run")
  STAMP="$FLOE_CONTAINERS_ROOT/debian-bookworm-minbase.image-id"
  mkdir -p "$FLOE_CONTAINERS_ROOT"
fi

host_mirror() {
  local uri
  uri="$(grep -hoE '^URIs:[[:space:]]*[^[:space:]]+' /etc/apt/sources.list.d/*.sources 2>/dev/null |
         awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)"
  [ -n "$uri" ] || uri="$(grep -hoE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+/debian/?[[:space:]]' \
                          /etc/apt/sources.list 2>/dev/null | awk '{print $NF}' | head -1 || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

make_tarball() {
  local mirror root
  mirror="${FLOE_DEBIAN_MIRROR:-$(host_mirror)}"
  mirror="${mirror%/}"
  root="$CACHE/rootfs.tmp"
  rm -rf "$root"
  echo "base_image: debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/debootstrap.log"; echo "base_image: debootstrap failed"; return 1; }
  # Same sources as Debian's image (updates and security too), same mirror host.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  # What makes Debian's image "slim": dpkg skips docs, man pages, locales.
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
DPKG
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$root"/usr/share/{man,groff,info,lintian,linda,locale}/*
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
  echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
  tar --numeric-owner -C "$root" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$root"
}

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9
if [ ! -s "$TARBALL" ] || [ "${FLOE_DOCKER_REFRESH:-0}" = 1 ] ||
   [ -n "$(find "$TARBALL" -mtime +"${FLOE_DOCKER_MAX_AGE_DAYS:-30}" 2>/dev/null)" ]; then
  command -v debootstrap >/dev/null || { echo "base_image: FAIL: debootstrap missing"; exit 1; }
  make_tarball
fi
# Import unless the image under that name was imported from this tarball
# (the stamp holds the tarball's mtime-size and the image id).
want="$(stat -c %Y-%s "$TARBALL")"
id="$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
if [ -z "$id" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want $id" ]; then
  echo "base_image: importing $TARBALL as $IMAGE"
  "${PODMAN[@]}" import --quiet --change 'CMD ["bash"]' "$TARBALL" "$IMAGE" >/dev/null
  id="$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$IMAGE")"
  echo "$want $id" >"$STAMP"
fi
echo "base_image: $IMAGE ${id:0:12} from $TARBALL ($(du -h "$TARBALL" | cut -f1))"
