# Tradewind. A fresh machine needs only: `make run` (standalone) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := python3 -m uv
export UV_LINK_MODE ?= copy

.PHONY: help install run test test-fast protos lint up down bench clean

help:  ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install:  ## Install uv (from PyPI) and the locked environment into .venv
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --all-packages --locked --quiet

run: install  ## Start Tradewind standalone (SQLite, no servers) on http://127.0.0.1:8080
	@$(UV) run --no-sync tradewind standalone

test: install  ## Install PostgreSQL and RabbitMQ if missing, start them, run every test
	@scripts/ensure-services.sh
	@$(UV) run --no-sync pytest

test-fast: install  ## Unit tests only (no servers)
	@$(UV) run --no-sync pytest -m "not postgres and not e2e"

protos: install  ## Regenerate the gRPC stubs from protos/
	@$(UV) run --no-sync scripts/gen_protos.sh

lint: install  ## ruff
	@$(UV) run --no-sync ruff check .

up: install  ## Start distributed mode as local processes (PostgreSQL, RabbitMQ, two workers)
	@scripts/ensure-services.sh
	@scripts/up.sh

down:  ## Stop what `make up` started
	@scripts/down.sh

bench: install  ## Latency and throughput figures for both modes
	@scripts/ensure-services.sh
	@$(UV) run --no-sync python -m bench

clean:  ## Remove the environment and local state
	rm -rf .venv .run .pytest_cache
