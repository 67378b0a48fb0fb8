"""Runs set aside: a run whose scheduling failed (a bug, a value nothing can hold, a DAG
version that cannot be fetched) waits here with its reason while the others go on. It is
tried again with backoff; events for it wait with it, so none is lost, and health lists it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_scheduler.events import TaskEvent
from tradewind_scheduler.models import DagRun, SetAsideRun

MAX_BACKOFF = 60.0
MAX_HELD_EVENTS = 10_000  # per run; past that, the oldest go (a later report supersedes them)
MAX_REASON = 2000


def backoff(failures: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF, 2.0 ** min(failures, 16)))


@dataclass(frozen=True)
class RunRef:
    """A run named by plain values: they outlive the transaction that failed on it."""

    pk: int
    dag_id: str
    run_id: str

    @classmethod
    def of(cls, run: DagRun) -> RunRef:
        return cls(run.id, run.dag_id, run.run_id)  # type: ignore[arg-type]


async def set_aside(
    session: AsyncSession, *, run: RunRef, reason: str, events: list[TaskEvent], now: datetime
) -> SetAsideRun:
    row = await session.get(SetAsideRun, run.pk, with_for_update=True)
    if row is None:
        row = SetAsideRun(
            dag_run_pk=run.pk,
            dag_id=run.dag_id,
            run_id=run.run_id,
            reason=reason[:MAX_REASON],
            failures=0,
            set_aside_at=now,
            next_attempt_at=now,
            events=[],
        )
        session.add(row)
    row.failures += 1
    row.reason = reason[:MAX_REASON]
    row.next_attempt_at = now + backoff(row.failures)
    _hold(row, events)
    await session.flush()
    return row


def hold_events(row: SetAsideRun, events: list[TaskEvent]) -> None:
    _hold(row, events)


def _hold(row: SetAsideRun, events: list[TaskEvent]) -> None:
    if events:
        kept = list(row.events)
        seen = {_key(e) for e in kept}
        for event in events:
            data = event.to_json()
            if _key(data) not in seen:  # the same event, held again on a failed retry
                seen.add(_key(data))
                kept.append(data)
        row.events = kept[-MAX_HELD_EVENTS:]  # a new list: JSON columns track assignment


def _key(event: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in event.items()))


async def held(session: AsyncSession, run_pks: Collection[int]) -> dict[int, SetAsideRun]:
    if not run_pks:
        return {}
    result = await session.execute(
        select(SetAsideRun).where(SetAsideRun.dag_run_pk.in_(run_pks)).with_for_update()
    )
    return {row.dag_run_pk: row for row in result.scalars()}


async def due(session: AsyncSession, now: datetime, *, limit: int) -> list[int]:
    rows = await session.execute(
        select(SetAsideRun.dag_run_pk)
        .where(SetAsideRun.next_attempt_at <= now)
        .order_by(SetAsideRun.next_attempt_at)
        .limit(limit)
    )
    return list(rows.scalars())


async def release(session: AsyncSession, run_pk: int) -> None:
    await session.execute(delete(SetAsideRun).where(SetAsideRun.dag_run_pk == run_pk))


async def listing(session: AsyncSession, *, limit: int) -> tuple[list[SetAsideRun], int]:
    total = await session.scalar(select(func.count()).select_from(SetAsideRun)) or 0
    result = await session.execute(
        select(SetAsideRun).order_by(SetAsideRun.set_aside_at).limit(limit)
    )
    return list(result.scalars()), total
