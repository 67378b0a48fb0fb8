"""The scheduler's heartbeat row, which the api's health check reads."""

from __future__ import annotations

import socket
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_scheduler.models import SchedulerJob


async def beat(session: AsyncSession, *, scheduler_id: str, now: datetime) -> None:
    await session.merge(
        SchedulerJob(id=scheduler_id, hostname=socket.gethostname(), latest_heartbeat=now)
    )


async def latest(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.max(SchedulerJob.latest_heartbeat)))
