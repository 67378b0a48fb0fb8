"""Attempt stops survive a dispatcher that cannot be reached: the `attempt_stop` rows stay
until a real dispatcher has answered, and only then go."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from tradewind_core.broker import InMemoryBroker
from tradewind_core.db import Database
from tradewind_core.timeutil import utcnow
from tradewind_dispatcher import status, task_log_lines
from tradewind_dispatcher.main import serve as serve_dispatcher
from tradewind_dispatcher.settings import DispatcherSettings
from tradewind_scheduler.main import MIGRATIONS
from tradewind_scheduler.models import AttemptStop
from tradewind_scheduler.stopping import StopSender

pytestmark = pytest.mark.postgres


async def pending(db: Database) -> int:
    async with db.reader() as session:
        return await session.scalar(select(func.count()).select_from(AttemptStop)) or 0


async def test_stops_wait_in_the_outbox_until_the_dispatcher_answers(
    pg_database, schema_prefix, service_ports
):
    db = Database(pg_database, schema=f"{schema_prefix}scheduler")
    await db.migrate(MIGRATIONS)
    address = service_ports["dispatcher_address"]
    sender = StopSender(db, address, internal_secret=service_ports["internal_secret"])
    async with db.transaction() as session:
        session.add(
            AttemptStop(task_instance_id="ti-1", try_number=1, reason="why", created_at=utcnow())
        )
    with pytest.raises(Exception):  # noqa: B017  nothing listens there yet
        await sender.send_batch()
    assert await pending(db) == 1

    settings = DispatcherSettings(
        database_url=pg_database,
        database_schema_prefix=schema_prefix,
        broker_url="memory://",
        dispatcher_address=address,
        internal_secret=service_ports["internal_secret"],
    )
    stop = asyncio.Event()
    dispatcher = asyncio.create_task(serve_dispatcher(settings, stop, broker=InMemoryBroker()))
    try:
        for _ in range(300):
            try:
                await sender.send_batch()
                break
            except Exception:
                if dispatcher.done():
                    dispatcher.result()
                await asyncio.sleep(0.1)
        assert await pending(db) == 0
        # The try had not been dispatched: it is now recorded as ended, never to run.
        ddb = Database(pg_database, schema=f"{schema_prefix}dispatcher")
        async with ddb.reader() as session:
            lines, _, _ = await task_log_lines.read(session, "ti-1", 1, 0)
            assert lines == []
            counts = await status.status(session, worker_timeout=30)
        assert counts["queued"] == 0
        await ddb.dispose()
    finally:
        stop.set()
        await asyncio.wait_for(dispatcher, 30)
        await db.dispose()
