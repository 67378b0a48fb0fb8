"""One run's share of a scheduling step: apply its events, start it if its DAG has room,
and decide the task instances that what changed concerns.

The cost follows what changed: a finished task makes its downstream tasks candidates, and
only those and their upstream instances are read (by the run's (dag_run_pk, task_id) key).
A candidate whose dependencies are met becomes `scheduled` (Airflow's meaning: ready, waiting
for a slot); one its trigger rule settles is skipped or upstream_failed, and its own
downstream become candidates in turn. Slots are handed out later, by the queueing section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.logging import get_logger
from tradewind_core.queueing import SECONDS_PER_WEIGHT
from tradewind_core.readiness import NO_PAST, Past, readiness
from tradewind_core.spec import DagSpec
from tradewind_core.states import FINISHED_TI_STATES, DagRunState, TaskInstanceState
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_core.trigger_rules import Decision
from tradewind_scheduler import history, queries, timeouts, transitions
from tradewind_scheduler.events import TaskEvent
from tradewind_scheduler.models import DagRun, TaskInstance
from tradewind_scheduler.transitions import state_of

log = get_logger(__name__)
TI = TaskInstanceState
FINAL_RUN_STATES = (DagRunState.SUCCESS.value, DagRunState.FAILED.value)


@dataclass
class RunOutcome:
    # Pools whose ready queue grew or whose slots were freed: the queueing section's work.
    pools: set[str] = field(default_factory=set)
    # (when, run pk, task id): retries to wake for.
    retries: list[tuple[datetime, int, str]] = field(default_factory=list)
    finished: bool = False
    # Past-dependent tasks of the next run may have become ready.
    past_changed: bool = False
    decided: int = 0


async def step_run(
    session: AsyncSession,
    *,
    run: DagRun,
    spec: DagSpec,
    paused: bool,
    events: list[tuple[TaskEvent, TaskInstance]],
    candidates: set[str],
    everything: bool,
    now: datetime,
    seconds_per_weight: float = SECONDS_PER_WEIGHT,
) -> RunOutcome:
    out = RunOutcome()
    loaded: dict[str, TaskInstance] = {ti.task_id: ti for _, ti in events}
    restarted: set[str] = set()
    changed = _apply_events(events, run, spec, out, now, restarted)
    if run.state in FINAL_RUN_STATES:
        return out
    started = run.state == DagRunState.QUEUED.value
    if started:
        if paused or not await _start(session, run, spec, now):
            return out
        candidates = candidates | set(spec.roots)
    if everything:
        candidates = set(spec.task_by_id)
    for task_id in changed:
        candidates.update(spec.downstream.get(task_id, ()))
    candidates |= restarted  # cleared while running: their stopped try has ended
    settled = await _decide(session, run, spec, candidates, loaded, out, now, seconds_per_weight)
    # An instance seen open (just scheduled, say) settles the question without a query.
    seen_open = any(not is_final(ti) for ti in loaded.values())
    # A run just started or looked at whole may have nothing left to do (a run queued
    # again after every task finished): it ends here too, not only after a change.
    if (
        (changed or settled or started or everything)
        and not seen_open
        and not await queries.has_open_task_instances(session, run.id)
    ):
        failed = await queries.any_failed(session, run.id, spec.leaves())
        final = transitions.end_run(run, failed=failed, now=now)
        out.finished = True
        log.info("DAG run finished", dag_id=run.dag_id, dag_run_id=run.run_id, state=final.value)
    out.past_changed = bool(spec.past_dependent) and bool(changed or settled)
    return out


def _apply_events(
    events: list[tuple[TaskEvent, TaskInstance]],
    run: DagRun,
    spec: DagSpec,
    out: RunOutcome,
    now: datetime,
    restarted: set[str],
) -> set[str]:
    """Applies started and finished events; returns the tasks that reached a final state,
    and adds to `restarted` those cleared while running whose try has now ended."""
    changed: set[str] = set()
    # Started before finished: a batch may hold both for one attempt.
    for event, ti in sorted(events, key=lambda pair: pair[0].finished):
        if event.try_number != ti.try_number:
            continue  # a report of an earlier try: stale
        if not event.finished:
            transitions.start(
                ti, at=event.start_date, hostname=event.hostname, pid=event.pid, now=now
            )
            continue
        if state_of(ti) is TI.RESTARTING:
            transitions.finish(ti, TI(event.state), task=None, started=None, ended=None, now=now)
            restarted.add(ti.task_id)
            out.pools.add(ti.pool)  # its slot is free at last
            log.info(
                "stopped try ended; the task instance runs again",
                dag_id=ti.dag_id,
                dag_run_id=ti.run_id,
                task_id=ti.task_id,
                try_number=ti.try_number,
            )
            continue
        reached = transitions.finish(
            ti,
            TI(event.state),
            task=spec.task_by_id.get(ti.task_id),
            started=event.start_date,
            ended=event.end_date,
            hostname=event.hostname,
            pid=event.pid,
            reason=event.reason,
            now=now,
        )
        if reached is None:
            continue  # a duplicate or stale report: already settled, change nothing
        out.pools.add(ti.pool)
        out.decided += 1
        if reached is TI.UP_FOR_RETRY:
            # This try is over for good: keep it before the next one replaces it.
            history.keep_try(ti, dag_version_id=run.dag_version_id)
            out.retries.append((as_utc(ti.next_retry_at), ti.dag_run_pk, ti.task_id))  # type: ignore[arg-type]
        else:
            changed.add(ti.task_id)
        log.info(
            "task instance finished",
            dag_id=ti.dag_id,
            dag_run_id=ti.run_id,
            task_id=ti.task_id,
            try_number=ti.try_number,
            state=reached.value,
            reason=event.reason or None,
        )
    return changed


async def _start(session: AsyncSession, run: DagRun, spec: DagSpec, now: datetime) -> bool:
    # The DAG's row lock makes the count and the start one decision across replicas.
    await queries.lock_dag(session, run.dag_id)
    # Backfill runs are created only within their backfill's own max_active_runs.
    if run.run_type != "backfill" and (
        await queries.running_runs(session, run.dag_id) >= spec.max_active_runs
    ):
        return False
    # Read again once the lock is held: the step's own `now` may be older than the end of
    # a run another replica finished while this one waited, and a run must not appear to
    # start before the one it waited for ended.
    started = max(now, utcnow())
    transitions.start_run(run, now=started)
    run.timeout_at = timeouts.deadline(spec, started)
    log.info("DAG run started", dag_id=run.dag_id, dag_run_id=run.run_id)
    return True


async def _decide(
    session: AsyncSession,
    run: DagRun,
    spec: DagSpec,
    candidates: set[str],
    loaded: dict[str, TaskInstance],
    out: RunOutcome,
    now: datetime,
    seconds_per_weight: float,
) -> bool:
    """Decides the candidates; settling one makes its downstream candidates too. Returns
    whether any task instance was settled (reached a final state)."""
    position = spec.topological_position
    settled = False
    previous: list[int | None] = []  # looked up once, when a past-dependent task needs it
    pending = {c for c in candidates if c in spec.task_by_id}
    while pending:
        wanted = set(pending)
        for task_id in pending:
            wanted.update(spec.task_by_id[task_id].upstream)
        missing = wanted - loaded.keys()
        if missing:
            loaded.update(await queries.task_instances(session, run.id, missing))
        following: set[str] = set()
        for task_id in sorted(pending, key=position.__getitem__):
            ti = loaded.get(task_id)
            if ti is None:
                continue
            state = state_of(ti)
            if state is TI.UP_FOR_RETRY:
                if as_utc(ti.next_retry_at) <= now:  # type: ignore[operator]
                    transitions.schedule(ti, now=now, seconds_per_weight=seconds_per_weight)
                    out.pools.add(ti.pool)
                continue
            if state is not None:
                continue
            task = spec.task_by_id[task_id]
            upstream = [state_of(loaded[u]) for u in task.upstream if u in loaded]
            past = NO_PAST
            if task.depends_on_past or task.wait_for_downstream:
                past = await _past(session, run, spec, task_id, previous)
            decision = readiness(
                task.trigger_rule,
                upstream,
                depends_on_past=task.depends_on_past,
                wait_for_downstream=task.wait_for_downstream,
                past=past,
            )
            if decision is Decision.RUN:
                transitions.schedule(ti, now=now, seconds_per_weight=seconds_per_weight)
                out.pools.add(ti.pool)
            elif decision is not Decision.WAIT:
                target = TI.SKIPPED if decision is Decision.SKIP else TI.UPSTREAM_FAILED
                transitions.settle(ti, target, now=now)
                settled = True
                out.decided += 1
                following.update(spec.downstream.get(task_id, ()))
        pending = following
    return settled


async def _past(
    session: AsyncSession, run: DagRun, spec: DagSpec, task_id: str, previous: list[int | None]
) -> Past:
    if not previous:
        previous.append(await queries.previous_run_pk(session, run))
    return await queries.past_of(session, previous[0], task_id, spec.downstream.get(task_id, []))


def is_final(ti: TaskInstance) -> bool:
    return state_of(ti) in FINISHED_TI_STATES
