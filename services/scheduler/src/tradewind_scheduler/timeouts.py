"""dagrun_timeout: a run still running past its `timeout_at` (start + the DAG's
dagrun_timeout, set when it starts) fails, and as in Airflow its unfinished task
instances are skipped; their open tries are stopped. Found by index, a bounded batch per
sweep, oldest deadline first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.logging import get_logger
from tradewind_core.spec import DagSpec
from tradewind_core.states import DagRunState, TaskInstanceState
from tradewind_scheduler import transitions
from tradewind_scheduler.control import Changed, end_unfinished
from tradewind_scheduler.models import DagRun, TaskInstance

log = get_logger(__name__)
PER_SWEEP = 100


def deadline(spec: DagSpec, start: datetime) -> datetime | None:
    return start + spec.dagrun_timeout if spec.dagrun_timeout is not None else None


async def fail_overdue_runs(session: AsyncSession, now: datetime) -> Changed:
    """Fails the overdue runs (through `transitions`, like every state change); the
    caller tells the run-finished listeners, as for a run that ends by itself."""
    result = await session.execute(
        select(DagRun)
        .where(DagRun.state == DagRunState.RUNNING.value, DagRun.timeout_at <= now)
        .order_by(DagRun.timeout_at)
        .limit(PER_SWEEP)
        .with_for_update(skip_locked=True)
    )
    changed = Changed()
    for run in result.scalars():
        tis = await session.scalars(select(TaskInstance).where(TaskInstance.dag_run_pk == run.id))
        end_unfinished(
            session,
            tis,
            running_to=TaskInstanceState.SKIPPED,
            reason="the DAG run passed its dagrun_timeout",
            changed=changed,
            now=now,
        )
        transitions.time_out_run(run, now=now)
        changed.runs[run.id] = run
        log.warning("DAG run timed out", dag_id=run.dag_id, dag_run_id=run.run_id)
    await session.flush()
    return changed
