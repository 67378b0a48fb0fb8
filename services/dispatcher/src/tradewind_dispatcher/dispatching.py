"""Dispatching ready tasks: record an attempt for each, commit, then publish.

Tasks come from the scheduler two ways: in its answer to a report of finished attempts
(the fast path from one task to the next), and by DispatchTasks (new runs, retries,
resends). Both land here."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from tradewind.dispatch.v1 import dispatch_pb2
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.logging import get_logger
from tradewind_dispatcher import attempts, outbox
from tradewind_dispatcher.empty_tasks import settle_empty
from tradewind_dispatcher.publisher import Publisher

log = get_logger(__name__)


def _json_object(text: str, what: str) -> dict:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"{what} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{what} must be a JSON object")
    return value


def new_attempts(tasks: Sequence[dispatch_pb2.TaskDispatch]) -> list[attempts.NewAttempt]:
    """Checks every task before anything is recorded: one bad task refuses the batch."""
    items = []
    for t in tasks:
        if not t.task_instance_id or t.try_number < 1 or not t.queue:
            raise InvalidArgument(
                f"task {t.task_id!r}: task_instance_id, try_number >= 1 and queue are required"
            )
        items.append(
            attempts.NewAttempt(
                task_instance_id=t.task_instance_id,
                try_number=t.try_number,
                dag_id=t.dag_id,
                run_id=t.dag_run_id,
                task_id=t.task_id,
                map_index=t.map_index,
                queue=t.queue,
                priority_weight=t.priority_weight,
                task=_json_object(t.task_json, f"task {t.task_id!r} task_json"),
                context=_json_object(t.context_json, f"task {t.task_id!r} context_json"),
            )
        )
    return items


class Dispatching:
    def __init__(self, db: Database, publisher: Publisher) -> None:
        self._db = db
        self._publisher = publisher
        # Set to the forwarder's wake: attempts settled here (empty tasks) have events.
        self.on_events: Callable[[list], None] | None = None

    async def dispatch(self, tasks: Sequence[dispatch_pb2.TaskDispatch]) -> int:
        """Returns how many attempts were new (tasks already dispatched are skipped)."""
        items = new_attempts(tasks)
        if not items:
            return 0
        async with self._db.transaction() as session:
            created = await attempts.record_attempts(session, items)
            to_publish = await settle_empty(session, created)
        if len(to_publish) < len(created) and self.on_events is not None:
            self.on_events(outbox.new_rows(session))
        # Published after the commit, so a worker can always find the attempt it claims.
        await self._publisher.publish(to_publish)
        for a in created:
            log.info(
                "attempt dispatched",
                dag_id=a.dag_id,
                dag_run_id=a.run_id,
                task_id=a.task_id,
                try_number=a.try_number,
                queue=a.queue,
            )
        return len(created)
