"""Backfills: a DAG run over a past range of logical dates, as Airflow 3 does them.

Creating a backfill records one `backfill_dag_run` per logical date its timetable gives in
[from_date, to_date] (in reverse with `run_backwards`), each either to be run or with the
reason it is not (`in flight`, `already exists`). Runs are then created lazily by the
schedule loop (`advance`): at most the backfill's own `max_active_runs` at a time, in
order, and none while it is paused. So a backfill of years costs the scheduling loop no
more than `max_active_runs` runs at a time. A date that already has a finished run is
reprocessed when `reprocess_behavior` asks for it (`failed`: failed runs; `completed`:
failed and successful ones): the run is cleared and queued again as a backfill run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.db import Database
from tradewind_core.errors import Conflict, InvalidArgument, NotFound
from tradewind_core.logging import get_logger
from tradewind_core.spec import DagSpec
from tradewind_core.states import DagRunState
from tradewind_core.timetables import ScheduleError
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_scheduler import runs, transitions
from tradewind_scheduler.models import Backfill, BackfillDagRun, Dag, DagRun, TaskInstance

log = get_logger(__name__)
BACKFILLS_PER_PASS = 50
RUNS_PER_PASS = 200
MAX_RUNS = 10_000
MAX_ACTIVE_RUNS = 1_000
FINAL_RUN_STATES = (DagRunState.SUCCESS.value, DagRunState.FAILED.value)


class ReprocessBehavior(StrEnum):
    NONE = "none"
    FAILED = "failed"
    COMPLETED = "completed"


class NotCreatedReason(StrEnum):
    IN_FLIGHT = "in flight"
    ALREADY_EXISTS = "already exists"


@dataclass(frozen=True)
class BackfillRequest:
    dag_id: str
    from_date: datetime
    to_date: datetime
    run_backwards: bool
    dag_run_conf: dict[str, Any]
    reprocess_behavior: ReprocessBehavior
    max_active_runs: int


def not_created_reason(run_state: str, behavior: ReprocessBehavior) -> NotCreatedReason | None:
    """Why an existing run at a logical date is left alone (None: reprocess it)."""
    if run_state not in FINAL_RUN_STATES:
        return NotCreatedReason.IN_FLIGHT
    if behavior is ReprocessBehavior.NONE:
        return NotCreatedReason.ALREADY_EXISTS
    if behavior is ReprocessBehavior.FAILED and run_state != DagRunState.FAILED.value:
        return NotCreatedReason.ALREADY_EXISTS
    return None


async def plan(
    session: AsyncSession, spec: DagSpec, request: BackfillRequest, *, now: datetime
) -> list[tuple[datetime, NotCreatedReason | None]]:
    """The logical dates a backfill covers, in the order it runs them, each with the
    reason it will not run (None: it will). Refuses what cannot be backfilled."""
    if request.from_date > request.to_date:
        raise InvalidArgument(
            f"from_date ({request.from_date.isoformat()}) must not be after "
            f"to_date ({request.to_date.isoformat()})"
        )
    if not spec.timetable.periodic:
        raise InvalidArgument(
            f"DAG {spec.dag_id!r} has no periodic schedule ({spec.schedule!r}) to backfill"
        )
    if not 1 <= request.max_active_runs <= MAX_ACTIVE_RUNS:
        raise InvalidArgument(f"max_active_runs must be between 1 and {MAX_ACTIVE_RUNS}")
    try:
        infos = spec.timetable.runs_between(request.from_date, min(request.to_date, now))
    except ScheduleError as exc:
        raise InvalidArgument(f"from_date..to_date: {exc}; backfill a shorter range") from None
    # Only dates already past, as in Airflow: a backfill never runs the future.
    dates = [info.logical_date for info in infos if info.data_interval_end < now]
    if not dates:
        raise InvalidArgument(
            f"no runs of DAG {spec.dag_id!r} fall between from_date "
            f"{request.from_date.isoformat()} and to_date {request.to_date.isoformat()} "
            "(nor before now)"
        )
    if len(dates) > MAX_RUNS:
        raise InvalidArgument(f"the range holds more than {MAX_RUNS} runs; backfill less at once")
    if request.run_backwards:
        dates.reverse()
    existing = await _runs_at(session, spec.dag_id, dates)
    return [
        (when, not_created_reason(existing[when], request.reprocess_behavior))
        if when in existing
        else (when, None)
        for when in dates
    ]


async def create_backfill(
    session: AsyncSession, spec: DagSpec, dag_version_id: str, request: BackfillRequest
) -> Backfill:
    now = utcnow()
    # One backfill at a time per DAG: the DAG's row serializes concurrent requests.
    dag = await session.get(Dag, spec.dag_id, with_for_update=True)
    if dag is None:
        raise NotFound(f"DAG {spec.dag_id!r} is not known to the scheduler")
    active = await session.scalar(
        select(Backfill.id).where(Backfill.dag_id == spec.dag_id, Backfill.completed_at.is_(None))
    )
    if active is not None:
        raise Conflict(
            f"backfill {active} of DAG {spec.dag_id!r} is still running; there can be only "
            "one running backfill per DAG"
        )
    dates = await plan(session, spec, request, now=now)
    backfill = Backfill(
        dag_id=spec.dag_id,
        dag_version_id=dag_version_id,
        from_date=request.from_date,
        to_date=request.to_date,
        dag_run_conf=request.dag_run_conf,
        reprocess_behavior=request.reprocess_behavior.value,
        max_active_runs=request.max_active_runs,
        run_backwards=request.run_backwards,
        created_at=now,
        updated_at=now,
    )
    session.add(backfill)
    await session.flush()
    for ordinal, (when, reason) in enumerate(dates, start=1):
        session.add(
            BackfillDagRun(
                backfill_id=backfill.id,
                logical_date=when,
                sort_ordinal=ordinal,
                exception_reason=reason.value if reason else None,
            )
        )
    await session.flush()
    log.info("backfill created", dag_id=spec.dag_id, backfill_id=backfill.id, runs=len(dates))
    return backfill


async def get_backfill(session: AsyncSession, backfill_id: int, *, lock: bool = False) -> Backfill:
    backfill = await session.get(Backfill, backfill_id, with_for_update=lock)
    if backfill is None:
        raise NotFound(f"backfill {backfill_id} does not exist")
    return backfill


async def list_backfills(
    session: AsyncSession, dag_id: str, *, limit: int, offset: int, descending: bool
) -> tuple[list[Backfill], int]:
    where = Backfill.dag_id == dag_id
    total = await session.scalar(select(func.count()).select_from(Backfill).where(where))
    order = Backfill.id.desc() if descending else Backfill.id
    found = await session.scalars(
        select(Backfill).where(where).order_by(order).limit(limit).offset(offset)
    )
    return list(found), total or 0


async def set_paused(session: AsyncSession, backfill_id: int, paused: bool) -> Backfill:
    backfill = await get_backfill(session, backfill_id, lock=True)
    if backfill.completed_at is not None:
        raise Conflict(f"backfill {backfill_id} is already completed")
    if backfill.is_paused != paused:
        backfill.is_paused = paused
        backfill.updated_at = utcnow()
    await session.flush()
    return backfill


async def cancel(session: AsyncSession, backfill_id: int) -> Backfill:
    """No more runs are created, and its runs still waiting to start fail (as Airflow's
    cancel does); runs already running run to their end."""
    backfill = await get_backfill(session, backfill_id, lock=True)
    if backfill.completed_at is not None:
        raise Conflict(f"backfill {backfill_id} is already completed")
    now = utcnow()
    waiting = await session.scalars(
        select(DagRun)
        .join(BackfillDagRun, BackfillDagRun.dag_run_id == DagRun.id)
        .where(
            BackfillDagRun.backfill_id == backfill_id,
            DagRun.state == DagRunState.QUEUED.value,
        )
        .order_by(DagRun.id)  # the one lock order for runs
        .with_for_update(of=DagRun)
    )
    for run in waiting:
        transitions.mark_run(run, DagRunState.FAILED, now=now)
    backfill.is_paused = True
    backfill.completed_at = backfill.updated_at = now
    await session.flush()
    log.info("backfill cancelled", dag_id=backfill.dag_id, backfill_id=backfill_id)
    return backfill


# -- the schedule loop's part ---------------------------------------------------------


async def advance(db: Database, *, now: datetime, specs) -> list[int]:
    """Creates (or reprocesses) the next runs of active backfills within each one's
    max_active_runs, and marks finished backfills completed. Returns the runs to schedule."""
    async with db.reader() as session:
        candidates = list(
            await session.execute(
                select(Backfill.id, Backfill.dag_version_id)
                .where(Backfill.completed_at.is_(None), Backfill.is_paused.is_(False))
                .order_by(Backfill.id)
                .limit(BACKFILLS_PER_PASS)
            )
        )
    created: list[int] = []
    for backfill_id, version_id in candidates:
        if len(created) >= RUNS_PER_PASS:
            break
        try:
            spec = await specs(version_id)
            async with db.transaction() as session:
                created += await _advance_one(session, backfill_id, spec, now=now)
        except Exception as exc:  # one bad backfill never stops the others
            log.warning("backfill step failed", backfill_id=backfill_id, error=str(exc))
    return created


async def _advance_one(
    session: AsyncSession, backfill_id: int, spec: DagSpec, *, now: datetime
) -> list[int]:
    backfill = await session.scalar(
        select(Backfill)
        .where(
            Backfill.id == backfill_id,
            Backfill.completed_at.is_(None),
            Backfill.is_paused.is_(False),
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if backfill is None:
        return []
    in_flight = await session.scalar(
        select(func.count())
        .select_from(BackfillDagRun)
        .join(DagRun, DagRun.id == BackfillDagRun.dag_run_id)
        .where(
            BackfillDagRun.backfill_id == backfill_id,
            DagRun.state.not_in(FINAL_RUN_STATES),
        )
    )
    room = backfill.max_active_runs - (in_flight or 0)
    pending = list(
        await session.scalars(
            select(BackfillDagRun)
            .where(
                BackfillDagRun.backfill_id == backfill_id,
                BackfillDagRun.dag_run_id.is_(None),
                BackfillDagRun.exception_reason.is_(None),
            )
            .order_by(BackfillDagRun.sort_ordinal)
            .limit(max(room, 1))
        )
    )
    if not pending and not in_flight:
        backfill.completed_at = backfill.updated_at = now
        log.info("backfill completed", dag_id=backfill.dag_id, backfill_id=backfill_id)
        return []
    created: list[int] = []
    for item in pending[: max(room, 0)]:
        run = await _run_for(session, backfill, item, spec)
        if run is not None:
            item.dag_run_id = run.id
            created.append(run.id)
    await session.flush()
    return created


async def _run_for(
    session: AsyncSession, backfill: Backfill, item: BackfillDagRun, spec: DagSpec
) -> DagRun | None:
    """The run for one logical date: a new one, or the existing one cleared to run again;
    None (with the reason recorded) when the existing one is left alone."""
    when = as_utc(item.logical_date)
    existing = await session.scalar(
        select(DagRun)
        .where(DagRun.dag_id == backfill.dag_id, DagRun.logical_date == when)
        .with_for_update()
    )
    if existing is None:
        return await runs.create_run(
            session,
            spec=spec,
            dag_version_id=backfill.dag_version_id,
            run_id=f"backfill__{when.isoformat()}",
            logical_date=when,
            conf=dict(backfill.dag_run_conf or {}),
            note=None,
            triggered_by="backfill",
            run_type="backfill",
        )
    reason = not_created_reason(existing.state, ReprocessBehavior(backfill.reprocess_behavior))
    if reason is not None:  # it changed since the backfill was planned
        item.exception_reason = reason.value
        return None
    await clear_run(session, existing, spec, conf=backfill.dag_run_conf)
    return existing


async def clear_run(
    session: AsyncSession, run: DagRun, spec: DagSpec, *, conf: dict[str, Any] | None
) -> None:
    """Reprocesses a finished run: every task instance back to no state (with its retries
    anew, as Airflow's clear does), the run queued again as a backfill run."""
    tis = await session.scalars(select(TaskInstance).where(TaskInstance.dag_run_pk == run.id))
    for ti in tis:
        task = spec.task_by_id.get(ti.task_id)
        transitions.clear(ti, retries=task.retries if task else 0)
    transitions.requeue_run(run, now=utcnow())
    run.run_type = "backfill"
    run.triggered_by = "backfill"
    if conf:
        run.conf = dict(conf)
    await session.flush()
    log.info("run cleared for a backfill", dag_id=run.dag_id, dag_run_id=run.run_id)


async def _runs_at(
    session: AsyncSession, dag_id: str, dates: list[datetime]
) -> dict[datetime, str]:
    found: dict[datetime, str] = {}
    for start in range(0, len(dates), 1000):  # bounded IN lists
        rows = await session.execute(
            select(DagRun.logical_date, DagRun.state).where(
                DagRun.dag_id == dag_id, DagRun.logical_date.in_(dates[start : start + 1000])
            )
        )
        found.update({as_utc(when): state for when, state in rows})
    return found
