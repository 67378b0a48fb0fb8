"""Stopping attempts the scheduler took away (a task marked, cleared or timed out, a run
or DAG deleted).

A queued attempt ends at once: it can no longer be claimed. A running one is only asked
to stop: its next heartbeat answers keep_running=false, its worker stops the task's
process group and reports the try's end as usual. Either way the end reaches the
scheduler as a "finished" event through the outbox, so the task instance's state follows
from the try's real end: one cleared while running restarts only once its old process
is gone, and one the scheduler settled already ignores the event.

A stop may overtake the dispatch of its try (the scheduler hands a task over just before
a person marks it). The stop then records the try as an attempt already ended, so that
the dispatch, which records only tries not recorded yet, publishes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.timeutil import utcnow
from tradewind_dispatcher import outbox, task_log_lines
from tradewind_dispatcher.attempt_states import check_move
from tradewind_dispatcher.attempts import QUEUED, RUNNING
from tradewind_dispatcher.models import TaskAttempt

# An attempt taken away ends as failed: what its worker will report once killed.
STOPPED = "failed"


@dataclass(frozen=True)
class StopRequest:
    task_instance_id: str
    try_number: int
    reason: str


async def stop_attempts(session: AsyncSession, requests: list[StopRequest]) -> int:
    """Ends the open attempts of these tries; returns how many were open."""
    if not requests:
        return 0
    reasons = {(r.task_instance_id, r.try_number): r.reason for r in requests}
    now = utcnow()
    for attempt in await _record_undispatched(session, reasons, now):
        outbox.record_event(session, attempt, finished=True)
    result = await session.execute(
        select(TaskAttempt)
        .where(
            tuple_(TaskAttempt.task_instance_id, TaskAttempt.try_number).in_(list(reasons)),
            TaskAttempt.state.in_((QUEUED, RUNNING)),
            TaskAttempt.reason.is_(None),  # a running one asked to stop already
        )
        .order_by(TaskAttempt.id)
        .with_for_update()
    )
    stopped = list(result.scalars())
    for attempt in stopped:
        reason = reasons[(attempt.task_instance_id, attempt.try_number)] or "stopped"
        # The worker is about to be told to stop without being told why: the log says it.
        task_log_lines.add_note(session, attempt.id, f"[tradewind] stopped: {reason}")
        if attempt.state == RUNNING:
            # Marked, not ended: the heartbeat tells the worker, whose report ends it.
            attempt.reason = f"stopped: {reason}"
            continue
        check_move(attempt.id, attempt.state, STOPPED)
        attempt.state = STOPPED
        attempt.reason = reason
        attempt.ended_at = now
        outbox.record_event(session, attempt, finished=True)
    await session.flush()
    return len(stopped)


async def _record_undispatched(
    session: AsyncSession, reasons: dict[tuple[str, int], str], now
) -> list[TaskAttempt]:
    """Records the tries the dispatcher never had as ended; returns those it recorded."""
    rows = [
        {
            "id": str(uuid.uuid4()),
            "task_instance_id": ti_id,
            "try_number": try_number,
            "dag_id": "",
            "run_id": "",
            "task_id": "",
            "queue": "",
            "task": {},
            "context": {},
            "state": STOPPED,
            "reason": f"stopped before it was dispatched: {reason}"[:1000],
            "created_at": now,
            "ended_at": now,
        }
        for (ti_id, try_number), reason in reasons.items()
    ]
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(TaskAttempt)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["task_instance_id", "try_number"])
        .returning(TaskAttempt)
    )
    return list(result.scalars())
