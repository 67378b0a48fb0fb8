# Tradewind. A fresh machine needs only: `make run` (standalone) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# uv lives in .tools/uv, installed by scripts/install-uv.sh (never into the system Python).
UV := .tools/uv/bin/uv
export UV_LINK_MODE ?= copy

.PHONY: help install run test test-fast protos openapi dashboard lint up down bench clean

help:  ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install:  ## Install uv (from PyPI) and the locked environment into .venv
	@scripts/install-uv.sh
	@# Compiled ahead: a process started where Python may not cache bytecode
	@# (PYTHONDONTWRITEBYTECODE, a read-only install) would compile every module it
	@# imports at each start, seconds of CPU that delay a restarted service.
	@$(UV) sync --all-packages --locked --quiet --compile-bytecode

run: install  ## Start Tradewind standalone (SQLite, no servers) on http://127.0.0.1:8080
	@# A laptop run as root (a fresh container, a CI box) runs its tasks as root, and says
	@# so; set TRADEWIND_WORKER_TASK_USER to run them as an unprivileged user instead.
	@if [ "$$(id -u)" = 0 ] && [ -z "$$TRADEWIND_WORKER_TASK_USER" ]; then \
	  echo "make run: running as root, so tasks run as root too (set TRADEWIND_WORKER_TASK_USER to change that)" >&2; \
	  TRADEWIND_WORKER_RUN_TASKS_AS_ROOT=$${TRADEWIND_WORKER_RUN_TASKS_AS_ROOT:-true} $(UV) run --no-sync tradewind standalone; \
	else \
	  $(UV) run --no-sync tradewind standalone; \
	fi

test: install  ## Install PostgreSQL, RabbitMQ and Chromium if missing, start them, run every test
	@scripts/ensure-services.sh
	@scripts/ensure-browser.sh
	@$(UV) run --no-sync pytest --durations=15

test-fast: install  ## Unit tests only (no servers)
	@$(UV) run --no-sync pytest -m "not postgres and not e2e"

protos: install  ## Regenerate the gRPC stubs from protos/
	@$(UV) run --no-sync scripts/gen_protos.sh

openapi: install  ## Dump every service's OpenAPI document to services/<service>/openapi.json, rebuild the dashboard's client
	@$(UV) run --no-sync python -m scripts.dump_openapi
	@scripts/dashboard.sh build

dashboard:  ## Regenerate the dashboard's typed API client from openapi.json and rebuild it
	@scripts/dashboard.sh build

lint: install  ## ruff
	@$(UV) run --no-sync ruff check .

up: install  ## Start distributed mode as local processes (PostgreSQL, RabbitMQ, two workers)
	@scripts/ensure-services.sh
	@scripts/up.sh

down:  ## Stop what `make up` started
	@scripts/down.sh

bench: install  ## Latency and throughput figures for both modes
	@scripts/ensure-services.sh
	@$(UV) run --no-sync python -m bench.scheduling
	@$(UV) run --no-sync python -m bench
	@$(UV) run --no-sync python -m bench.fleet
	@scripts/ensure-browser.sh >/dev/null
	@$(UV) run --no-sync python -m bench.dashboard
	@$(UV) run --no-sync python -m bench.api_calls
	@$(UV) run --no-sync python -m bench.api_load

clean:  ## Remove the environment and local state
	rm -rf .venv .tools .run .pytest_cache
