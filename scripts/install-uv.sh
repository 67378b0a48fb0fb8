#!/usr/bin/env bash
# Puts uv (from PyPI) into .tools/uv, for this checkout alone, and prints nothing on success.
# Works where python3 refuses `pip install` outside a virtual environment (PEP 668):
# `pip install --target` writes into a folder of ours, never into the system's Python.
# Without pip it installs Debian's python3-pip first (needs root or password-less sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=.tools/uv
# Keep at (or above) the version that wrote uv.lock.
UV_SPEC="uv>=0.9,<1"

die() { echo "install-uv: error: $*" >&2; exit 1; }

[[ -x $TARGET/bin/uv ]] && exit 0
command -v python3 >/dev/null 2>&1 || die "python3 is not installed (apt-get install python3)"

if ! python3 -m pip --version >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "python3 has no pip and apt-get is missing: install pip for python3"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); elif sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
    die "python3 has no pip: run 'sudo apt-get install python3-pip', or rerun as root"
  fi
  echo "install-uv: apt-get install python3-pip" >&2
  "${SUDO[@]}" apt-get update -qq >/dev/null
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
fi

rm -rf "$TARGET.tmp"
python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --root-user-action=ignore \
  --target "$TARGET.tmp" "$UV_SPEC" || die "pip could not install uv from PyPI"
rm -rf "$TARGET" && mv "$TARGET.tmp" "$TARGET"
[[ -x $TARGET/bin/uv ]] || die "uv installed, but $TARGET/bin/uv is missing"
