"""The schedule loop: creates the runs that DAGs' timetables make due.

Each DAG's row in the scheduler's `dag` table carries its next scheduled run
(`next_dagrun`, its data interval, and `next_dagrun_create_after`). The loop sleeps until
the earliest `next_dagrun_create_after`, or until a DAG changes (`dag_changed`), a run
of a DAG finishes (`runs_finished`: room under `max_active_runs`) or a backfill changes,
and at most `scheduler_sweep_interval` in any case.

A pass takes a bounded batch of DAGs that are due or whose timetable must be worked out
again, each in its own transaction that locks its `dag` row `FOR UPDATE SKIP LOCKED`: with
two schedulers each due run is created once (and the unique `(dag_id, logical_date)`
backs that up). A DAG whose spec cannot be fetched, or whose step fails, is set aside with
a growing backoff and logged; the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.db import Database
from tradewind_core.logging import get_logger
from tradewind_core.spec import DagSpec
from tradewind_core.states import DagRunState
from tradewind_core.timetables import DagRunInfo
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_scheduler import backfills, runs
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.models import Dag, DagRun
from tradewind_scheduler.settings import SchedulerSettings

log = get_logger(__name__)
ACTIVE_RUN_STATES = (DagRunState.QUEUED.value, DagRunState.RUNNING.value)
DAGS_PER_PASS = 100
RUNS_PER_DAG_PER_PASS = 16
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 60.0


@dataclass
class _SetAside:
    failures: int
    until: float


class ScheduleLoop:
    def __init__(
        self,
        db: Database,
        catalog: DagVersionCache,
        settings: SchedulerSettings,
        run_created: Callable[[int], None],
    ) -> None:
        self._db = db
        self._catalog = catalog
        self._settings = settings
        self._run_created = run_created
        self._wake = asyncio.Event()
        # DAGs at max_active_runs: skipped until one of their runs finishes (or a sweep).
        self._full: set[str] = set()
        self._set_aside: dict[str, _SetAside] = {}

    # -- inputs ---------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def dag_changed(self, dag_id: str) -> None:
        self._full.discard(dag_id)
        self._set_aside.pop(dag_id, None)
        self.wake()

    def runs_finished(self, dag_ids: Iterable[str]) -> None:
        self._full.difference_update(dag_ids)
        self.wake()

    # -- the loop -------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        sweep = self._settings.scheduler_sweep_interval
        next_sweep = loop.time() + sweep
        while not stop.is_set():
            self._wake.clear()
            more = False
            try:
                more = await self.run_once()
            except Exception as exc:  # a database outage: try again after a pause
                log.exception("schedule pass failed", error=str(exc))
            if more:
                await asyncio.sleep(0)
                continue
            timeout = sweep
            try:
                due = await self._earliest_due()
            except Exception:
                due = None
            if due is not None:
                timeout = min(timeout, max(0.0, (due - utcnow()).total_seconds()))
            if self._set_aside:
                soonest = min(entry.until for entry in self._set_aside.values())
                timeout = min(timeout, max(0.0, soonest - loop.time()))
            stopping = asyncio.ensure_future(stop.wait())
            woken = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({stopping, woken}, timeout=timeout, return_when="FIRST_COMPLETED")
            stopping.cancel()
            woken.cancel()
            if loop.time() >= next_sweep:  # catches a lost wake-up (a run finished elsewhere)
                self._full.clear()
                next_sweep = loop.time() + sweep

    async def run_once(self) -> bool:
        """One bounded pass; True when there may be more to do at once."""
        now = utcnow()
        candidates = await self._candidates(now)
        for dag_id, version_id in candidates:
            await self._handle_dag(dag_id, version_id)
        created = await backfills.advance(self._db, now=now, specs=self._catalog.get)
        for pk in created:
            self._run_created(pk)
        return len(candidates) >= DAGS_PER_PASS or len(created) >= backfills.RUNS_PER_PASS

    async def _candidates(self, now: datetime) -> list[tuple[str, str]]:
        loop_time = asyncio.get_running_loop().time()
        self._set_aside = {k: v for k, v in self._set_aside.items() if v.until > loop_time}
        skip = self._full | self._set_aside.keys()
        query = (
            select(Dag.dag_id, Dag.latest_version_id)
            .where(_needs_attention(now))
            .order_by(Dag.next_dagrun_create_after.nulls_first())
            .limit(DAGS_PER_PASS)
        )
        if skip:
            query = query.where(Dag.dag_id.not_in(sorted(skip)))
        async with self._db.reader() as session:
            return [(dag_id, version) for dag_id, version in await session.execute(query)]

    async def _earliest_due(self) -> datetime | None:
        """When the next pass has work, leaving out DAGs waiting for room or set aside
        (they have their own wake-ups): else a full DAG would make the loop spin."""
        waiting = sorted(self._full | self._set_aside.keys())
        due_query = select(func.min(Dag.next_dagrun_create_after)).where(
            Dag.is_paused.is_(False), Dag.next_dagrun_stale.is_(False)
        )
        stale_query = select(Dag.dag_id).where(Dag.next_dagrun_stale).limit(1)
        if waiting:
            due_query = due_query.where(Dag.dag_id.not_in(waiting))
            stale_query = stale_query.where(Dag.dag_id.not_in(waiting))
        async with self._db.reader() as session:
            due = await session.scalar(due_query)
            stale = await session.scalar(stale_query)
        return utcnow() if stale is not None else as_utc(due)

    async def _handle_dag(self, dag_id: str, version_id: str) -> None:
        try:
            # Fetched before the transaction opens: no call to another service while it is.
            spec = await self._catalog.get(version_id)
            async with self._db.transaction() as session:
                created = await schedule_dag(session, dag_id, version_id, spec, now=utcnow())
        except Exception as exc:
            self._set_aside_dag(dag_id, exc)
            return
        self._set_aside.pop(dag_id, None)
        if created is None:
            self._full.add(dag_id)
            return
        for pk in created:
            self._run_created(pk)

    def _set_aside_dag(self, dag_id: str, exc: Exception) -> None:
        previous = self._set_aside.get(dag_id)
        failures = previous.failures + 1 if previous else 1
        delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (failures - 1))
        self._set_aside[dag_id] = _SetAside(failures, asyncio.get_running_loop().time() + delay)
        log.warning(
            "DAG set aside by the schedule loop",
            dag_id=dag_id,
            reason=f"{type(exc).__name__}: {exc}",
            retry_in=delay,
            failures=failures,
        )


def _needs_attention(now: datetime):
    return or_(
        Dag.next_dagrun_stale.is_(True),
        and_(Dag.is_paused.is_(False), Dag.next_dagrun_create_after <= now),
    )


async def schedule_dag(
    session: AsyncSession, dag_id: str, version_id: str, spec: DagSpec, *, now: datetime
) -> list[int] | None:
    """Creates the DAG's due scheduled runs (bounded) and stores its next one. Returns the
    new runs' ids, or None when runs are due but max_active_runs is reached."""
    dag = await session.scalar(
        select(Dag)
        .where(Dag.dag_id == dag_id, Dag.latest_version_id == version_id, _needs_attention(now))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if dag is None:  # another scheduler has it, or it changed since it was read
        return []
    last = await last_scheduled_run(session, dag_id)
    created: list[int] = []
    full = False
    if not dag.is_paused:
        active = await active_runs(session, dag_id)
        for _ in range(RUNS_PER_DAG_PER_PASS):
            info = next_run(spec, last, now)
            if info is None or info.run_after > now:
                break
            if active >= spec.max_active_runs:
                full = True
                break
            if not await _logical_date_taken(session, dag_id, info.logical_date):
                run = await runs.create_run(
                    session,
                    spec=spec,
                    dag_version_id=version_id,
                    run_id=f"scheduled__{info.logical_date.isoformat()}",
                    logical_date=info.logical_date,
                    conf={},
                    note=None,
                    triggered_by="timetable",
                    run_type="scheduled",
                    data_interval=(info.data_interval_start, info.data_interval_end),
                    run_after=info.run_after,
                )
                created.append(run.id)
                active += 1
                log.info("scheduled run created", dag_id=dag_id, dag_run_id=run.run_id)
            last = info
    store_next_run(dag, next_run(spec, last, now))
    dag.next_dagrun_stale = False
    await session.flush()
    return None if full and not created else created


def next_run(spec: DagSpec, last: DagRunInfo | None, now: datetime) -> DagRunInfo | None:
    return spec.timetable.next_run(
        last=last,
        start_date=spec.start_date,
        end_date=spec.end_date,
        catchup=spec.catchup,
        now=now,
    )


def store_next_run(dag: Dag, info: DagRunInfo | None) -> None:
    dag.next_dagrun = info.logical_date if info else None
    dag.next_dagrun_data_interval_start = info.data_interval_start if info else None
    dag.next_dagrun_data_interval_end = info.data_interval_end if info else None
    dag.next_dagrun_create_after = info.run_after if info else None


async def last_scheduled_run(session: AsyncSession, dag_id: str) -> DagRunInfo | None:
    row = (
        await session.execute(
            select(
                DagRun.logical_date,
                DagRun.data_interval_start,
                DagRun.data_interval_end,
                DagRun.run_after,
            )
            .where(
                DagRun.dag_id == dag_id,
                DagRun.run_type == "scheduled",
                DagRun.logical_date.is_not(None),
            )
            .order_by(DagRun.logical_date.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    logical, start, end, after = (as_utc(v) for v in row)
    return DagRunInfo(logical, start or logical, end or logical, after or logical)


async def active_runs(session: AsyncSession, dag_id: str) -> int:
    """Queued and running runs that count against the DAG's max_active_runs: backfill
    runs answer to their backfill's own limit instead (as in Airflow 3)."""
    count = await session.scalar(
        select(func.count())
        .select_from(DagRun)
        .where(
            DagRun.dag_id == dag_id,
            DagRun.state.in_(ACTIVE_RUN_STATES),
            DagRun.run_type != "backfill",
        )
    )
    return count or 0


async def _logical_date_taken(session: AsyncSession, dag_id: str, when: datetime) -> bool:
    """A run (manual or backfill) already holds that logical date: as Airflow does, the
    schedule moves on past it rather than stopping."""
    found = await session.scalar(
        select(DagRun.id).where(DagRun.dag_id == dag_id, DagRun.logical_date == when)
    )
    return found is not None


async def next_runs_of(session: AsyncSession, dag_ids: list[str]) -> list[Dag]:
    result = await session.execute(select(Dag).where(Dag.dag_id.in_(dag_ids)))
    return list(result.scalars())
