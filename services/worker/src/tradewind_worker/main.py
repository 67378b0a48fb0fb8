"""The worker process: takes task messages while it has free slots, runs tasks, renews
their leases, and heartbeats to the dispatcher.

SIGTERM drains: nothing new is taken, running tasks finish, then the process exits. A
second SIGTERM, or worker_shutdown_grace running out, stops the running tasks (TERM, then
KILL after worker_kill_grace); their tries are reported failed, and retried."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

import grpc

from tradewind_core.broker import Broker, make_broker
from tradewind_core.lifecycle import sleep_unless_stopped
from tradewind_core.logging import get_logger
from tradewind_core.surfaces import ServiceSurfaces, expose
from tradewind_worker.bundles import BundleCache
from tradewind_worker.client import ExecutionClient
from tradewind_worker.execution import TaskExecutor
from tradewind_worker.intake import Intake
from tradewind_worker.interpreters import Interpreters
from tradewind_worker.metrics import WorkerMetrics
from tradewind_worker.operators import TaskRuntime
from tradewind_worker.runner import inheritable_environment
from tradewind_worker.settings import WorkerSettings
from tradewind_worker.task_api import TaskApi

log = get_logger(__name__)
# After the tasks are stopped, how long their results may take to be reported.
REPORT_GRACE = 30.0


async def serve(
    settings: WorkerSettings,
    stop: asyncio.Event,
    broker: Broker | None = None,
    surfaces: ServiceSurfaces | None = None,
) -> None:
    """`broker` is given in standalone mode, where the dispatcher shares the process, and
    `surfaces`, where the api serves this service's HTTP surface."""
    owns_broker = broker is None
    if broker is None:
        broker = make_broker(settings.broker_url, settings.broker_namespace)
        await broker.connect()
    client = ExecutionClient(
        settings.dispatcher_address,
        worker_id=settings.worker_id,
        hostname=socket.gethostname(),
        internal_secret=settings.internal_secret,
    )
    # Computed once: what every task may inherit of this process's environment.
    inherited = inheritable_environment(
        os.environ,
        secrets=(
            settings.broker_url,
            settings.database_url or "",
            settings.internal_secret.get_secret_value() if settings.internal_secret else "",
        ),
    )
    task_user = settings.task_user()
    if task_user is not None:
        log.info("tasks run as", user=task_user.name, uid=task_user.uid)
    task_api = TaskApi(client, task_user=task_user)
    await task_api.start()
    metrics = WorkerMetrics(
        slots=settings.worker_concurrency, slots_in_use=lambda: intake.slots - intake.free
    )
    runtime = TaskRuntime(
        client=client,
        task_api=task_api,
        bundles=BundleCache(client, settings.code_cache_dir()),
        interpreters=Interpreters(
            spares=settings.worker_python_spares,
            preload=settings.worker_python_preload,
            cwd=settings.home,
            env=inherited,
            as_user=task_user,
        ),
        http_response_max_bytes=settings.worker_http_response_max_bytes,
        metrics=metrics,
        inherited=inherited,
        task_user=task_user,
    )
    executor = TaskExecutor(client, settings, runtime)
    runtime.interpreters.start()
    intake = Intake(broker, settings.worker_queues, settings.worker_concurrency, executor.handle)
    # Registered before taking anything: registering releases what an earlier process
    # with this worker id held, which must not include a claim made by this one.
    await _register(client, settings, stop)

    def surface():  # noqa: ANN202  imported only when served
        from tradewind_worker.http_surface import create_worker_app

        return create_worker_app(
            settings=settings,
            broker=broker,
            executor=executor,
            metrics=metrics,
            slots_in_use=lambda: intake.slots - intake.free,
            stop=stop,
        )

    http = await expose(
        surface,
        name="worker",
        host=settings.http_listen_host,
        port=settings.worker_http_port,
        setting="TRADEWIND_WORKER_HTTP_PORT",
        surfaces=surfaces,
    )
    await intake.start()
    log.info(
        "worker consuming", queues=settings.worker_queues, concurrency=settings.worker_concurrency
    )
    heartbeat = asyncio.create_task(_heartbeat(client, intake, settings, stop))
    try:
        await stop.wait()
    finally:
        await intake.close()
        log.info("worker draining", running=len(executor.running))
        await _drain(intake, executor, settings, stop)
        heartbeat.cancel()
        await runtime.interpreters.close()
        if http is not None:
            await http.stop()
        await task_api.close()
        if owns_broker:
            await broker.close()
        await client.close()
        log.info("worker stopped")


async def _drain(
    intake: Intake, executor: TaskExecutor, settings: WorkerSettings, stop: asyncio.Event
) -> None:
    """Waits for the tasks in hand; stops them on a second signal or after the grace."""
    if not intake.handling:
        return
    waiting = asyncio.ensure_future(asyncio.wait(set(intake.handling)))
    urgent = getattr(stop, "urgent", None)
    hurry = asyncio.ensure_future(urgent.wait() if urgent else asyncio.Event().wait())
    await asyncio.wait(
        {waiting, hurry},
        timeout=settings.worker_shutdown_grace,
        return_when=asyncio.FIRST_COMPLETED,
    )
    hurry.cancel()
    if intake.handling:
        log.warning("stopping running tasks", running=len(executor.running))
        executor.stop_all("the worker was shut down before the task finished")
        await asyncio.wait(set(intake.handling), timeout=settings.worker_kill_grace + REPORT_GRACE)
    for task in set(intake.handling):
        task.cancel()
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting


async def _register(client: ExecutionClient, settings: WorkerSettings, stop: asyncio.Event) -> None:
    """Heartbeats until the dispatcher has heard of this process (or the worker stops)."""
    failures = 0
    while not stop.is_set():
        try:
            released = await client.worker_heartbeat(
                settings.worker_queues, settings.worker_concurrency, 0
            )
        except grpc.aio.AioRpcError as exc:
            failures += 1
            # The dispatcher is most likely still starting: say so only if it lasts.
            if failures % 50 == 0:
                log.warning("cannot register with the dispatcher yet", error=exc.details())
            await sleep_unless_stopped(stop, 0.2)
            continue
        if released:
            log.warning("tries this worker's previous process held are retried", count=released)
        return


async def _heartbeat(
    client: ExecutionClient, intake: Intake, settings: WorkerSettings, stop: asyncio.Event
) -> None:
    """Keeps this registered process live in the dispatcher's registry."""
    while not await sleep_unless_stopped(stop, settings.worker_heartbeat_interval):
        try:
            await client.worker_heartbeat(
                settings.worker_queues, settings.worker_concurrency, intake.slots - intake.free
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("worker heartbeat failed", error=exc.details())
