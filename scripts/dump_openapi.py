"""Writes each service's OpenAPI document to services/<service>/openapi.json, built from
the apps without starting a server (nor touching a database, broker or peer). `make
openapi` runs it; tests fail when a file is stale."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

SERVICES = Path(__file__).resolve().parent.parent / "services"
TARGET = SERVICES / "api" / "openapi.json"
# A database object for the apps' closures; no connection is ever made by dumping.
_NO_DATABASE = "sqlite+aiosqlite:///:memory:"


def _api() -> Any:
    from tradewind_api.app import create_app

    return create_app()


def _scheduler() -> Any:
    from tradewind_core.db import Database
    from tradewind_scheduler.http_surface import create_scheduler_app
    from tradewind_scheduler.scheduling import SchedulingLoop
    from tradewind_scheduler.settings import SchedulerSettings

    settings = SchedulerSettings()
    db = Database(_NO_DATABASE, schema="scheduler")
    loop = SchedulingLoop(db, None, None, settings)  # type: ignore[arg-type]
    return create_scheduler_app(db, loop, settings)


def _dispatcher() -> Any:
    from tradewind_core.db import Database
    from tradewind_dispatcher.http_surface import create_dispatcher_app
    from tradewind_dispatcher.settings import DispatcherSettings

    return create_dispatcher_app(
        Database(_NO_DATABASE, schema="dispatcher"), None, DispatcherSettings()
    )


def _worker() -> Any:
    from tradewind_worker.http_surface import create_worker_app
    from tradewind_worker.metrics import WorkerMetrics
    from tradewind_worker.settings import WorkerSettings

    return create_worker_app(
        settings=WorkerSettings(worker_run_tasks_as_root=True),
        broker=None,
        executor=None,
        metrics=WorkerMetrics(slots=1, slots_in_use=lambda: 0),
        slots_in_use=lambda: 0,
        stop=asyncio.Event(),
    )


APPS: dict[str, Callable[[], Any]] = {
    "api": _api,
    "scheduler": _scheduler,
    "dispatcher": _dispatcher,
    "worker": _worker,
}


def target(service: str) -> Path:
    return SERVICES / service / "openapi.json"


def render(service: str = "api") -> str:
    return json.dumps(APPS[service]().openapi(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    for service in APPS:
        target(service).write_text(render(service))
        sys.stdout.write(f"wrote {target(service)}\n")
