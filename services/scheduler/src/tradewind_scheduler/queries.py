"""The scheduling loop's reads and locks. Each reads by an index (see models.py) and loads
only the rows a decision needs; counts are counted by the database, never by loading rows.

Lock order, the same everywhere so replicas never deadlock: DAG runs (by id), then DAG
rows (by dag_id); the queueing section takes its advisory lock, then pool rows (by name).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tradewind_core.readiness import Past
from tradewind_core.states import DagRunState, TaskInstanceState
from tradewind_scheduler.models import Dag, DagRun, Pool, SetAsideRun, TaskInstance
from tradewind_scheduler.transitions import state_of

TI = TaskInstanceState
ACTIVE_RUN_STATES = (DagRunState.QUEUED.value, DagRunState.RUNNING.value)
# Holding a slot: counted against pools and concurrency limits.
SLOT_STATES = (TI.QUEUED.value, TI.RUNNING.value)
# Not final yet: a run holding any of these (or an undecided one) is not done.
OPEN_STATES = (TI.SCHEDULED.value, TI.QUEUED.value, TI.RUNNING.value, TI.UP_FOR_RETRY.value)
FAILED_STATES = (TI.FAILED.value, TI.UPSTREAM_FAILED.value)
# The partial indexes' predicates (models.py), with the states written out: a bound
# parameter would keep the planner from proving that a query may use them.
ACTIVE_OF = "{}.state IN ('queued', 'running', 'restarting')"
ACTIVE = text(ACTIVE_OF.format("task_instance"))
OPEN = text(
    "(task_instance.state IS NULL"
    " OR task_instance.state IN ('scheduled', 'queued', 'running', 'up_for_retry', 'restarting'))"
)
BUSY = text(
    "task_instance.state IN ('scheduled', 'queued', 'running', 'up_for_retry', 'restarting')"
)


# -- runs ---------------------------------------------------------------------------------


async def lock_runs(
    session: AsyncSession,
    *,
    run_pks: Collection[int] = (),
    ti_ids: Collection[str] = (),
    active_of_dags: Collection[str] = (),
    exclude: Collection[int] = (),
    skip_locked: bool = False,
) -> list[tuple[DagRun, bool, bool]]:
    """The runs concerned, locked in id order, each with its DAG's paused flag and whether
    it is set aside (read in the same statement: one round trip fewer per step)."""
    concerned = []
    if run_pks:
        concerned.append(DagRun.id.in_(run_pks))
    if ti_ids:
        concerned.append(
            DagRun.id.in_(select(TaskInstance.dag_run_pk).where(TaskInstance.id.in_(ti_ids)))
        )
    if active_of_dags:
        concerned.append(
            and_(DagRun.dag_id.in_(active_of_dags), DagRun.state.in_(ACTIVE_RUN_STATES))
        )
    if not concerned:
        return []
    query = (
        select(DagRun, Dag.is_paused, SetAsideRun.dag_run_pk)
        .outerjoin(Dag, Dag.dag_id == DagRun.dag_id)
        .outerjoin(SetAsideRun, SetAsideRun.dag_run_pk == DagRun.id)
    )
    query = query.where(or_(*concerned))
    if exclude:
        query = query.where(DagRun.id.not_in(exclude))
    result = await session.execute(
        query.order_by(DagRun.id).with_for_update(of=DagRun, skip_locked=skip_locked)
    )
    return [(run, bool(paused), held is not None) for run, paused, held in result.all()]


async def lock_dag(session: AsyncSession, dag_id: str) -> None:
    """Serializes decisions that count a DAG's runs (max_active_runs) across replicas."""
    await session.execute(select(Dag.dag_id).where(Dag.dag_id == dag_id).with_for_update())


