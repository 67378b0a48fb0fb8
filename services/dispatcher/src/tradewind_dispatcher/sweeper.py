"""The dispatcher's safety net: fail attempts whose lease ran out, and publish again the
attempts nobody claimed (a message lost after the broker confirmed it, or never
confirmed because the dispatcher stopped between recording and publishing)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, timedelta

from tradewind_core.broker import Broker
from tradewind_core.db import Database
from tradewind_core.lifecycle import sleep_unless_stopped
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import utcnow
from tradewind_dispatcher import attempts, outbox
from tradewind_dispatcher.models import TaskAttempt
from tradewind_dispatcher.publisher import Publisher
from tradewind_dispatcher.scheduler_relay import SchedulerRelay
from tradewind_dispatcher.settings import DispatcherSettings

log = get_logger(__name__)
# Republishing goes in batches, a bounded number per pass; each republished attempt's
# clock restarts, so the next batch reaches the next-oldest and none is starved.
REPUBLISH_BATCH = 500
REPUBLISH_BATCHES_PER_PASS = 4


class Sweeper:
    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        relay: SchedulerRelay,
        settings: DispatcherSettings,
        broker: Broker,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._relay = relay
        self._settings = settings
        self._broker = broker
        self._started = utcnow()

    async def run(self, stop: asyncio.Event) -> None:
        while not await sleep_unless_stopped(stop, self._settings.dispatcher_sweep_interval):
            try:
                await self.sweep()
            except Exception as exc:
                log.warning("dispatcher sweep failed", error=str(exc))

    async def sweep(self) -> None:
        await self._fail_expired_leases()
        cutoff = utcnow() - timedelta(seconds=self._settings.dispatcher_republish_after)
        for _ in range(REPUBLISH_BATCHES_PER_PASS):
            if await self.republish(published_before=cutoff) < REPUBLISH_BATCH:
                break

    async def _fail_expired_leases(self) -> None:
        timeout = self._settings.dispatcher_attempt_timeout
        # Workers cannot renew leases with a dispatcher that is down: only once this one
        # has been up a whole timeout does silence mean a worker is lost.
        if (utcnow() - self._started).total_seconds() < timeout:
            return
        async with self._db.transaction() as session:
            lost = await attempts.fail_expired_leases(session, timeout=timeout)
        if lost:
            log.warning("failed attempts whose lease ran out", count=lost)
            self._relay.wake(outbox.new_rows(session))

    async def republish(self, *, published_before: datetime | None) -> int:
        """Publishes one batch of unclaimed attempts again; returns how many were due."""
        async with self._db.reader() as session:
            due = await attempts.unclaimed(
                session, published_before=published_before, limit=REPUBLISH_BATCH
            )
            waiting = await self._still_waiting(session, due)
        lost = [a for a in due if a.id not in waiting]
        if lost:
            await self._publisher.publish(lost)
            log.info("republished unclaimed attempts", count=len(lost))
        # Those whose message is still in its queue wait their turn; their clock restarts
        # too, so the next batch moves on to older ones.
        async with self._db.transaction() as session:
            await attempts.mark_published(session, [a.id for a in due])
        return len(due)

    async def _still_waiting(self, session, due: list[TaskAttempt]) -> set[str]:
        """The due attempts whose message is likely still in its queue: as many of the
        newest as the queue holds ready messages beyond the queued attempts not due.
        A backlog waiting for free workers is then not published twice."""
        by_queue: dict[str, list[TaskAttempt]] = defaultdict(list)
        for attempt in due:
            by_queue[attempt.queue].append(attempt)
        waiting: set[str] = set()
        for queue, items in by_queue.items():
            ready = await self._broker.ready_count(queue)
            if ready is None:
                continue
            not_due = await attempts.queued_count(session, queue) - len(items)
            in_queue = max(0, min(len(items), ready - not_due))
            # Oldest first: the newest of the due are the likeliest still queued.
            waiting.update(a.id for a in items[len(items) - in_queue :])
        return waiting
