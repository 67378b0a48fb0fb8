"""The api process: the REST API (uvicorn) and the internal catalog gRPC server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import uvicorn

from tradewind.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tradewind_api.app import create_app
from tradewind_api.catalog_servicer import DagCatalogServicer
from tradewind_api.clients import DispatcherClient, SchedulerClient
from tradewind_api.context import AppContext
from tradewind_api.settings import ApiSettings
from tradewind_core.db import Database
from tradewind_core.grpc_server import GrpcServer
from tradewind_core.logging import get_logger

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = catalog_pb2.DESCRIPTOR.services_by_name["DagCatalogService"].full_name
log = get_logger(__name__)


async def serve(settings: ApiSettings, stop: asyncio.Event) -> None:
    db = Database(
        settings.database_url_for("api"), schema=settings.schema_for("api"), pre_ping=True
    )
    await db.migrate(MIGRATIONS)
    context = AppContext(
        settings=settings,
        db=db,
        scheduler=SchedulerClient(settings.scheduler_address),
        dispatcher=DispatcherClient(settings.dispatcher_address),
    )
    grpc_port = settings.port_of(settings.api_grpc_address)
    grpc_server = GrpcServer(f"{settings.grpc_listen_host}:{grpc_port}", [SERVICE_NAME])
    catalog_pb2_grpc.add_DagCatalogServiceServicer_to_server(
        DagCatalogServicer(db), grpc_server.server
    )
    await grpc_server.start()
    config = uvicorn.Config(
        create_app(context),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    http = uvicorn.Server(config)
    http_task = asyncio.create_task(http.serve())
    log.info(
        "api serving", url=f"http://{settings.api_host}:{settings.api_port}", grpc_port=grpc_port
    )
    stop_task = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({http_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        if http_task.done() and http_task.exception() is not None:
            raise http_task.exception()  # type: ignore[misc]
        if http_task.done() and not stop.is_set() and not http.started:
            raise OSError(f"cannot serve HTTP on {settings.api_host}:{settings.api_port}")
    finally:
        http.should_exit = True
        await asyncio.gather(http_task, return_exceptions=True)
        stop_task.cancel()
        await grpc_server.stop()
        await context.scheduler.close()
        await context.dispatcher.close()
        await db.dispose()
        log.info("api stopped")
