"""The queueing section: ready (`scheduled`) task instances take open pool slots, within
their DAG's and task's limits, in priority order across every run and DAG of the pool.

Replicas take turns here (an advisory lock on PostgreSQL, then the pool rows `FOR UPDATE`
in name order), and only this section moves a task instance from scheduled to queued, so
the counts it reads cannot grow behind its back: no pool, `max_active_tasks`,
`max_active_tis_per_dag` or `max_active_tis_per_dagrun` is exceeded, however many
schedulers run. The choice itself is pure (`tradewind_core.queueing`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from tradewind.dispatch.v1 import dispatch_pb2
from tradewind_core.logging import get_logger
from tradewind_core.queueing import Candidate, Limits, choose_for_pool
from tradewind_core.spec import INT32_MAX, DagSpec
from tradewind_core.states import DagRunState
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_scheduler import queries, transitions
from tradewind_scheduler.dispatch_messages import dispatch_message
from tradewind_scheduler.models import DagRun, TaskInstance
from tradewind_scheduler.set_aside import RunRef

log = get_logger(__name__)
PAGE = 128
MAX_PAGES = 8  # per pool per step: bounded work even behind a long queue of blocked tasks


@dataclass
class Queued:
    dispatches: list[dispatch_pb2.TaskDispatch] = field(default_factory=list)
    # Runs whose DAG version could not be read: set aside by the loop.
    broken_runs: dict[int, tuple[RunRef, str]] = field(default_factory=dict)


async def queue_ready(
    session: AsyncSession,
    *,
    pools: Collection[str] | None,
    spec_of: Callable[[str], Awaitable[DagSpec]],
    now,  # noqa: ANN001
    skip_runs: Collection[int] = (),
    scheduler_id: str | None = None,
) -> Queued:
    """`pools`: those whose queue or slots changed; None: every pool with tasks waiting."""
    out = Queued()
    await queries.take_queueing_turn(session)
    names = await queries.pools_with_scheduled(session) if pools is None else set(pools)
    locked = await queries.lock_pools(session, sorted(names))
    # Read again once the turn and the pools are held: the step's `now` may be older than
    # the end of a try another replica finished while this one waited, and a try must not
    # appear to take a slot before the one it took it from gave it back.
    now = max(now, utcnow())
    unknown = names - {p.name for p, _ in locked}
    if unknown:
        log.warning("task instances name pools that do not exist", pools=sorted(unknown))
    limits = _LimitBook(session)
    for pool, taken in locked:
        total = INT32_MAX if pool.slots < 0 else pool.slots  # -1: no limit, as in Airflow
        open_slots = total - taken
        after = None
        for _ in range(MAX_PAGES):
            if open_slots <= 0:
                break
            page = await queries.scheduled_in_pool(
                session,
                pool.name,
                limit=PAGE,
                after=after,
                skip_dags=limits.blocked_dags(),
            )
            if not page:
                break
            candidates: dict[str, tuple[TaskInstance, DagRun, DagSpec]] = {}
            for ti, run, paused, dag_active in page:
                if run.id in skip_runs or run.state != DagRunState.RUNNING.value:
                    continue
                try:
                    spec = await spec_of(run.dag_version_id)
                except Exception as exc:
                    out.broken_runs[run.id] = (RunRef.of(run), f"cannot read DAG version: {exc}")  # type: ignore[index]
                    continue
                if ti.task_id not in spec.task_by_id:
                    # Set aside, never retried here in every step: it would stall the pool.
                    reason = f"task {ti.task_id!r} is not in DAG version {run.dag_version_id}"
                    out.broken_runs[run.id] = (RunRef.of(run), reason)  # type: ignore[index]
                    continue
                candidates[ti.id] = (ti, run, spec)
                await limits.learn(ti, run, spec, paused, dag_active)
            choice = choose_for_pool(
                [_candidate(ti) for ti, _, _ in candidates.values()],
                open_slots=open_slots,
                total_slots=total,
                limits=limits.limits,
            )
            for c in choice.never_fit:
                log.warning(
                    "task instance needs more slots than its pool has",
                    dag_id=c.dag_id,
                    task_id=c.task_id,
                    pool=pool.name,
                    pool_slots=c.pool_slots,
                )
            for c in choice.chosen:
                ti, run, spec = candidates[c.key]  # type: ignore[index]
                transitions.queue(ti, now=now, by=scheduler_id)
                open_slots -= ti.pool_slots
                out.dispatches.append(dispatch_message(run, spec, spec.task_by_id[ti.task_id], ti))
            if choice.stopped or len(page) < PAGE:
                break
            last = page[-1][0]
            after = (last.queue_rank, last.id)
    return out


def _candidate(ti: TaskInstance) -> Candidate:
    return Candidate(
        key=ti.id,
        dag_id=ti.dag_id,
        run_key=ti.dag_run_pk,
        task_id=ti.task_id,
        pool_slots=ti.pool_slots,
        priority_weight=ti.priority_weight,
        ready_at=as_utc(ti.scheduled_when),  # type: ignore[arg-type]
        rank=ti.queue_rank if ti.queue_rank is not None else float("-inf"),
    )


class _LimitBook:
    """Fills `Limits` with the counts of the DAGs, tasks and runs met in the pages read,
    each counted once per step by an indexed count query."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.limits = Limits()
        self._dags: set[str] = set()
        self._dag_tasks: set[tuple[str, str]] = set()
        self._run_tasks: set[tuple[int, str]] = set()

    async def learn(
        self, ti: TaskInstance, run: DagRun, spec: DagSpec, paused: bool, dag_active: int
    ) -> None:
        limits = self.limits
        if ti.dag_id not in self._dags:
            self._dags.add(ti.dag_id)
            limits.dag_max[ti.dag_id] = spec.max_active_tasks
            if paused:
                limits.paused.add(ti.dag_id)
            limits.dag_active[ti.dag_id] = dag_active
        task = spec.task_by_id.get(ti.task_id)
        if task is None:
            return
        key = (ti.dag_id, ti.task_id)
        if task.max_active_tis_per_dag is not None and key not in self._dag_tasks:
            self._dag_tasks.add(key)
            limits.task_max_per_dag[key] = task.max_active_tis_per_dag
            limits.task_active_per_dag.update(
                await queries.active_per_dag_task(self._session, [key])
            )
        run_key = (run.id, ti.task_id)
        if task.max_active_tis_per_dagrun is not None and run_key not in self._run_tasks:
            self._run_tasks.add(run_key)
            limits.task_max_per_run[key] = task.max_active_tis_per_dagrun
            limits.task_active_per_run.update(
                await queries.active_per_run_task(self._session, [run_key])  # type: ignore[arg-type]
            )

    def blocked_dags(self) -> set[str]:
        """DAGs none of whose tasks can be queued now: later pages leave them out."""
        limits = self.limits
        full = {d for d in self._dags if limits.dag_active[d] >= limits.dag_max.get(d, 2**31)}
        return full | set(limits.paused)
