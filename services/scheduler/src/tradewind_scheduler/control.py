"""What a person does to runs and task instances through the API: clear, mark, delete.

Each call locks the runs it touches (`FOR UPDATE`, in id order, as the scheduling loop
does) before it reads their task instances, changes states through the manual moves of
`tradewind_core.states`, and writes an `attempt_stop` row for every task instance it
takes from a queued or running try; the caller commits, then wakes the stop sender and
the scheduling loop for the runs it returns.

Specs are passed in, fetched before the transaction: no call to another service while
the transaction is open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.errors import Conflict, InvalidArgument, NotFound, Unavailable
from tradewind_core.spec import DagSpec
from tradewind_core.states import (
    FINISHED_TI_STATES,
    DagRunState,
    IllegalTransition,
    TaskInstanceState,
)
from tradewind_core.timeutil import utcnow
from tradewind_scheduler import history, transitions
from tradewind_scheduler.models import (
    AttemptStop,
    Dag,
    DagRun,
    TaskInstance,
    TaskInstanceHistory,
)

TI = TaskInstanceState
# More than this in one clear or mark is refused: one request, one bounded transaction.
MAX_TASK_INSTANCES = 10_000
MAX_RUNS = 10_000
OPEN_TRY_STATES = (TI.SCHEDULED.value, TI.QUEUED.value, TI.RUNNING.value)
FAILED_STATES = (TI.FAILED.value, TI.UPSTREAM_FAILED.value)


@dataclass
class Changed:
    """What a call touched: the task instances (as they are now), their runs, the runs
    the scheduling loop must look at again, and how many attempts must be stopped."""

    task_instances: list[TaskInstance] = field(default_factory=list)
    runs: dict[int, DagRun] = field(default_factory=dict)
    to_schedule: set[int] = field(default_factory=set)
    stops: int = 0


@dataclass(frozen=True)
class ClearRequest:
    dag_id: str
    dry_run: bool = True
    task_ids: tuple[str, ...] = ()
    dag_run_id: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    only_failed: bool = True
    only_running: bool = False
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False
    reset_dag_runs: bool = True


@dataclass(frozen=True)
class MarkRequest:
    dag_id: str
    dag_run_id: str
    task_id: str
    new_state: TaskInstanceState | None
    note: str | None = None
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False
    dry_run: bool = False


# -- reading ------------------------------------------------------------------------


async def dag_version_ids(session: AsyncSession, dag_id: str) -> set[str]:
    """The versions a DAG's runs are pinned to: their specs are fetched before a call."""
    rows = await session.scalars(
        select(DagRun.dag_version_id).where(DagRun.dag_id == dag_id).distinct()
    )
    return set(rows)


def _spec(specs: dict[str, DagSpec], run: DagRun) -> DagSpec:
    spec = specs.get(run.dag_version_id)
    if spec is None:  # a run pinned to a version created after the specs were fetched
        raise Unavailable(f"DAG version {run.dag_version_id} is not loaded yet; try again")
    return spec


async def _locked_run(session: AsyncSession, dag_id: str, run_id: str) -> DagRun:
    run = await session.scalar(
        select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id).with_for_update()
    )
    if run is None:
        raise NotFound(f"DAG run {run_id!r} of DAG {dag_id!r} does not exist")
    return run


def _run_date():
    return func.coalesce(DagRun.logical_date, DagRun.run_after)


async def _lock_runs(session: AsyncSession, query, *, bounded: bool = True) -> list[DagRun]:
    # In id order, the one lock order everywhere: no deadlocks with the scheduling loop.
    if bounded:
        query = query.limit(MAX_RUNS + 1)
    result = await session.execute(query.order_by(DagRun.id).with_for_update())
    runs = list(result.scalars())
    if len(runs) > MAX_RUNS:
        raise InvalidArgument(
            f"this would touch more than {MAX_RUNS} DAG runs at once; "
            "narrow it by dag_run_id or dates"
        )
    return runs


async def _around(session: AsyncSession, run: DagRun, *, past: bool, future: bool) -> list[DagRun]:
    """The run, and the DAG's runs before and/or after it (by logical date, or run_after
    for runs without one), locked."""
    if not past and not future:
        return [run]
    when = run.logical_date or run.run_after
    query = select(DagRun).where(DagRun.dag_id == run.dag_id)
    if not past:
        query = query.where(_run_date() >= when)
    if not future:
        query = query.where(_run_date() <= when)
    return await _lock_runs(session, query)


async def _task_instances(
    session: AsyncSession, runs: Iterable[DagRun], task_ids: set[str] | None = None
) -> list[TaskInstance]:
    """The runs' task instances (those of `task_ids`, or all), bounded."""
    query = select(TaskInstance).where(TaskInstance.dag_run_pk.in_([run.id for run in runs]))
    if task_ids is not None:
        query = query.where(TaskInstance.task_id.in_(task_ids))
    count = await session.scalar(select(func.count()).select_from(query.subquery()))
    if (count or 0) > MAX_TASK_INSTANCES:
        raise InvalidArgument(
            f"this would touch {count} task instances, more than {MAX_TASK_INSTANCES} at once; "
            "narrow it by dag_run_id, dates or task_ids"
        )
    result = await session.execute(query.order_by(TaskInstance.dag_run_pk, TaskInstance.task_id))
    return list(result.scalars())


def relatives(spec: DagSpec, task_ids: Iterable[str], *, upstream: bool, downstream: bool):
    """The tasks, with every task upstream and/or downstream of them (transitively)."""
    found = {t for t in task_ids if t in spec.task_by_id}
    edges = []
    if upstream:
        edges.append(lambda t: spec.task_by_id[t].upstream)
    if downstream:
        edges.append(lambda t: spec.downstream[t])
    todo = list(found)
    while todo:
        task_id = todo.pop()
        for step in edges:
            for other in step(task_id):
                if other not in found:
                    found.add(other)
                    todo.append(other)
    return found


# -- the moves ----------------------------------------------------------------------


def _stop_open_try(
    session: AsyncSession,
    ti: TaskInstance,
    state_before: str | None,
    reason: str,
    changed: Changed,
) -> None:
    """Stops the try the task instance was in (`state_before`), if it had one open."""
    if state_before in OPEN_TRY_STATES and ti.try_number > 0:
        session.add(
            AttemptStop(
                task_instance_id=ti.id,
                try_number=ti.try_number,
                reason=reason[:1000],
                created_at=utcnow(),
            )
        )
        changed.stops += 1


def _state(ti: TaskInstance) -> TaskInstanceState | None:
    return TI(ti.state) if ti.state else None


def _conflict(exc: IllegalTransition) -> Conflict:
    return Conflict(str(exc))


def _settle(
    session: AsyncSession,
    ti: TaskInstance,
    target: TaskInstanceState,
    reason: str,
    changed: Changed,
    now: datetime,
) -> None:
    state_before = ti.state
    try:
        transitions.mark(ti, target, now=now)
    except IllegalTransition as exc:
        raise _conflict(exc) from None
    _stop_open_try(session, ti, state_before, reason, changed)


async def _reset(
    session: AsyncSession,
    ti: TaskInstance,
    spec: DagSpec,
    run: DagRun,
    reason: str,
    changed: Changed,
) -> None:
    """Cleared: the try is kept in history, try_number stays (the next try is n+1) and,
    as in Airflow, the task gets its retries again. A queued or running one restarts:
    its try is stopped, and the next begins once that try has reported its end."""
    if ti.state == TI.RESTARTING.value:
        return  # being cleared already
    state_before = ti.state
    await history.keep_try_once(session, ti, dag_version_id=run.dag_version_id, reason=reason)
    task = spec.task_by_id.get(ti.task_id)
    transitions.clear(ti, retries=task.retries if task else 0)
    _stop_open_try(session, ti, state_before, reason, changed)


def _requeue_run(run: DagRun, now: datetime) -> None:
    transitions.requeue_run(run, now=now)


# -- clear --------------------------------------------------------------------------


