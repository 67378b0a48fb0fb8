"""Empty tasks (Airflow's EmptyOperator) do no work, so no worker sees them: the
transaction that records such an attempt also settles it as succeeded, with its
"finished" outbox event, and nothing is published for it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.timeutil import utcnow
from tradewind_dispatcher import outbox
from tradewind_dispatcher.models import TaskAttempt


def is_empty(attempt: TaskAttempt) -> bool:
    return attempt.task.get("operator") == "empty"


async def settle_empty(session: AsyncSession, created: list[TaskAttempt]) -> list[TaskAttempt]:
    """Marks the empty tasks among `created` succeeded; returns the rest, to publish."""
    now = utcnow()
    rest = []
    for attempt in created:
        if not is_empty(attempt):
            rest.append(attempt)
            continue
        attempt.state = "success"
        attempt.claimed_at = attempt.ended_at = now
        attempt.exit_code = 0
        outbox.record_event(session, attempt, finished=True)
    await session.flush()
    return rest
