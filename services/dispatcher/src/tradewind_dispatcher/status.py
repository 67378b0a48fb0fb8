"""The dispatcher's status as health reports it: live workers, attempts in flight."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.timeutil import as_utc, utcnow
from tradewind_dispatcher.attempt_states import QUEUED, RUNNING
from tradewind_dispatcher.models import TaskAttempt, Worker


async def status(session: AsyncSession, *, worker_timeout: float) -> dict[str, Any]:
    cutoff = utcnow() - timedelta(seconds=worker_timeout)
    live = await session.scalar(
        select(func.count()).select_from(Worker).where(Worker.last_heartbeat >= cutoff)
    )
    latest = await session.scalar(select(func.max(Worker.last_heartbeat)))
    slots, in_use = (
        await session.execute(
            select(func.sum(Worker.concurrency), func.sum(Worker.running)).where(
                Worker.last_heartbeat >= cutoff
            )
        )
    ).one()
    rows = await session.execute(
        select(TaskAttempt.state, func.count())
        .where(TaskAttempt.state.in_((QUEUED, RUNNING)))
        .group_by(TaskAttempt.state)
    )
    counts = {state: n for state, n in rows}
    return {
        "live_workers": live or 0,
        "latest_worker_heartbeat": as_utc(latest),
        "queued": counts.get(QUEUED, 0),
        "running": counts.get(RUNNING, 0),
        "worker_slots": slots or 0,
        "worker_slots_in_use": in_use or 0,
    }