async def clear_task_instances(
    session: AsyncSession, request: ClearRequest, *, specs: dict[str, DagSpec]
) -> Changed:
    now = utcnow()
    if request.dag_run_id:
        run = await _locked_run(session, request.dag_id, request.dag_run_id)
        runs = await _around(session, run, past=request.include_past, future=request.include_future)
    else:
        query = select(DagRun).where(DagRun.dag_id == request.dag_id)
        if request.start_date is not None:
            query = query.where(_run_date() >= request.start_date)
        if request.end_date is not None:
            query = query.where(_run_date() <= request.end_date)
        runs = await _lock_runs(session, query)
    wanted: dict[int, set[str]] = {}
    known: set[str] = set()
    for run in runs:
        spec = _spec(specs, run)
        known |= spec.task_by_id.keys()
        ids = set(request.task_ids) if request.task_ids else set(spec.task_by_id)
        wanted[run.id] = relatives(
            spec, ids, upstream=request.include_upstream, downstream=request.include_downstream
        )
    missing = sorted(set(request.task_ids) - known) if runs else []
    if missing:
        raise NotFound(f"DAG {request.dag_id!r} has no task {', '.join(map(repr, missing))}")
    by_pk = {run.id: run for run in runs}
    all_ids = set().union(*wanted.values()) if wanted else set()
    changed = Changed()
    for ti in await _task_instances(session, runs, all_ids):
        if ti.task_id not in wanted[ti.dag_run_pk]:
            continue
        if request.only_failed and ti.state not in FAILED_STATES:
            continue
        if request.only_running and ti.state != TI.RUNNING.value:
            continue
        run = by_pk[ti.dag_run_pk]
        changed.task_instances.append(ti)
        changed.runs[run.id] = run
        if not request.dry_run:
            await _reset(session, ti, _spec(specs, run), run, "cleared by a user", changed)
    if not request.dry_run:
        for run in changed.runs.values():
            if request.reset_dag_runs:
                _requeue_run(run, now)
            changed.to_schedule.add(run.id)
        await session.flush()
    return changed


# -- mark task instances ------------------------------------------------------------


async def set_task_instance_state(
    session: AsyncSession, request: MarkRequest, *, specs: dict[str, DagSpec]
) -> Changed:
    now = utcnow()
    run = await _locked_run(session, request.dag_id, request.dag_run_id)
    spec = _spec(specs, run)
    if request.task_id not in spec.task_by_id:
        raise NotFound(f"task {request.task_id!r} is not in DAG run {request.dag_run_id!r}")
    ids = relatives(
        spec,
        [request.task_id],
        upstream=request.include_upstream,
        downstream=request.include_downstream,
    )
    runs = await _around(session, run, past=request.include_past, future=request.include_future)
    by_pk = {r.id: r for r in runs}
    tis = await _task_instances(session, runs, ids)
    changed = Changed(runs={r.id: r for r in runs})
    target = request.new_state
    if target is None:  # a note only: the named task instance, as Airflow answers
        changed.task_instances = [
            ti for ti in tis if ti.dag_run_pk == run.id and ti.task_id == request.task_id
        ]
    else:
        changed.task_instances = [ti for ti in tis if ti.state != target.value]
    if request.dry_run:
        return changed
    reason = f"marked {target.value} by a user" if target else ""
    for ti in changed.task_instances if target else []:
        _settle(session, ti, target, reason, changed, now)
    for ti in tis:
        if request.note is not None and ti.dag_run_pk == run.id and ti.task_id == request.task_id:
            ti.note = request.note
    if target in (TI.SUCCESS, TI.SKIPPED):
        # As Airflow does: failed tasks downstream of one marked done get to run again.
        marked = {(ti.dag_run_pk, ti.task_id) for ti in changed.task_instances}
        for pk in {ti.dag_run_pk for ti in changed.task_instances}:
            await _resume_downstream(session, by_pk[pk], specs, marked, changed, now)
    changed.to_schedule |= {ti.dag_run_pk for ti in changed.task_instances}
    await session.flush()
    return changed


async def _resume_downstream(
    session: AsyncSession,
    run: DagRun,
    specs: dict[str, DagSpec],
    marked: set[tuple[int, str]],
    changed: Changed,
    now: datetime,
) -> None:
    spec = _spec(specs, run)
    roots = [task_id for pk, task_id in marked if pk == run.id]
    downstream = relatives(spec, roots, upstream=False, downstream=True) - set(roots)
    if not downstream:
        return
    result = await session.execute(
        select(TaskInstance).where(
            TaskInstance.dag_run_pk == run.id,
            TaskInstance.task_id.in_(downstream),
            TaskInstance.state.in_(FAILED_STATES),
        )
    )
    resumed = list(result.scalars())
    for ti in resumed:
        await _reset(session, ti, spec, run, "cleared: an upstream task was marked", changed)
    if resumed:
        _requeue_run(run, now)


# -- runs ---------------------------------------------------------------------------


