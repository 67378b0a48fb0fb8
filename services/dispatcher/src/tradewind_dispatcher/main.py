"""The dispatcher process: two gRPC services on one server, the outbox forwarder, the sweeper."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tradewind.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from tradewind.execution.v1 import execution_pb2, execution_pb2_grpc
from tradewind_core.broker import Broker, InMemoryBroker, make_broker
from tradewind_core.db import Database
from tradewind_core.grpc_server import GrpcServer
from tradewind_core.logging import get_logger
from tradewind_dispatcher.dispatching import Dispatching
from tradewind_dispatcher.forwarder import ResultForwarder
from tradewind_dispatcher.publisher import Publisher
from tradewind_dispatcher.servicers import DispatchServicer, TaskExecutionServicer
from tradewind_dispatcher.settings import DispatcherSettings
from tradewind_dispatcher.sweeper import Sweeper

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAMES = [
    dispatch_pb2.DESCRIPTOR.services_by_name["DispatchService"].full_name,
    execution_pb2.DESCRIPTOR.services_by_name["TaskExecutionService"].full_name,
]
log = get_logger(__name__)


async def serve(
    settings: DispatcherSettings, stop: asyncio.Event, broker: Broker | None = None
) -> None:
    """`broker` is given in standalone mode, where the worker shares the process."""
    db = Database(settings.database_url_for("dispatcher"), schema=settings.schema_for("dispatcher"))
    await db.migrate(MIGRATIONS)
    owns_broker = broker is None
    if broker is None:
        broker = make_broker(settings.broker_url, settings.broker_namespace)
        await broker.connect()
    publisher = Publisher(db, broker)
    dispatching = Dispatching(db, publisher)
    forwarder = ResultForwarder(db, settings.scheduler_address, dispatching)
    sweeper = Sweeper(db, publisher, forwarder, settings)
    if isinstance(broker, InMemoryBroker):
        # The in-process queue died with the last process: its messages did too.
        await sweeper.republish(created_before=None)
    port = settings.port_of(settings.dispatcher_address)
    server = GrpcServer(f"{settings.grpc_listen_host}:{port}", SERVICE_NAMES)
    dispatch_pb2_grpc.add_DispatchServiceServicer_to_server(
        DispatchServicer(db, dispatching, settings), server.server
    )
    execution_pb2_grpc.add_TaskExecutionServiceServicer_to_server(
        TaskExecutionServicer(db, forwarder), server.server
    )
    await server.start()
    log.info("dispatcher serving", port=server.port)
    background = [
        asyncio.create_task(forwarder.run(stop)),
        asyncio.create_task(sweeper.run(stop)),
        asyncio.create_task(publisher.run(stop)),
    ]
    try:
        await stop.wait()
    finally:
        # Workers finishing their tasks still report through this server: stop it with
        # grace, then let the forwarder deliver what those reports produced.
        await server.stop(grace=10)
        forwarder.wake()
        await asyncio.gather(*background, return_exceptions=True)
        if owns_broker:
            await broker.close()
        await db.dispose()
        log.info("dispatcher stopped")
