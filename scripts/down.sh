#!/usr/bin/env bash
# `make down`: stops what `make up` started (SIGTERM, then SIGKILL after 30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
pids=()
for pidfile in .run/*.pid; do
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  rm -f "$pidfile"
done
for _ in $(seq 1 60); do
  alive=()
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
  [ ${#alive[@]} -eq 0 ] && { echo "Tradewind is down."; exit 0; }
  sleep 0.5
done
kill -KILL "${alive[@]}" 2>/dev/null || true
echo "Tradewind is down (killed ${#alive[@]} process(es) that ignored SIGTERM)."