async def patch_dag_run(
    session: AsyncSession,
    *,
    dag_id: str,
    run_id: str,
    state: DagRunState | None,
    note: str | None,
) -> Changed:
    now = utcnow()
    run = await _locked_run(session, dag_id, run_id)
    changed = Changed(runs={run.id: run}, to_schedule={run.id})
    if note is not None:
        run.note = note
    if state is not None and state != run.state:
        try:
            transitions.mark_run(run, state, now=now)
        except IllegalTransition as exc:
            raise _conflict(exc) from None
        if state != DagRunState.QUEUED:
            tis = await _task_instances(session, [run])
            if state == DagRunState.SUCCESS:
                # Airflow's "mark run success": every task instance becomes success.
                for ti in tis:
                    if ti.state != TI.SUCCESS.value:
                        _settle(
                            session, ti, TI.SUCCESS, "run marked success by a user", changed, now
                        )
            else:
                # Airflow's "mark run failed": running tasks fail, unfinished ones skip.
                end_unfinished(
                    session,
                    tis,
                    running_to=TI.FAILED,
                    reason="run marked failed by a user",
                    changed=changed,
                    now=now,
                )
    await session.flush()
    return changed


def end_unfinished(
    session: AsyncSession,
    tis: Iterable[TaskInstance],
    *,
    running_to: TaskInstanceState,
    reason: str,
    changed: Changed,
    now: datetime,
) -> None:
    """Settles every unfinished task instance of a run that is ending: those running move
    to `running_to`, the others are skipped; open tries are stopped."""
    for ti in tis:
        if _state(ti) in FINISHED_TI_STATES:
            continue
        target = running_to if ti.state == TI.RUNNING.value else TI.SKIPPED
        _settle(session, ti, target, reason, changed, now)
        changed.task_instances.append(ti)


async def delete_dag_run(session: AsyncSession, *, dag_id: str, run_id: str) -> Changed:
    run = await _locked_run(session, dag_id, run_id)
    changed = Changed()
    tis = await _task_instances(session, [run])
    for ti in tis:
        _stop_open_try(session, ti, ti.state, "its DAG run was deleted", changed)
    await _delete_runs(session, [run.id])
    return changed


async def delete_dag(session: AsyncSession, *, dag_id: str) -> tuple[int, Changed]:
    # Every run goes, however many: a DAG is deleted as a whole or not at all.
    runs = await _lock_runs(session, select(DagRun).where(DagRun.dag_id == dag_id), bounded=False)
    running = await session.scalar(
        select(TaskInstance.task_id)
        # A restarting one's try is still being stopped: it runs until it has ended.
        .where(
            TaskInstance.dag_id == dag_id,
            TaskInstance.state.in_((TI.RUNNING.value, TI.RESTARTING.value)),
        )
        .limit(1)
    )
    if running is not None:
        # As Airflow: a DAG with running task instances is not deleted.
        raise Conflict(f"task instances of DAG {dag_id!r} are still running")
    changed = Changed()
    queued = await session.execute(
        select(TaskInstance).where(
            TaskInstance.dag_id == dag_id, TaskInstance.state.in_(OPEN_TRY_STATES)
        )
    )
    for ti in queued.scalars():
        _stop_open_try(session, ti, ti.state, "its DAG was deleted", changed)
    await _delete_runs(session, [run.id for run in runs])
    await session.execute(delete(Dag).where(Dag.dag_id == dag_id))
    await session.flush()
    return len(runs), changed


async def _delete_runs(session: AsyncSession, pks: list[int]) -> None:
    if not pks:
        return
    for table, column in (
        (TaskInstanceHistory, TaskInstanceHistory.dag_run_pk),
        (TaskInstance, TaskInstance.dag_run_pk),
        (DagRun, DagRun.id),
    ):
        await session.execute(
            delete(table).where(column.in_(pks)).execution_options(synchronize_session=False)
        )
    await session.flush()


# -- tries --------------------------------------------------------------------------


async def list_tries(
    session: AsyncSession, *, dag_id: str, run_id: str, task_id: str
) -> tuple[DagRun, list[TaskInstance | TaskInstanceHistory]]:
    """Every try, oldest first: the kept ones, then the current one unless it is kept
    already (waiting for its retry), as Airflow lists them."""
    run = await session.scalar(
        select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
    )
    if run is None:
        raise NotFound(f"DAG run {run_id!r} of DAG {dag_id!r} does not exist")
    ti = await session.scalar(
        select(TaskInstance).where(
            TaskInstance.dag_run_pk == run.id, TaskInstance.task_id == task_id
        )
    )
    if ti is None:
        raise NotFound(f"task {task_id!r} is not in DAG run {run_id!r}")
    kept: list[TaskInstance | TaskInstanceHistory] = list(await history.tries(session, ti))
    if ti.try_number not in {row.try_number for row in kept}:
        kept.append(ti)
    return run, kept
