# Shared by scripts/run and scripts/test. Sourced, not run.
set -euo pipefail
FLOE_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the packages listed in the given files that are not installed yet.
ensure_packages() {
  local missing=() pkg
  for list in "$@"; do
    while read -r pkg; do
      [ -z "$pkg" ] && continue
      case "$pkg" in \#*) continue ;; esac
      dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$pkg")
    done < "$list"
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "floe: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
}

# Configures and builds into $1 with extra cmake arguments.
build_floe() {
  local dir="$1"; shift
  cmake -S "$FLOE_SRC" -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
