"""A whole Tradewind in the test's event loop: api, scheduler, dispatcher and one worker,
on PostgreSQL with the in-process broker, each serving on its own free port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from conftest import admin_auth
from tradewind_api.main import serve as serve_api
from tradewind_api.settings import ApiSettings
from tradewind_core.broker import InMemoryBroker
from tradewind_dispatcher.main import serve as serve_dispatcher
from tradewind_dispatcher.settings import DispatcherSettings
from tradewind_scheduler.main import serve as serve_scheduler
from tradewind_scheduler.settings import SchedulerSettings
from tradewind_worker.main import serve as serve_worker
from tradewind_worker.settings import WorkerSettings


@contextlib.asynccontextmanager
async def live_tradewind(
    pg_database: str, schema_prefix: str, service_ports: dict[str, str], **api_settings
) -> AsyncIterator[httpx.AsyncClient]:
    """Yields a REST client of the api once every service answers."""
    common = {
        "database_url": pg_database,
        "database_schema_prefix": schema_prefix,
        "broker_url": "memory://",
        **service_ports,
    }
    broker = InMemoryBroker()
    stop, stop_worker = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(serve_scheduler(SchedulerSettings(**common), stop)),
        asyncio.create_task(serve_dispatcher(DispatcherSettings(**common), stop, broker=broker)),
        asyncio.create_task(serve_api(ApiSettings(**common, **api_settings), stop)),
        asyncio.create_task(
            serve_worker(
                WorkerSettings(**common, worker_id="w1", worker_heartbeat_interval=0.3),
                stop_worker,
                broker=broker,
            )
        ),
    ]
    base = f"http://127.0.0.1:{service_ports['api_port']}/api/v2"
    try:
        async with httpx.AsyncClient(auth=admin_auth(), base_url=base, timeout=10) as client:
            for _ in range(400):
                try:
                    health = (await client.get("/monitor/health")).json()
                    if all(
                        health[s]["status"] == "healthy"
                        for s in ("scheduler", "dispatcher", "workers")
                    ):
                        break
                except httpx.TransportError:
                    pass
                for task in tasks:
                    if task.done():
                        task.result()
                await asyncio.sleep(0.05)
            yield client
    finally:
        # The worker first, while the dispatcher still takes the results of what it drains.
        stop_worker.set()
        await asyncio.wait_for(tasks[-1], 60)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