async def running_runs(session: AsyncSession, dag_id: str) -> int:
    """What counts under the DAG's max_active_runs: backfill runs have their own limit."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(DagRun)
            .where(
                DagRun.dag_id == dag_id,
                DagRun.state == DagRunState.RUNNING.value,
                DagRun.run_type != "backfill",
            )
        )
        or 0
    )


async def queued_runs(session: AsyncSession, dag_id: str, *, limit: int) -> list[int]:
    rows = await session.execute(
        select(DagRun.id)
        .where(DagRun.dag_id == dag_id, DagRun.state == DagRunState.QUEUED.value)
        .order_by(DagRun.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def has_open_task_instances(session: AsyncSession, run_pk: int) -> bool:
    return bool(
        await session.scalar(select(exists().where(TaskInstance.dag_run_pk == run_pk, OPEN)))
    )


async def any_failed(session: AsyncSession, run_pk: int, task_ids: Collection[str]) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    TaskInstance.dag_run_pk == run_pk,
                    TaskInstance.task_id.in_(task_ids),
                    TaskInstance.state.in_(FAILED_STATES),
                )
            )
        )
    )


def _run_time(run: DagRun) -> tuple[object, datetime | None]:
    """Runs are ordered by logical date; one without (a manual run) by when it may run."""
    if run.logical_date is not None:
        return DagRun.logical_date, run.logical_date
    return DagRun.run_after, run.run_after


async def previous_run_pk(session: AsyncSession, run: DagRun) -> int | None:
    column, when = _run_time(run)
    return await session.scalar(
        select(DagRun.id)
        .where(DagRun.dag_id == run.dag_id, column < when, DagRun.id != run.id)  # type: ignore[operator]
        .order_by(column.desc())  # type: ignore[attr-defined]
        .limit(1)
    )


async def next_active_run_pk(session: AsyncSession, run: DagRun) -> int | None:
    column, when = _run_time(run)
    return await session.scalar(
        select(DagRun.id)
        .where(
            DagRun.dag_id == run.dag_id,
            column > when,  # type: ignore[operator]
            DagRun.state.in_(ACTIVE_RUN_STATES),
        )
        .order_by(column)  # type: ignore[arg-type]
        .limit(1)
    )


async def past_of(
    session: AsyncSession, previous_pk: int | None, task_id: str, downstream: list[str]
) -> Past:
    if previous_pk is None:
        return Past(exists=False)
    found = await task_instances(session, previous_pk, [task_id, *downstream])
    ti = found.get(task_id)
    if ti is None:
        return Past(exists=False)  # the task is new since that run
    return Past(
        exists=True,
        state=state_of(ti),
        downstream_states=tuple(state_of(found[d]) for d in downstream if d in found),
    )


# -- task instances -----------------------------------------------------------------------


async def task_instances(
    session: AsyncSession, run_pk: int, task_ids: Iterable[str]
) -> dict[str, TaskInstance]:
    """A run's task instances by task id, read by (dag_run_pk, task_id): the run's unique
    key, so the cost follows the ids asked for, not the size of the run."""
    ids = list(set(task_ids))
    found: dict[str, TaskInstance] = {}
    for start in range(0, len(ids), 5000):  # bounded statement size
        result = await session.execute(
            select(TaskInstance).where(
                TaskInstance.dag_run_pk == run_pk,
                TaskInstance.task_id.in_(ids[start : start + 5000]),
                TaskInstance.map_index == -1,
            )
        )
        found.update({ti.task_id: ti for ti in result.scalars()})
    return found


async def task_instances_by_id(session: AsyncSession, ids: Collection[str]) -> list[TaskInstance]:
    if not ids:
        return []
    result = await session.execute(select(TaskInstance).where(TaskInstance.id.in_(ids)))
    return list(result.scalars())


async def due_retries(session: AsyncSession, now: datetime, *, limit: int) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(TaskInstance.dag_run_pk, TaskInstance.task_id)
        .where(TaskInstance.state == TI.UP_FOR_RETRY.value, TaskInstance.next_retry_at <= now)
        .order_by(TaskInstance.next_retry_at)
        .limit(limit)
    )
    return [(pk, task_id) for pk, task_id in rows]


async def queued_since(
    session: AsyncSession, before: datetime, *, limit: int
) -> list[tuple[TaskInstance, DagRun]]:
    """Queued task instances older than `before`, oldest first."""
    result = await session.execute(
        select(TaskInstance, DagRun)
        .join(DagRun, DagRun.id == TaskInstance.dag_run_pk)
        .where(TaskInstance.state == TI.QUEUED.value, TaskInstance.queued_when < before)
        .order_by(TaskInstance.queued_when)
        .limit(limit)
    )
    return [(ti, run) for ti, run in result.all()]


async def running_runs_after(session: AsyncSession, cursor: int, *, limit: int) -> list[int]:
    rows = await session.execute(
        select(DagRun.id)
        .where(DagRun.state == DagRunState.RUNNING.value, DagRun.id > cursor)
        .order_by(DagRun.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def idle_runs(session: AsyncSession, run_pks: Collection[int]) -> list[int]:
    """Running runs with nothing scheduled, queued, running or waiting to retry: nothing
    will send them an event, so an event they missed would leave them stuck."""
    if not run_pks:
        return []
    busy = exists().where(TaskInstance.dag_run_pk == DagRun.id, BUSY)
    rows = await session.execute(
        select(DagRun.id).where(DagRun.id.in_(run_pks), ~busy).order_by(DagRun.id)
    )
    return list(rows.scalars())


async def queued_run_pks(session: AsyncSession, *, cursor: int, limit: int) -> list[int]:
    rows = await session.execute(
        select(DagRun.id)
        .where(DagRun.state == DagRunState.QUEUED.value, DagRun.id > cursor)
        .order_by(DagRun.id)
        .limit(limit)
    )
    return list(rows.scalars())


# -- the queueing section: pools and limits ------------------------------------------------


async def take_queueing_turn(session: AsyncSession) -> None:
    """One scheduler at a time moves task instances from scheduled to queued, so counts
    read here cannot be overtaken by another replica's choices before this commits."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.queueing'))")
        )


