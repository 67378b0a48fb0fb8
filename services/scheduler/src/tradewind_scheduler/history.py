"""Every try of a task instance, kept: the task instance row holds only its current try,
so a try is copied here when it is superseded (a retry comes, a clear resets it).

As in Airflow's task instance history, a try copied before it finished (cleared while
queued or running, or waiting for its retry) is kept as `failed`: it ended unfinished.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from tradewind_core.states import FINISHED_TI_STATES, TaskInstanceState
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_scheduler.models import TaskInstance, TaskInstanceHistory

_COPIED = (
    "dag_run_pk",
    "dag_id",
    "run_id",
    "task_id",
    "map_index",
    "try_number",
    "max_tries",
    "operator",
    "queue",
    "pool",
    "pool_slots",
    "priority_weight",
    "hostname",
    "pid",
    "scheduled_when",
    "queued_when",
    "start_date",
    "failure_reason",
    "queued_by_job_id",
)


def history_row(
    ti: TaskInstance, *, dag_version_id: str, reason: str | None = None
) -> TaskInstanceHistory:
    """The try `ti` holds now, as a history row (not added to any session)."""
    finished = ti.state is not None and TaskInstanceState(ti.state) in FINISHED_TI_STATES
    end = as_utc(ti.end_date) if finished and ti.end_date else utcnow()
    start = as_utc(ti.start_date)
    row = TaskInstanceHistory(
        task_instance_id=ti.id,
        **{name: getattr(ti, name) for name in _COPIED},
        state=ti.state if finished else TaskInstanceState.FAILED.value,
        end_date=end,
        duration=(end - start).total_seconds() if start else None,
        dag_version_id=dag_version_id,
    )
    row.failure_reason = row.failure_reason or reason
    return row


def keep_try(ti: TaskInstance, *, dag_version_id: str) -> None:
    """Called where a try ends for good and the next will replace it (a retry): adds the
    row to the session the task instance is in."""
    if ti.try_number > 0:
        object_session(ti).add(history_row(ti, dag_version_id=dag_version_id))


async def keep_try_once(
    session: AsyncSession, ti: TaskInstance, *, dag_version_id: str, reason: str
) -> None:
    """For a reset (clear): the try may already be kept (it was waiting for its retry)."""
    if ti.try_number == 0:
        return
    kept = await session.scalar(
        select(TaskInstanceHistory.id).where(
            TaskInstanceHistory.task_instance_id == ti.id,
            TaskInstanceHistory.try_number == ti.try_number,
        )
    )
    if kept is None:
        session.add(history_row(ti, dag_version_id=dag_version_id, reason=reason))


async def tries(session: AsyncSession, ti: TaskInstance) -> list[TaskInstanceHistory]:
    result = await session.execute(
        select(TaskInstanceHistory)
        .where(TaskInstanceHistory.task_instance_id == ti.id)
        .order_by(TaskInstanceHistory.try_number)
    )
    return list(result.scalars())
