"""Delivers task events from the outbox to the scheduler: at once when woken after a
commit, and on a timer for whatever an earlier attempt could not deliver.

Rows are read, sent, then deleted in separate short transactions: holding a transaction
open across the call would, with SQLite, hold the only write lock while the scheduler
calls back into this service. A crash between sending and deleting only resends events,
which the scheduler applies idempotently.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from tradewind.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.grpc_server import channel
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import to_timestamp
from tradewind_dispatcher import attempts

log = get_logger(__name__)
BATCH = 500


class ResultForwarder:
    def __init__(self, db: Database, scheduler_address: str) -> None:
        self._db = db
        self._channel = channel(scheduler_address)
        self._stub = scheduler_pb2_grpc.SchedulerServiceStub(self._channel)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.0
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(backoff, 1.0))
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                while await self._deliver_batch():
                    pass
                backoff = 0.0
            except Exception as exc:
                backoff = min(max(backoff * 2, 0.5), 10.0)
                log.warning("cannot deliver task events to the scheduler", error=str(exc))
        await self._channel.close()

    async def _deliver_batch(self) -> bool:
        async with self._db.reader() as session:
            rows = await attempts.pending_events(session, BATCH)
        if not rows:
            return False
        await self._stub.ReportTaskEvents(
            scheduler_pb2.ReportTaskEventsRequest(events=[_to_proto(r.event) for r in rows]),
            timeout=30,
        )
        async with self._db.transaction() as session:
            await attempts.delete_events(session, [r.id for r in rows if r.id is not None])
        return len(rows) == BATCH


def _to_proto(event: dict) -> scheduler_pb2.TaskEvent:
    kind = (
        scheduler_pb2.TASK_EVENT_KIND_FINISHED
        if event["finished"]
        else scheduler_pb2.TASK_EVENT_KIND_STARTED
    )
    return scheduler_pb2.TaskEvent(
        task_instance_id=event["task_instance_id"],
        try_number=event["try_number"],
        kind=kind,
        state=event["state"],
        start_date=to_timestamp(_dt(event["start_date"])),
        end_date=to_timestamp(_dt(event["end_date"])),
        hostname=event["hostname"],
        pid=event["pid"],
        reason=event["reason"],
    )


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
