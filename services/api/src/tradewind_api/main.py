"""The api process: the REST API (uvicorn), the public gRPC API (tradewind.v1) and the
internal catalog gRPC services."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import uvicorn

from tradewind.catalog.v1 import bundles_pb2, bundles_pb2_grpc, catalog_pb2, catalog_pb2_grpc
from tradewind.v1 import workflow_pb2_grpc
from tradewind_api.app import create_app
from tradewind_api.auth.bootstrap import ensure_admin
from tradewind_api.catalog_servicer import DagCatalogServicer
from tradewind_api.clients import DispatcherClient, SchedulerClient
from tradewind_api.code_bundles import CodeBundleServicer
from tradewind_api.context import AppContext
from tradewind_api.settings import ApiSettings
from tradewind_api.state_changes import StateChangeHub
from tradewind_api.workflow_servicer import SERVICE_NAME as WORKFLOW_SERVICE
from tradewind_api.workflow_servicer import WorkflowServicer
from tradewind_core.db import Database
from tradewind_core.grpc_server import GrpcServer
from tradewind_core.logging import get_logger
from tradewind_core.service_http import EmbeddedServer
from tradewind_core.surfaces import ServiceSurfaces

MIGRATIONS = Path(__file__).parent / "migrations"
INTERNAL_SERVICE_NAMES = [
    catalog_pb2.DESCRIPTOR.services_by_name["DagCatalogService"].full_name,
    bundles_pb2.DESCRIPTOR.services_by_name["CodeBundleService"].full_name,
]
log = get_logger(__name__)


async def serve(
    settings: ApiSettings,
    stop: asyncio.Event,
    *,
    public_grpc_address: str | None = None,
    surfaces: ServiceSurfaces | None = None,
) -> None:
    """`public_grpc_address`: where users reach tradewind.v1 when it is not where the
    other services reach the api (standalone keeps those on a Unix socket). `surfaces` is
    given in standalone mode: the other services' HTTP surfaces, served on this port under
    /services."""
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
    await ensure_admin(context.directory, settings)
    context.state_changes = StateChangeHub(
        context,
        interval=settings.api_watch_poll_interval,
        queue_limit=settings.api_watch_queue_limit,
        max_topics=settings.api_max_watched,
    )
    listen = settings.listen_address(settings.api_grpc_address)
    apart = public_grpc_address not in (None, settings.api_grpc_address)
    grpc_server = GrpcServer(
        listen,
        INTERNAL_SERVICE_NAMES if apart else [*INTERNAL_SERVICE_NAMES, WORKFLOW_SERVICE],
        setting="TRADEWIND_API_GRPC_ADDRESS",
    )
    public_server = grpc_server
    if apart:
        assert public_grpc_address is not None
        public_server = GrpcServer(
            settings.listen_address(public_grpc_address),
            [WORKFLOW_SERVICE],
            setting="TRADEWIND_API_GRPC_ADDRESS",
        )
    catalog_pb2_grpc.add_DagCatalogServiceServicer_to_server(
        DagCatalogServicer(db), grpc_server.server
    )
    bundles_pb2_grpc.add_CodeBundleServiceServicer_to_server(
        CodeBundleServicer(db), grpc_server.server
    )
    workflow_pb2_grpc.add_WorkflowServiceServicer_to_server(
        WorkflowServicer(context, context.state_changes), public_server.server
    )
    await grpc_server.start()
    if apart:
        await public_server.start()
    config = uvicorn.Config(
        create_app(context, surfaces),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    http = EmbeddedServer(config)
    http_task = asyncio.create_task(http.serve(sockets=[_listen(settings)]))
    log.info(
        "api serving",
        url=f"http://{settings.api_host}:{settings.api_port}",
        grpc=listen,
        public_grpc=public_grpc_address or listen,
    )
    stop_task = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({http_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        if http_task.done() and http_task.exception() is not None:
            raise http_task.exception()  # type: ignore[misc]
        if http_task.done() and not stop.is_set() and not http.started:
            raise OSError(
                f"cannot listen on {settings.api_host}:{settings.api_port}: the port is in use "
                "or not ours; choose another with TRADEWIND_API_PORT"
            )
    finally:
        http.should_exit = True
        await asyncio.gather(http_task, return_exceptions=True)
        stop_task.cancel()
        await context.state_changes.close()  # ends the open streams, so the stop is quick
        if apart:
            await public_server.stop()
        await grpc_server.stop()
        await context.scheduler.close()
        await context.dispatcher.close()
        await db.dispose()
        log.info("api stopped")


def _listen(settings: ApiSettings) -> socket.socket:
    """The REST port, bound here so a taken port is one clear error (uvicorn would exit the
    process from inside its task). No SO_REUSEPORT: the port is ours alone."""
    family = socket.AF_INET6 if ":" in settings.api_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.api_host, settings.api_port))
    except OSError:
        sock.close()
        raise OSError(
            f"cannot listen on {settings.api_host}:{settings.api_port}: the port is in use "
            "or not ours; choose another with TRADEWIND_API_PORT"
        ) from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock
