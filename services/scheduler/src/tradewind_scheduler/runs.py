"""DAG runs: creating one (with its task instances) and reading runs back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.errors import AlreadyExists, NotFound
from tradewind_core.spec import DagSpec
from tradewind_core.states import DagRunState
from tradewind_core.timeutil import utcnow
from tradewind_scheduler.models import Dag, DagRun, TaskInstance
from tradewind_scheduler.scheduling import new_task_instance_id


async def register_dag(
    session: AsyncSession, *, dag_id: str, dag_version_id: str, is_paused: bool
) -> None:
    dag = await session.get(Dag, dag_id)
    if dag is None:
        session.add(
            Dag(
                dag_id=dag_id,
                latest_version_id=dag_version_id,
                is_paused=is_paused,
                updated_at=utcnow(),
            )
        )
    else:
        dag.latest_version_id = dag_version_id
        dag.is_paused = is_paused
        dag.updated_at = utcnow()
        dag.next_dagrun_stale = True  # the schedule loop works out next_dagrun* again
    await session.flush()


async def create_run(
    session: AsyncSession,
    *,
    spec: DagSpec,
    dag_version_id: str,
    run_id: str | None,
    logical_date: datetime | None,
    conf: dict[str, Any],
    note: str | None,
    triggered_by: str,
    run_type: str = "manual",
    data_interval: tuple[datetime, datetime] | None = None,
    run_after: datetime | None = None,
) -> DagRun:
    """A queued run with its task instances. A run with a logical date and no data
    interval gets the zero-length one at its logical date (Airflow 3's trigger timetables
    infer the same for manual runs)."""
    now = utcnow()
    if logical_date is not None and data_interval is None:
        data_interval = (logical_date, logical_date)
    if not run_id:
        run_id = f"{run_type}__{(logical_date or now).isoformat()}"
    existing = await session.scalar(
        select(DagRun.id).where(DagRun.dag_id == spec.dag_id, DagRun.run_id == run_id)
    )
    if existing is not None:
        raise AlreadyExists(f"DAG run {run_id!r} of DAG {spec.dag_id!r} already exists")
    run = DagRun(
        dag_id=spec.dag_id,
        run_id=run_id,
        dag_version_id=dag_version_id,
        state=DagRunState.QUEUED.value,
        run_type=run_type,
        triggered_by=triggered_by,
        logical_date=logical_date,
        data_interval_start=data_interval[0] if data_interval else None,
        data_interval_end=data_interval[1] if data_interval else None,
        run_after=run_after or logical_date or now,
        queued_at=now,
        conf=conf,
        note=note,
    )
    session.add(run)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent run with the same run id or logical date won
        when = f" or logical date {logical_date.isoformat()}" if logical_date else ""
        raise AlreadyExists(
            f"a DAG run of DAG {spec.dag_id!r} with run id {run_id!r}{when} already exists"
        ) from None
    for task in spec.tasks:
        session.add(
            TaskInstance(
                id=new_task_instance_id(),
                dag_run_pk=run.id,
                dag_id=spec.dag_id,
                run_id=run_id,
                task_id=task.task_id,
                max_tries=task.retries,
                operator=task.operator,
                queue=task.queue,
                pool=task.pool,
                pool_slots=task.pool_slots,
                priority_weight=spec.priority_weights[task.task_id],
            )
        )
    await session.flush()
    return run


async def get_run(session: AsyncSession, dag_id: str, run_id: str) -> DagRun:
    run = await session.scalar(
        select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
    )
    if run is None:
        raise NotFound(f"DAG run {run_id!r} of DAG {dag_id!r} does not exist")
    return run


async def list_runs(
    session: AsyncSession, dag_id: str, *, limit: int, offset: int
) -> tuple[list[DagRun], int]:
    total = await session.scalar(
        select(func.count()).select_from(DagRun).where(DagRun.dag_id == dag_id)
    )
    result = await session.execute(
        select(DagRun)
        .where(DagRun.dag_id == dag_id)
        .order_by(DagRun.id)
        .limit(limit)
        .offset(offset)
    )
    return list(result.scalars()), total or 0


async def list_task_instances(
    session: AsyncSession, dag_id: str, run_id: str
) -> tuple[DagRun, list[TaskInstance]]:
    run = await get_run(session, dag_id, run_id)
    result = await session.execute(
        select(TaskInstance)
        .where(TaskInstance.dag_run_pk == run.id)
        .order_by(TaskInstance.task_id, TaskInstance.map_index)
    )
    return run, list(result.scalars())
