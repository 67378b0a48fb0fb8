"""Turns recorded attempts into task messages on their worker queues, and remembers which
messages the broker confirmed, so only those a crash may have lost are published again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from tradewind_core.broker import Broker, OutgoingMessage
from tradewind_core.db import Database
from tradewind_core.lifecycle import sleep_unless_stopped
from tradewind_core.logging import get_logger
from tradewind_dispatcher import attempts
from tradewind_dispatcher.models import TaskAttempt

log = get_logger(__name__)


def task_message(attempt: TaskAttempt) -> OutgoingMessage:
    # The message names the attempt and nothing more that matters: the worker claims the
    # attempt and gets the task from the claim, so a stale copy can carry nothing stale.
    body = {
        "attempt_id": attempt.id,
        "dag_id": attempt.dag_id,
        "dag_run_id": attempt.run_id,
        "task_id": attempt.task_id,
        "try_number": attempt.try_number,
    }
    return OutgoingMessage(
        queue=attempt.queue,
        body=json.dumps(body).encode(),
        headers={"dag_id": attempt.dag_id, "dag_run_id": attempt.run_id},
        priority=attempt.priority_weight,
    )


MARK_EVERY = 1.0


class Publisher:
    """Publishes attempts; records their confirmation in one write a second, off the path
    to the tasks' start (a delay there only risks a harmless republish after a crash)."""

    def __init__(self, db: Database, broker: Broker) -> None:
        self._db = db
        self._broker = broker
        self._confirmed: list[str] = []

    async def publish(self, items: Sequence[TaskAttempt]) -> None:
        """Returns once the broker has confirmed every message."""
        if not items:
            return
        await self._broker.publish([task_message(a) for a in items])
        self._confirmed.extend(a.id for a in items)

    async def run(self, stop: asyncio.Event) -> None:
        stopping = False
        while not stopping:
            stopping = await sleep_unless_stopped(stop, MARK_EVERY)
            await self.flush()

    async def flush(self) -> None:
        ids, self._confirmed = self._confirmed, []
        if not ids:
            return
        try:
            async with self._db.transaction() as session:
                await attempts.mark_published(session, ids)
        except Exception as exc:  # only means a harmless republish later
            log.warning("cannot record published attempts", error=str(exc))
