#!/usr/bin/env bash
# Installs Debian's/Ubuntu's Chromium for the browser tests when it is missing (a test
# tool's own browser download does not work everywhere; the distribution's package does).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "chromium: installed"
  exit 0
fi
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else echo "ensure-browser: installing chromium needs root: rerun as root" >&2; exit 1
  fi
}
echo "ensure-browser: apt-get install chromium" >&2
as_root apt-get update -qq
# Debian names the package chromium; Ubuntu's chromium-browser is a snap shim, so prefer Debian's.
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
  || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-browser >/dev/null
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
  || { echo "ensure-browser: chromium did not install" >&2; exit 1; }
echo "chromium: installed now"
