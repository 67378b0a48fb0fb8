"""The scheduler outbox: task events recorded in the same transaction as the attempt
change that caused them, delivered afterwards by the scheduler relay (scheduler_relay.py).
A crash between the two loses nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.timeutil import as_utc, utcnow
from tradewind_dispatcher.models import SchedulerOutbox, TaskAttempt


def record_event(session: AsyncSession, attempt: TaskAttempt, *, finished: bool) -> None:
    row = SchedulerOutbox(
        event={
            "task_instance_id": attempt.task_instance_id,
            "try_number": attempt.try_number,
            "finished": finished,
            "state": attempt.state if finished else "",
            "start_date": _iso(attempt.claimed_at),
            "end_date": _iso(attempt.ended_at) if finished else None,
            "hostname": attempt.hostname or "",
            "pid": attempt.pid or 0,
            "reason": attempt.reason or "",
        },
        created_at=utcnow(),
    )
    session.add(row)
    session.info.setdefault("outbox", []).append(row)


def new_rows(session: AsyncSession) -> list[SchedulerOutbox]:
    """The outbox rows this session wrote: after the commit they can go to the
    scheduler straight from memory, without reading them back."""
    return list(session.info.get("outbox", []))


async def pending_events(session: AsyncSession, limit: int) -> list[SchedulerOutbox]:
    result = await session.execute(
        select(SchedulerOutbox).order_by(SchedulerOutbox.id).limit(limit)
    )
    return list(result.scalars())


async def delete_events(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(delete(SchedulerOutbox).where(SchedulerOutbox.id.in_(ids)))


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None
