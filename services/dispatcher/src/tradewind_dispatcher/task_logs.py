"""Task logs: what a worker ships of a try's output, read back per try."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.timeutil import utcnow
from tradewind_dispatcher.attempts import owned_attempt
from tradewind_dispatcher.models import TaskAttempt, TaskLog


def add_line(session: AsyncSession, attempt_id: str, text: str) -> None:
    """A note of the dispatcher's own in a try's log (e.g. why it ended)."""
    session.add(TaskLog(attempt_id=attempt_id, text=text, created_at=utcnow()))


async def append(session: AsyncSession, attempt_id: str, token: str, text: str) -> None:
    await owned_attempt(session, attempt_id, token)
    add_line(session, attempt_id, text)


async def read(session: AsyncSession, task_instance_id: str, try_number: int) -> str | None:
    attempt_id = await session.scalar(
        select(TaskAttempt.id).where(
            TaskAttempt.task_instance_id == task_instance_id, TaskAttempt.try_number == try_number
        )
    )
    if attempt_id is None:
        return None
    result = await session.execute(
        select(TaskLog.text).where(TaskLog.attempt_id == attempt_id).order_by(TaskLog.id)
    )
    return "".join(result.scalars())