async def lock_pools(session: AsyncSession, names: Collection[str]) -> list[tuple[Pool, int]]:
    """The pools, locked in name order, each with the slots its queued and running task
    instances take (an indexed sum)."""
    if not names:
        return []
    taken = (
        select(func.coalesce(func.sum(TaskInstance.pool_slots), 0))
        .where(TaskInstance.pool == Pool.name, ACTIVE)
        .scalar_subquery()
    )
    result = await session.execute(
        select(Pool, taken).where(Pool.name.in_(names)).order_by(Pool.name).with_for_update(of=Pool)
    )
    return [(pool, int(n)) for pool, n in result.all()]


async def pools_with_scheduled(session: AsyncSession) -> set[str]:
    """Pools with ready task instances waiting: one index probe per pool."""
    waiting = exists().where(
        TaskInstance.pool == Pool.name, TaskInstance.state == TI.SCHEDULED.value
    )
    return set((await session.execute(select(Pool.name).where(waiting))).scalars())


async def slot_usage(
    session: AsyncSession, pools: Collection[str], states: Collection[str] = SLOT_STATES
) -> dict[tuple[str, str], int]:
    """(pool, state) -> pool slots taken by task instances in that state."""
    if not pools:
        return {}
    rows = await session.execute(
        select(TaskInstance.pool, TaskInstance.state, func.sum(TaskInstance.pool_slots))
        .where(TaskInstance.pool.in_(pools), TaskInstance.state.in_(states))
        .group_by(TaskInstance.pool, TaskInstance.state)
    )
    return {(pool, state): int(n or 0) for pool, state, n in rows}


async def scheduled_in_pool(
    session: AsyncSession,
    pool: str,
    *,
    limit: int,
    after: tuple[float, str] | None,
    skip_dags: Collection[str],
) -> list[tuple[TaskInstance, DagRun, bool, int]]:
    """A page of the pool's ready queue in priority order (the index's own order) after
    the key `after` of the previous page's last row, each with its run, its DAG's paused
    flag and its DAG's queued and running task instances (max_active_tasks; counted here,
    by the partial index, to spare a statement per step)."""
    active = aliased(TaskInstance, name="ti_active")
    dag_active = (
        select(func.count())
        .select_from(active)
        .where(active.dag_id == TaskInstance.dag_id, text(ACTIVE_OF.format("ti_active")))
        .scalar_subquery()
    )
    query = (
        select(TaskInstance, DagRun, Dag.is_paused, dag_active)
        .join(DagRun, DagRun.id == TaskInstance.dag_run_pk)
        .outerjoin(Dag, Dag.dag_id == TaskInstance.dag_id)
        .where(TaskInstance.pool == pool, TaskInstance.state == TI.SCHEDULED.value)
        # A run set aside waits out its backoff: its tasks take no slot meanwhile.
        .where(TaskInstance.dag_run_pk.not_in(select(SetAsideRun.dag_run_pk)))
    )
    if skip_dags:
        query = query.where(TaskInstance.dag_id.not_in(skip_dags))
    if after is not None:
        rank, ti_id = after
        query = query.where(
            or_(
                TaskInstance.queue_rank > rank,
                and_(TaskInstance.queue_rank == rank, TaskInstance.id > ti_id),
            )
        )
    result = await session.execute(
        query.order_by(TaskInstance.queue_rank, TaskInstance.id)
        .limit(limit)
        .with_for_update(of=TaskInstance, skip_locked=True)
    )
    return [(ti, run, bool(paused), int(n)) for ti, run, paused, n in result.all()]


async def active_per_dag_task(
    session: AsyncSession, keys: Collection[tuple[str, str]]
) -> Counter[tuple[str, str]]:
    """(dag_id, task_id) -> its queued and running instances across the DAG's runs."""
    return await _active_per_task(session, TaskInstance.dag_id, keys)


async def active_per_run_task(
    session: AsyncSession, keys: Collection[tuple[int, str]]
) -> Counter[tuple[int, str]]:
    """(dag_run_pk, task_id) -> its queued and running instances within the run."""
    return await _active_per_task(session, TaskInstance.dag_run_pk, keys)


async def _active_per_task(session: AsyncSession, scope, keys) -> Counter:  # noqa: ANN001
    if not keys:
        return Counter()
    rows = await session.execute(
        select(scope, TaskInstance.task_id, func.count())
        .where(
            or_(*(and_(scope == s, TaskInstance.task_id == t) for s, t in keys)),
            ACTIVE,
        )
        .group_by(scope, TaskInstance.task_id)
    )
    return Counter({(s, t): n for s, t, n in rows})
