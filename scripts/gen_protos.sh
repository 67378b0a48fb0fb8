#!/usr/bin/env bash
# Regenerates the Python gRPC stubs (and their .pyi type stubs) from protos/ into
# libs/protos/src, or into the folder given as $1 (used by the staleness test).
# The proto root is the import root, so generated imports need no rewriting.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-libs/protos/src}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
find "$out" -path '*/tradewind/*' \( -name '*_pb2*.py' -o -name '*_pb2*.pyi' \) -delete
mapfile -t files < <(cd protos && find tradewind -name '*.proto' | sort)
(cd protos && "${PYTHON:-python}" -m grpc_tools.protoc -I. \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" --mypy_grpc_out="$out" \
  "${files[@]}" >/dev/null)
