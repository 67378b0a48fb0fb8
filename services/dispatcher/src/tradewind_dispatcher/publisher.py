"""Turns recorded attempts into task messages on their worker queues, and remembers which
messages the broker confirmed, so only those a crash may have lost are published again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from tradewind_core.broker import Broker, OutgoingMessage
from tradewind_core.db import Database
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


class Publisher:
    def __init__(self, db: Database, broker: Broker) -> None:
        self._db = db
        self._broker = broker
        self._marking: set[asyncio.Task[None]] = set()

    async def publish(self, items: Sequence[TaskAttempt]) -> None:
        """Returns once the broker has confirmed every message. Recording the
        confirmation happens in the background, off the path to the task's start."""
        if not items:
            return
        await self._broker.publish([task_message(a) for a in items])
        task = asyncio.create_task(self._mark([a.id for a in items]))
        self._marking.add(task)
        task.add_done_callback(self._marking.discard)

    async def _mark(self, ids: list[str]) -> None:
        try:
            async with self._db.transaction() as session:
                await attempts.mark_published(session, ids)
        except Exception as exc:  # only means a harmless republish later
            log.warning("cannot record published attempts", error=str(exc))

    async def close(self) -> None:
        await asyncio.gather(*self._marking, return_exceptions=True)
