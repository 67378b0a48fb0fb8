"""The worker process: consumes its queues, runs tasks, heartbeats to the dispatcher."""

from __future__ import annotations

import asyncio
import socket

import grpc

from tradewind_core.broker import Broker, make_broker
from tradewind_core.lifecycle import sleep_unless_stopped
from tradewind_core.logging import get_logger
from tradewind_worker.client import ExecutionClient
from tradewind_worker.execution import TaskExecutor
from tradewind_worker.settings import WorkerSettings

log = get_logger(__name__)


async def serve(
    settings: WorkerSettings, stop: asyncio.Event, broker: Broker | None = None
) -> None:
    """`broker` is given in standalone mode, where the dispatcher shares the process."""
    owns_broker = broker is None
    if broker is None:
        broker = make_broker(settings.broker_url, settings.broker_namespace)
        await broker.connect()
    client = ExecutionClient(
        settings.dispatcher_address, worker_id=settings.worker_id, hostname=socket.gethostname()
    )
    executor = TaskExecutor(client, settings)
    await broker.consume(settings.worker_queues, settings.worker_concurrency, executor.on_delivery)
    log.info(
        "worker consuming", queues=settings.worker_queues, concurrency=settings.worker_concurrency
    )
    heartbeat = asyncio.create_task(_heartbeat(client, executor, settings, stop))
    try:
        await stop.wait()
    finally:
        await broker.stop_consuming()
        log.info("worker draining", running=len(executor.running))
        await executor.drain(settings.worker_shutdown_grace)
        heartbeat.cancel()
        if owns_broker:
            await broker.close()
        await client.close()
        log.info("worker stopped")


async def _heartbeat(
    client: ExecutionClient, executor: TaskExecutor, settings: WorkerSettings, stop: asyncio.Event
) -> None:
    registered = False
    while not stop.is_set():
        try:
            await client.worker_heartbeat(
                settings.worker_queues, settings.worker_concurrency, len(executor.running)
            )
            registered = True
        except grpc.aio.AioRpcError as exc:
            # Before the first success the dispatcher is most likely still starting.
            if registered:
                log.warning("worker heartbeat failed", error=exc.details())
        # Until registered, try again soon, so the worker shows as live without delay.
        interval = settings.worker_heartbeat_interval if registered else 0.2
        await sleep_unless_stopped(stop, interval)
