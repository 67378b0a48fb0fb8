"""The scheduler process: its gRPC server and its scheduling loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tradewind.scheduler.v1 import (
    backfills_pb2,
    backfills_pb2_grpc,
    control_pb2,
    control_pb2_grpc,
    grid_pb2,
    grid_pb2_grpc,
    pools_pb2,
    pools_pb2_grpc,
    queries_pb2,
    queries_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
    schedules_pb2,
    schedules_pb2_grpc,
)
from tradewind_core.db import Database
from tradewind_core.grpc_server import GrpcServer
from tradewind_core.logging import get_logger
from tradewind_core.surfaces import ServiceSurfaces, expose
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.control_servicer import RunControlServicer
from tradewind_scheduler.dispatch_client import DispatcherClient
from tradewind_scheduler.grid import GridServicer
from tradewind_scheduler.pool_servicer import PoolServicer
from tradewind_scheduler.query_servicer import RunQueryServicer
from tradewind_scheduler.schedule_servicers import BackfillServicer, ScheduleServicer
from tradewind_scheduler.schedules import ScheduleLoop
from tradewind_scheduler.scheduling import SchedulingLoop
from tradewind_scheduler.servicer import SchedulerServicer
from tradewind_scheduler.settings import SchedulerSettings
from tradewind_scheduler.stopping import StopSender

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAMES = [
    scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"].full_name,
    control_pb2.DESCRIPTOR.services_by_name["RunControlService"].full_name,
    pools_pb2.DESCRIPTOR.services_by_name["PoolService"].full_name,
    schedules_pb2.DESCRIPTOR.services_by_name["ScheduleService"].full_name,
    backfills_pb2.DESCRIPTOR.services_by_name["BackfillService"].full_name,
    grid_pb2.DESCRIPTOR.services_by_name["GridService"].full_name,
    queries_pb2.DESCRIPTOR.services_by_name["RunQueryService"].full_name,
]
log = get_logger(__name__)


async def serve(
    settings: SchedulerSettings, stop: asyncio.Event, surfaces: ServiceSurfaces | None = None
) -> None:
    """`surfaces` is given in standalone mode, where the api serves this service's HTTP
    surface."""
    db = Database(settings.database_url_for("scheduler"), schema=settings.schema_for("scheduler"))
    await db.migrate(MIGRATIONS)
    secret = settings.internal_secret
    catalog = DagVersionCache(settings.api_grpc_address, internal_secret=secret)
    dispatcher = DispatcherClient(settings.dispatcher_address, internal_secret=secret)
    stops = StopSender(db, settings.dispatcher_address, internal_secret=secret)
    loop = SchedulingLoop(db, catalog, dispatcher, settings)
    schedule_loop = ScheduleLoop(db, catalog, settings, run_created=loop.run_created)
    loop.run_finished_listeners.append(schedule_loop.runs_finished)
    listen = settings.listen_address(settings.scheduler_address)
    server = GrpcServer(
        listen, SERVICE_NAMES, internal_secret=secret, setting="TRADEWIND_SCHEDULER_ADDRESS"
    )
    scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server(
        SchedulerServicer(db, catalog, loop, schedules=schedule_loop), server.server
    )
    schedules_pb2_grpc.add_ScheduleServiceServicer_to_server(ScheduleServicer(db), server.server)
    backfills_pb2_grpc.add_BackfillServiceServicer_to_server(
        BackfillServicer(db, catalog, schedule_loop), server.server
    )
    control_pb2_grpc.add_RunControlServiceServicer_to_server(
        RunControlServicer(db, catalog, loop, stops), server.server
    )
    pools_pb2_grpc.add_PoolServiceServicer_to_server(PoolServicer(db), server.server)
    grid_pb2_grpc.add_GridServiceServicer_to_server(GridServicer(db), server.server)
    queries_pb2_grpc.add_RunQueryServiceServicer_to_server(RunQueryServicer(db), server.server)
    await server.start()

    def surface():  # noqa: ANN202  imported only when served
        from tradewind_scheduler.http_surface import create_scheduler_app

        return create_scheduler_app(db, loop, settings)

    http = await expose(
        surface,
        name="scheduler",
        host=settings.http_listen_host,
        port=settings.scheduler_http_port,
        setting="TRADEWIND_SCHEDULER_HTTP_PORT",
        surfaces=surfaces,
    )
    log.info("scheduler serving", grpc=listen)
    loop_task = asyncio.create_task(loop.run(stop))
    stops_task = asyncio.create_task(stops.run(stop))
    schedule_task = asyncio.create_task(schedule_loop.run(stop))
    try:
        await stop.wait()
    finally:
        if http is not None:
            await http.stop()
        await server.stop()
        loop.wake()
        schedule_loop.wake()
        await loop_task
        stops.wake()
        await stops_task
        await schedule_task
        await catalog.close()
        await dispatcher.close()
        await db.dispose()
        log.info("scheduler stopped")
