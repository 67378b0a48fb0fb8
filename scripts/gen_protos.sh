#!/usr/bin/env bash
# Regenerates the Python gRPC stubs (and their .pyi type stubs) from protos/: the public
# API (tradewind.v1) into libs/client/src, the services' internal contracts into
# libs/protos/src. Given a folder as $1 (the staleness test), writes under it instead
# (<folder>/libs/client/src, <folder>/libs/protos/src).
# The proto root is the import root, so generated imports need no rewriting.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-.}"

generate() {  # generate OUT FILE...
  local out="$1"
  shift
  mkdir -p "$out"
  out="$(cd "$out" && pwd)"
  find "$out" -path '*/tradewind/*' \( -name '*_pb2*.py' -o -name '*_pb2*.pyi' \) -delete
  (cd protos && "${PYTHON:-python}" -m grpc_tools.protoc -I. \
    --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" --mypy_grpc_out="$out" \
    "$@" >/dev/null)
}

mapfile -t internal < <(cd protos && find tradewind -name '*.proto' -not -path 'tradewind/v1/*' | sort)
mapfile -t public < <(cd protos && find tradewind/v1 -name '*.proto' | sort)
generate "$root/libs/protos/src" "${internal[@]}"
generate "$root/libs/client/src" "${public[@]}"
