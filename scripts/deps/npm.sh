#!/usr/bin/env bash
# Installs the npm packages the browser and WebSocket interop tests use (ws,
# playwright-core) into tests/browser/node_modules, pinned by its package-lock.json.
# npm is not in scripts/deps/test.txt because some Node builds (NodeSource) ship
# their own npm and conflict with Debian's npm package; install Debian's only
# when no npm is present.
set -euo pipefail
FLOE_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$FLOE_SRC/tests/browser"
if ! command -v npm >/dev/null 2>&1; then
  echo "floe: installing npm"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq
  $sudo_ apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
cd "$dir"
if [ -f package-lock.json ]; then
  # Skip the network when the installed tree was made from this very lock.
  if [ node_modules/.package-lock.json -nt package-lock.json ] &&
     [ -d node_modules/ws ] && [ -d node_modules/playwright-core ]; then
    exit 0
  fi
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
