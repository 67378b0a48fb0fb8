"""The dispatcher's safety net: fail attempts of silent workers, republish attempts whose
message the broker never confirmed (the dispatcher stopped between recording an attempt
and publishing it)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tradewind_core.db import Database
from tradewind_core.lifecycle import sleep_unless_stopped
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import utcnow
from tradewind_dispatcher import attempts
from tradewind_dispatcher.forwarder import ResultForwarder
from tradewind_dispatcher.publisher import Publisher
from tradewind_dispatcher.settings import DispatcherSettings

log = get_logger(__name__)


class Sweeper:
    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        forwarder: ResultForwarder,
        settings: DispatcherSettings,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._forwarder = forwarder
        self._settings = settings
        self._started = utcnow()

    async def run(self, stop: asyncio.Event) -> None:
        while not await sleep_unless_stopped(stop, self._settings.dispatcher_sweep_interval):
            try:
                await self.sweep()
            except Exception as exc:
                log.warning("dispatcher sweep failed", error=str(exc))

    async def sweep(self) -> None:
        await self._fail_lost_attempts()
        cutoff = utcnow() - timedelta(seconds=self._settings.dispatcher_republish_after)
        await self.republish(created_before=cutoff)

    async def _fail_lost_attempts(self) -> None:
        timeout = self._settings.dispatcher_attempt_timeout
        # Workers cannot heartbeat to a dispatcher that is down: only once this one has
        # been up a whole timeout does silence mean a worker is lost.
        if (utcnow() - self._started).total_seconds() < timeout:
            return
        async with self._db.transaction() as session:
            lost = await attempts.fail_lost_attempts(session, timeout=timeout)
        if lost:
            log.warning("failed attempts of silent workers", count=lost)
            self._forwarder.wake(attempts.new_outbox_rows(session))

    async def republish(self, *, created_before: datetime | None) -> None:
        async with self._db.reader() as session:
            due = await attempts.unpublished(session, created_before=created_before)
        if due:
            await self._publisher.publish(due)
            log.info("republished attempts the broker never confirmed", count=len(due))
