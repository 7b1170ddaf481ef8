#!/bin/bash
# HEALTHCHECK of the Floe image: GET /healthz on the gateway's HTTP listener
# over bash's /dev/tcp, so the runtime image needs no curl. The listener is
# found the way `floe gateway` resolves --http (command line over
# environment over config file): --http in PID 1's arguments (the
# entrypoint), else $FLOE_HTTP, else "http" in the --config/$FLOE_CONFIG
# file, else 0.0.0.0:8080. FLOE_HEALTH_ADDR=HOST:PORT overrides all of it.
# A wildcard address is probed on loopback. Plain HTTP only: with
# --cert/--key, override the HEALTHCHECK.
set -u
http="" config="${FLOE_CONFIG:-}"
if [ -r /proc/1/cmdline ]; then
  mapfile -d '' argv </proc/1/cmdline
  for ((i = 0; i < ${#argv[@]}; i++)); do
    case "${argv[i]}" in
      --http) http="${argv[i + 1]:-}" ;;
      --http=*) http="${argv[i]#--http=}" ;;
      --config) config="${argv[i + 1]:-}" ;;
      --config=*) config="${argv[i]#--config=}" ;;
    esac
  done
fi
[ -n "$http" ] || http="${FLOE_HTTP:-}"
if [ -z "$http" ] && [ -n "$config" ] && [ -r "$config" ]; then
  http="$(grep -oE '"http"[[:space:]]*:[[:space:]]*"[^"]*"' "$config" | head -1 | sed -E 's/.*"([^"]*)"$/\1/')"
fi
addr="${FLOE_HEALTH_ADDR:-${http:-0.0.0.0:8080}}"
port="${addr##*:}"
host="${addr%:*}"
host="${host#[}"; host="${host%]}"
case "$host" in ""|0.0.0.0|::) host=127.0.0.1 ;; esac
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" >&3
IFS= read -r -t 2 status <&3 || exit 1
exec 3<&-
case "$status" in
  "HTTP/1."[01]" 200"*) exit 0 ;;
  *) echo "floe healthcheck: $host:$port answered: $status" >&2; exit 1 ;;
esac
