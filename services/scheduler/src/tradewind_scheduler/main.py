"""The scheduler process: its gRPC server and its scheduling loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tradewind.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.grpc_server import GrpcServer
from tradewind_core.logging import get_logger
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.dispatch_client import DispatcherClient
from tradewind_scheduler.scheduling import SchedulingLoop
from tradewind_scheduler.servicer import SchedulerServicer
from tradewind_scheduler.settings import SchedulerSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"].full_name
log = get_logger(__name__)


async def serve(settings: SchedulerSettings, stop: asyncio.Event) -> None:
    db = Database(settings.database_url_for("scheduler"), schema=settings.schema_for("scheduler"))
    await db.migrate(MIGRATIONS)
    catalog = DagVersionCache(settings.api_grpc_address)
    dispatcher = DispatcherClient(settings.dispatcher_address)
    loop = SchedulingLoop(db, catalog, dispatcher, settings)
    port = settings.port_of(settings.scheduler_address)
    server = GrpcServer(f"{settings.grpc_listen_host}:{port}", [SERVICE_NAME])
    scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server(
        SchedulerServicer(db, catalog, loop), server.server
    )
    await server.start()
    log.info("scheduler serving", port=server.port)
    loop_task = asyncio.create_task(loop.run(stop))
    try:
        await stop.wait()
    finally:
        await server.stop()
        loop.wake()
        await loop_task
        await catalog.close()
        await dispatcher.close()
        await db.dispose()
        log.info("scheduler stopped")
