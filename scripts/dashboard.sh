#!/usr/bin/env bash
# The web dashboard's sources live in services/api/dashboard; its build is committed inside
# the api package (services/api/src/tradewind_api/dashboard_dist) so serving it needs no
# Node.js. Node.js 20 and npm come from the machine (or apt: nodejs npm).
#   scripts/dashboard.sh build   regenerate the typed API client from openapi.json and build
#   scripts/dashboard.sh check   fail when the committed client or build is stale
#   scripts/dashboard.sh test    component tests (Vitest)
set -euo pipefail
cd "$(dirname "$0")/../services/api/dashboard"
DIST=../src/tradewind_api/dashboard_dist

die() { echo "dashboard: $*" >&2; exit 1; }

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then
    [[ $(id -u) -eq 0 ]] || die "npm not found: install Node.js 20 and npm"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
}

# npm ci only when the installed packages are not those of the lockfile.
ensure_modules() {
  ensure_node
  if ! cmp -s package-lock.json node_modules/.lockfile-installed 2>/dev/null; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.lockfile-installed
  fi
}

case "${1:-}" in
  build)
    ensure_modules
    npm run --silent gen:api
    npx tsc -p .
    npx vite build --logLevel warn
    ;;
  check)
    ensure_modules
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    npx openapi-typescript ../openapi.json --default-non-nullable false -o "$tmp/schema.ts" >/dev/null 2>&1
    cmp -s "$tmp/schema.ts" src/api/schema.ts \
      || die "src/api/schema.ts is stale against openapi.json: run 'make dashboard'"
    npx tsc -p .
    npx vite build --logLevel warn --outDir "$tmp/dist" --emptyOutDir
    diff -r "$tmp/dist" "$DIST" >/dev/null \
      || die "the committed build differs from a build of the sources: run 'make dashboard'"
    echo "dashboard: client and build are up to date"
    ;;
  test)
    ensure_modules
    npx vitest run
    ;;
  *)
    die "usage: $0 build|check|test"
    ;;
esac
