"""The dispatcher process: two gRPC services on one server, the scheduler relay, the sweeper."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tradewind.catalog.v1 import bundles_pb2, bundles_pb2_grpc
from tradewind.dispatch.v1 import (
    control_pb2,
    control_pb2_grpc,
    dispatch_pb2,
    dispatch_pb2_grpc,
    workers_pb2,
    workers_pb2_grpc,
)
from tradewind.execution.v1 import (
    execution_pb2,
    execution_pb2_grpc,
    task_logs_pb2,
    task_logs_pb2_grpc,
    xcom_pb2,
    xcom_pb2_grpc,
)
from tradewind_core.broker import Broker, InMemoryBroker, make_broker
from tradewind_core.db import Database
from tradewind_core.grpc_server import GrpcServer
from tradewind_core.logging import get_logger
from tradewind_core.surfaces import ServiceSurfaces, expose
from tradewind_dispatcher.bundles import CodeBundleProxy
from tradewind_dispatcher.control_servicer import AttemptControlServicer
from tradewind_dispatcher.dispatching import Dispatching
from tradewind_dispatcher.publisher import Publisher
from tradewind_dispatcher.scheduler_relay import SchedulerRelay
from tradewind_dispatcher.servicers import DispatchServicer, TaskExecutionServicer
from tradewind_dispatcher.settings import DispatcherSettings
from tradewind_dispatcher.sweeper import REPUBLISH_BATCH, Sweeper
from tradewind_dispatcher.task_log_lines import TaskLogServicer
from tradewind_dispatcher.worker_registry import WorkerRegistryServicer
from tradewind_dispatcher.xcom import XComServicer

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAMES = [
    dispatch_pb2.DESCRIPTOR.services_by_name["DispatchService"].full_name,
    execution_pb2.DESCRIPTOR.services_by_name["TaskExecutionService"].full_name,
    control_pb2.DESCRIPTOR.services_by_name["AttemptControlService"].full_name,
    xcom_pb2.DESCRIPTOR.services_by_name["XComService"].full_name,
    bundles_pb2.DESCRIPTOR.services_by_name["CodeBundleService"].full_name,
    task_logs_pb2.DESCRIPTOR.services_by_name["TaskLogService"].full_name,
    workers_pb2.DESCRIPTOR.services_by_name["WorkerRegistryService"].full_name,
]
log = get_logger(__name__)


async def serve(
    settings: DispatcherSettings,
    stop: asyncio.Event,
    broker: Broker | None = None,
    surfaces: ServiceSurfaces | None = None,
) -> None:
    """`broker` is given in standalone mode, where the worker shares the process, and
    `surfaces`, where the api serves this service's HTTP surface."""
    db = Database(settings.database_url_for("dispatcher"), schema=settings.schema_for("dispatcher"))
    await db.migrate(MIGRATIONS)
    owns_broker = broker is None
    if broker is None:
        broker = make_broker(settings.broker_url, settings.broker_namespace)
        await broker.connect()
    publisher = Publisher(db, broker)
    dispatching = Dispatching(db, publisher)
    relay = SchedulerRelay(
        db, settings.scheduler_address, dispatching, internal_secret=settings.internal_secret
    )
    dispatching.on_events = relay.wake
    sweeper = Sweeper(db, publisher, relay, settings, broker)
    if isinstance(broker, InMemoryBroker):
        # The in-process queue died with the last process: its messages did too.
        while await sweeper.republish(published_before=None) == REPUBLISH_BATCH:
            pass
    listen = settings.listen_address(settings.dispatcher_address)
    server = GrpcServer(
        listen,
        SERVICE_NAMES,
        internal_secret=settings.internal_secret,
        setting="TRADEWIND_DISPATCHER_ADDRESS",
    )
    dispatch_pb2_grpc.add_DispatchServiceServicer_to_server(
        DispatchServicer(db, dispatching, settings), server.server
    )
    execution_pb2_grpc.add_TaskExecutionServiceServicer_to_server(
        TaskExecutionServicer(db, relay), server.server
    )
    control_pb2_grpc.add_AttemptControlServiceServicer_to_server(
        AttemptControlServicer(db, relay), server.server
    )
    xcom_pb2_grpc.add_XComServiceServicer_to_server(
        XComServicer(db, max_bytes=settings.xcom_max_bytes), server.server
    )
    task_logs_pb2_grpc.add_TaskLogServiceServicer_to_server(
        TaskLogServicer(db, max_bytes=settings.task_log_max_bytes), server.server
    )
    workers_pb2_grpc.add_WorkerRegistryServiceServicer_to_server(
        WorkerRegistryServicer(db, worker_timeout=settings.dispatcher_worker_timeout),
        server.server,
    )
    bundles = CodeBundleProxy(
        settings.api_grpc_address,
        cache_size=settings.code_bundle_cache_size,
        internal_secret=settings.internal_secret,
    )
    bundles_pb2_grpc.add_CodeBundleServiceServicer_to_server(bundles, server.server)
    await server.start()

    def surface():  # noqa: ANN202  imported only when served
        from tradewind_dispatcher.http_surface import create_dispatcher_app

        return create_dispatcher_app(db, broker, settings)

    http = await expose(
        surface,
        name="dispatcher",
        host=settings.http_listen_host,
        port=settings.dispatcher_http_port,
        setting="TRADEWIND_DISPATCHER_HTTP_PORT",
        surfaces=surfaces,
    )
    log.info("dispatcher serving", grpc=listen)
    background = [
        asyncio.create_task(relay.run(stop)),
        asyncio.create_task(sweeper.run(stop)),
        asyncio.create_task(publisher.run(stop)),
    ]
    try:
        await stop.wait()
    finally:
        # Workers finishing their tasks still report through this server: stop it with
        # grace, then let the relay deliver what those reports produced.
        if http is not None:
            await http.stop()
        await server.stop(grace=10)
        relay.wake()
        await asyncio.gather(*background, return_exceptions=True)
        if owns_broker:
            await broker.close()
        await bundles.close()
        await db.dispose()
        log.info("dispatcher stopped")
