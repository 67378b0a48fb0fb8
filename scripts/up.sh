#!/usr/bin/env bash
# `make up`: Tradewind distributed, as local processes (no Docker): api, scheduler,
# dispatcher and two workers against the local PostgreSQL and RabbitMQ. `make down` stops it.
# Logs and pid files go to .run/.
set -euo pipefail
cd "$(dirname "$0")/.."
run=.run
mkdir -p "$run"
export TRADEWIND_DATABASE_URL="${TRADEWIND_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/tradewind}"
export TRADEWIND_BROKER_URL="${TRADEWIND_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672/}"
port="${TRADEWIND_API_PORT:-8080}"
# The services know each other by a shared secret: one made here, kept for the next `make up`.
if [ -z "${TRADEWIND_INTERNAL_SECRET:-}" ]; then
  [ -s "$run/internal.secret" ] || (umask 077; openssl rand -hex 32 > "$run/internal.secret")
  TRADEWIND_INTERNAL_SECRET="$(cat "$run/internal.secret")"
fi
export TRADEWIND_INTERNAL_SECRET
# Workers switch tasks to TRADEWIND_WORKER_TASK_USER; as root without one, this local
# setup runs them as root, and says so.
if [ "$(id -u)" = 0 ] && [ -z "${TRADEWIND_WORKER_TASK_USER:-}" ]; then
  echo "Running as root without TRADEWIND_WORKER_TASK_USER: tasks run as root." >&2
  export TRADEWIND_WORKER_RUN_TASKS_AS_ROOT=true
fi

for pidfile in "$run"/*.pid; do
  [ -e "$pidfile" ] || continue
  if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "Tradewind is already up ($(basename "$pidfile" .pid) is running); 'make down' first." >&2
    exit 1
  fi
  rm -f "$pidfile"
done

start() {  # name, then environment assignments
  local name=$1; shift
  env "$@" setsid .venv/bin/tradewind "${name%-*}" >"$run/$name.log" 2>&1 < /dev/null &
  echo $! > "$run/$name.pid"
}
start api
# Each service's own HTTP surface (health, metrics, introspection), as in the deployments.
start scheduler "TRADEWIND_SCHEDULER_HTTP_PORT=${TRADEWIND_SCHEDULER_HTTP_PORT:-8091}"
start dispatcher "TRADEWIND_DISPATCHER_HTTP_PORT=${TRADEWIND_DISPATCHER_HTTP_PORT:-8092}"
start worker-1 TRADEWIND_WORKER_ID=worker-1 TRADEWIND_WORKER_HTTP_PORT=8093
start worker-2 TRADEWIND_WORKER_ID=worker-2 TRADEWIND_WORKER_HTTP_PORT=8094

for _ in $(seq 1 60); do
  if health=$(curl -fsS "http://127.0.0.1:$port/api/v2/monitor/health" 2>/dev/null) &&
     ! grep -q unhealthy <<<"$health"; then
    echo "Tradewind is up: http://127.0.0.1:$port/docs  (logs in $run/, stop with 'make down')"
    echo "Readiness: scheduler :8091, dispatcher :8092, workers :8093 and :8094 (/health/ready)"
    exit 0
  fi
  sleep 0.5
done
echo "Tradewind did not become healthy in 30 s; last health: ${health:-none}. Logs in $run/." >&2
exit 1
