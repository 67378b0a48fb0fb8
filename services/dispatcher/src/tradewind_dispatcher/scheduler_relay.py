"""The dispatcher's hot path: relays task events from the outbox to the scheduler, at once
when woken after a commit and on a timer for whatever an earlier attempt could not
deliver, and dispatches at once the tasks the scheduler's answer releases.

Rows are read, sent, then deleted in separate short transactions: holding a transaction
open across the call would, with SQLite, hold the only write lock while the scheduler
calls back into this service. Delivered rows are deleted in the background, together
once a second, off the path from one task's end to the next one's start; a crash before
that only resends events, which the scheduler applies idempotently.

A finished attempt is urgent: its downstream tasks wait on it. A started attempt is not;
it waits up to STARTED_DELAY so that a short task's start and end reach the scheduler in
one batch, rather than the start taking a scheduling step the end then queues behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from tradewind.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from tradewind_core.batching import first_batch
from tradewind_core.db import Database
from tradewind_core.grpc_server import channel
from tradewind_core.internal_auth import Secret
from tradewind_core.lifecycle import sleep_unless_stopped
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import to_timestamp
from tradewind_dispatcher import outbox
from tradewind_dispatcher.dispatching import Dispatching
from tradewind_dispatcher.models import SchedulerOutbox

log = get_logger(__name__)
BATCH = 500
STARTED_DELAY = 0.25
MAX_FRESH = 10_000
DELETE_EVERY = 1.0


class SchedulerRelay:
    def __init__(
        self,
        db: Database,
        scheduler_address: str,
        dispatching: Dispatching,
        *,
        internal_secret: Secret | None,
    ) -> None:
        self._db = db
        self._dispatching = dispatching
        self._channel = channel(scheduler_address, internal_secret=internal_secret)
        self._stub = scheduler_pb2_grpc.SchedulerServiceStub(self._channel)
        self._urgent = asyncio.Event()
        self._pending = False
        # Rows just committed, handed over in memory: no need to read them back.
        self._fresh: list[SchedulerOutbox] = []
        # Delivered, not yet deleted: never sent twice by this process meanwhile.
        self._delivered: set[int] = set()

    def wake(self, fresh: Sequence[SchedulerOutbox] = (), *, urgent: bool = True) -> None:
        if len(self._fresh) < MAX_FRESH:  # past that (scheduler down), the outbox table serves
            self._fresh.extend(fresh)
        self._pending = True
        if urgent:
            self._urgent.set()

    async def run(self, stop: asyncio.Event) -> None:
        cleanup = asyncio.create_task(self._delete_periodically(stop))
        backoff = 0.0
        while not stop.is_set():
            idle = STARTED_DELAY if self._pending and not backoff else max(backoff, 1.0)
            try:
                await asyncio.wait_for(self._urgent.wait(), timeout=idle)
            except TimeoutError:
                pass
            self._urgent.clear()
            self._pending = False
            try:
                while await self._deliver_batch():
                    pass
                backoff = 0.0
            except Exception as exc:
                backoff = min(max(backoff * 2, 0.5), 10.0)
                log.warning("cannot deliver task events to the scheduler", error=str(exc))
        await cleanup
        await self._channel.close()

    async def _deliver_batch(self) -> bool:
        if self._fresh:
            rows, self._fresh = self._fresh[:BATCH], self._fresh[BATCH:]
        else:
            async with self._db.reader() as session:
                rows = await outbox.pending_events(session, BATCH + len(self._delivered))
        rows = [r for r in rows if r.id not in self._delivered][:BATCH]
        if not rows:
            return False
        events = [_to_proto(r.event) for r in rows]
        # Bounded by bytes too: what does not fit goes in the next call.
        events, rest = first_batch(events, size=lambda e: e.ByteSize())
        if rest:
            self._fresh[:0] = [r for r in rows[len(events) :] if r.id is not None]
            rows = rows[: len(events)]
        reply = await self._stub.ReportTaskEvents(
            scheduler_pb2.ReportTaskEventsRequest(events=events),
            timeout=30,
        )
        self._delivered.update(r.id for r in rows if r.id is not None)
        if reply.ready_tasks:
            # The downstream tasks these events released: dispatched from here, at once.
            try:
                await self._dispatching.dispatch(reply.ready_tasks)
            except Exception as exc:  # the scheduler's sweep resends them
                log.warning(
                    "cannot dispatch ready tasks", count=len(reply.ready_tasks), error=str(exc)
                )
        return len(rows) == BATCH or bool(self._fresh)

    async def _delete_periodically(self, stop: asyncio.Event) -> None:
        stopping = False
        while not stopping:
            stopping = await sleep_unless_stopped(stop, DELETE_EVERY)
            await self._delete_delivered()

    async def _delete_delivered(self) -> None:
        ids = list(self._delivered)
        if not ids:
            return
        try:
            async with self._db.transaction() as session:
                await outbox.delete_events(session, ids)
        except Exception as exc:  # resent later, harmlessly
            log.warning("cannot delete delivered task events", error=str(exc))
            return
        self._delivered.difference_update(ids)


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
