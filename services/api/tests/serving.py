"""Waiting for services started in a test's event loop to answer over HTTP."""

from __future__ import annotations

import asyncio

import httpx


async def wait_serving(client: httpx.AsyncClient, tasks: list[asyncio.Task], tries: int = 200):
    """Until the api answers its health check; a service that failed to start shows why."""
    for _ in range(tries):
        try:
            if (await client.get("/monitor/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        for task in tasks:
            if task.done():
                task.result()
        await asyncio.sleep(0.05)
