#!/usr/bin/env bash
# Installs the headless browser deck's browser tests drive: Debian's `chromium` and
# `chromium-driver` (chromedriver speaks W3C WebDriver on loopback). Idempotent: does nothing
# when /usr/bin/chromium and /usr/bin/chromedriver already exist. Needs root (or sudo) and
# access to the Debian package mirror; quiet unless something fails.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  exit 0
fi

sudo_cmd=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "install-chromium.sh: need root or sudo to install chromium" >&2
    exit 1
  fi
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo_cmd[@]}" apt-get update -qq \
  && "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-chromium.sh: apt-get failed" >&2
  exit 1
fi

for bin in /usr/bin/chromium /usr/bin/chromedriver; do
  if [[ ! -x "$bin" ]]; then
    echo "install-chromium.sh: $bin missing after install" >&2
    exit 1
  fi
done
