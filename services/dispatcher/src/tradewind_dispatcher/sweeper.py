"""The dispatcher's safety net: fail attempts of silent workers, republish attempts whose
message may never have reached the broker."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tradewind_core.broker import Broker
from tradewind_core.db import Database
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import utcnow
from tradewind_dispatcher import attempts
from tradewind_dispatcher.forwarder import ResultForwarder
from tradewind_dispatcher.publisher import publish_attempts
from tradewind_dispatcher.settings import DispatcherSettings

log = get_logger(__name__)


class Sweeper:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        forwarder: ResultForwarder,
        settings: DispatcherSettings,
    ) -> None:
        self._db = db
        self._broker = broker
        self._forwarder = forwarder
        self._settings = settings
        self._republished: dict[str, object] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(
                    stop.wait(), timeout=self._settings.dispatcher_sweep_interval
                )
            except TimeoutError:
                pass
            if stop.is_set():
                return
            try:
                await self.sweep()
            except Exception as exc:
                log.warning("dispatcher sweep failed", error=str(exc))

    async def sweep(self) -> None:
        async with self._db.transaction() as session:
            lost = await attempts.fail_lost_attempts(
                session, timeout=self._settings.dispatcher_attempt_timeout
            )
        if lost:
            log.warning("failed attempts of silent workers", count=lost)
            self._forwarder.wake()
        period = timedelta(seconds=self._settings.dispatcher_republish_after)
        now = utcnow()
        async with self._db.reader() as session:
            stale = await attempts.unclaimed_since(session, now - period)
        # Each unclaimed attempt is republished at most once per period.
        due = [a for a in stale if now - self._republished.get(a.id, now - period) >= period]
        if due:
            await publish_attempts(self._broker, due)
            for a in due:
                self._republished[a.id] = now
            log.info("republished unclaimed attempts", count=len(due))
        live = {a.id for a in stale}
        self._republished = {k: v for k, v in self._republished.items() if k in live}
