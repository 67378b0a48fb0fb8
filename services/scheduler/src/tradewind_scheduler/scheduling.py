"""The scheduling loop: one writer that turns events into decisions.

Everything that can make a task ready (a run created, an attempt finished, a DAG unpaused, a
retry coming due) is put in the loop's inbox, and the loop handles whatever has piled up
in one transaction: lock the runs concerned, apply the events, settle every task whose
upstream allows it, commit, then hand the newly queued tasks to the dispatcher in one
batch. A periodic sweep only catches what events missed (a lost dispatch, a crash).

Runs are locked (`FOR UPDATE`) before their task instances are read, so two schedulers,
or two finishing upstreams of a fan-in, can never both miss the other's result.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind.dispatch.v1 import dispatch_pb2
from tradewind_core.db import Database
from tradewind_core.logging import get_logger
from tradewind_core.spec import DagSpec, TaskSpec
from tradewind_core.states import (
    FAILED_TI_STATES,
    FINISHED_TI_STATES,
    DagRunState,
    TaskInstanceState,
    can_move_task,
    check_run_move,
    check_task_move,
)
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_core.trigger_rules import Decision, decide
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.dispatch_client import DispatcherClient
from tradewind_scheduler.models import Dag, DagRun, SchedulerJob, TaskInstance
from tradewind_scheduler.settings import SchedulerSettings

log = get_logger(__name__)
TI = TaskInstanceState
ACTIVE_RUN_STATES = (DagRunState.QUEUED.value, DagRunState.RUNNING.value)


@dataclass(frozen=True)
class TaskEvent:
    """An attempt started or finished, as reported by the dispatcher."""

    task_instance_id: str
    try_number: int
    finished: bool
    state: str = ""
    start_date: datetime | None = None
    end_date: datetime | None = None
    hostname: str = ""
    pid: int | None = None
    reason: str = ""


@dataclass
class _Work:
    events: list[TaskEvent] = field(default_factory=list)
    run_pks: set[int] = field(default_factory=set)
    dag_ids: set[str] = field(default_factory=set)
    sweep: bool = False
    done: asyncio.Future[list[dispatch_pb2.TaskDispatch]] | None = None


class SchedulingLoop:
    def __init__(
        self,
        db: Database,
        catalog: DagVersionCache,
        dispatcher: DispatcherClient,
        settings: SchedulerSettings,
    ) -> None:
        self._db = db
        self._catalog = catalog
        self._dispatcher = dispatcher
        self._settings = settings
        self._inbox: asyncio.Queue[_Work] = asyncio.Queue()
        self._last_sent: dict[str, datetime] = {}
        self._timers: set[asyncio.TimerHandle] = set()

    # -- inputs ---------------------------------------------------------------------

    async def report(self, events: Sequence[TaskEvent]) -> list[dispatch_pb2.TaskDispatch]:
        """Returns once the events are applied and committed, with the tasks that became
        ready, for the reporter to dispatch itself (one call fewer per handoff)."""
        done = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(_Work(events=list(events), done=done))
        return await done

    def run_created(self, run_pk: int) -> None:
        self._inbox.put_nowait(_Work(run_pks={run_pk}))

    def wake(self) -> None:
        """Lets the loop notice a stop request without waiting for its sweep timer."""
        self._inbox.put_nowait(_Work())

    def dag_changed(self, dag_id: str) -> None:
        self._inbox.put_nowait(_Work(dag_ids={dag_id}))

    # -- the loop -------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        interval = self._settings.scheduler_sweep_interval
        next_sweep = loop.time()  # sweep at once: pick up whatever a restart left behind
        while not stop.is_set():
            # A deadline, not a timeout per wait: a steady stream of events must not
            # postpone the sweep (nor the heartbeat it writes) indefinitely.
            try:
                first = await asyncio.wait_for(
                    self._inbox.get(), timeout=max(0.0, next_sweep - loop.time())
                )
            except TimeoutError:
                first = _Work()
            batch = [first]
            while not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            if loop.time() >= next_sweep:
                batch.append(_Work(sweep=True))
                next_sweep = loop.time() + interval
            await self._handle(batch)
        for timer in self._timers:
            timer.cancel()

    async def _handle(self, batch: list[_Work]) -> None:
        work = _Work()
        for item in batch:
            work.events.extend(item.events)
            work.run_pks |= item.run_pks
            work.dag_ids |= item.dag_ids
            work.sweep |= item.sweep
        futures = [item.done for item in batch if item.done is not None]
        try:
            to_dispatch = await self._step(work)
        except Exception as exc:
            log.exception("scheduling step failed; the sweep will retry", error=str(exc))
            for future in futures:
                if not future.done():
                    future.set_exception(exc)
            return
        # The first reporter still waiting takes the ready tasks home in its answer; with
        # none waiting, they go out by DispatchTasks. Either way a lost handoff is resent
        # by the sweep.
        for future in futures:
            if not future.done():
                future.set_result(to_dispatch)
                to_dispatch = []
        if to_dispatch:
            await self._dispatch(to_dispatch)

    async def _dispatch(self, tasks: list[dispatch_pb2.TaskDispatch]) -> None:
        try:
            await self._dispatcher.dispatch(tasks)
        except Exception as exc:  # the sweep sends them again
            log.warning("dispatch failed; will resend", tasks=len(tasks), error=str(exc))

    # -- one step -------------------------------------------------------------------

    async def _step(self, work: _Work) -> list[dispatch_pb2.TaskDispatch]:
        now = utcnow()
        to_dispatch: list[dispatch_pb2.TaskDispatch] = []
        async with self._db.transaction() as session:
            # The runs concerned, locked by one query (with their DAGs' paused flags):
            # the hot path's first trip.
            runs, paused = await self._lock_concerned_runs(session, work)
            if work.sweep:
                await self._heartbeat(session, now)
                locked = {run.id for run in runs}
                runs += await self._lock_runs(
                    session, await self._active_run_pks(session, exclude=locked), skip_locked=True
                )
            specs = {run.id: await self._catalog.get(run.dag_version_id) for run in runs}
            tis_by_run = await self._task_instances(session, [run.id for run in runs])
            if work.events:
                self._apply_events(work.events, tis_by_run, runs, specs, now)

            dags = _DagCounts(session, {run.dag_id for run in runs}, paused=paused)
            finished_dags: set[str] = set()
            for run in runs:
                tis = tis_by_run[run.id]
                to_dispatch += await self._schedule_run(dags, run, tis, specs[run.id], now)
                if run.state in (DagRunState.SUCCESS, DagRunState.FAILED):
                    finished_dags.add(run.dag_id)
            # A finished run frees a slot under max_active_runs for a queued one.
            seen = {run.id for run in runs}
            waiting = await self._queued_run_pks(session, finished_dags, exclude=seen)
            if waiting:
                more = await self._lock_runs(session, waiting, skip_locked=True)
                more_tis = await self._task_instances(session, [run.id for run in more])
                dags = _DagCounts(session, {run.dag_id for run in more})
                for run in more:
                    spec = await self._catalog.get(run.dag_version_id)
                    to_dispatch += await self._schedule_run(dags, run, more_tis[run.id], spec, now)
            if work.sweep:
                to_dispatch += await self._stale_queued(session, now)
        return to_dispatch

    async def _lock_concerned_runs(
        self, session: AsyncSession, work: _Work
    ) -> tuple[list[DagRun], dict[str, bool]]:
        concerned = []
        if work.run_pks:
            concerned.append(DagRun.id.in_(work.run_pks))
        if work.events:
            ids = {e.task_instance_id for e in work.events}
            concerned.append(
                DagRun.id.in_(select(TaskInstance.dag_run_pk).where(TaskInstance.id.in_(ids)))
            )
        if work.dag_ids:
            concerned.append(
                and_(DagRun.dag_id.in_(work.dag_ids), DagRun.state.in_(ACTIVE_RUN_STATES))
            )
        if not concerned:
            return [], {}
        # In id order, the one lock order everywhere: no deadlocks between replicas.
        result = await session.execute(
            select(DagRun, Dag.is_paused)
            .outerjoin(Dag, Dag.dag_id == DagRun.dag_id)
            .where(or_(*concerned))
            .order_by(DagRun.id)
            .with_for_update(of=DagRun)
        )
        rows = result.all()
        return [run for run, _ in rows], {run.dag_id: bool(paused) for run, paused in rows}

    async def _lock_runs(
        self, session: AsyncSession, run_pks: Iterable[int], *, skip_locked: bool
    ) -> list[DagRun]:
        pks = sorted(set(run_pks))  # one lock order everywhere: no deadlocks between replicas
        if not pks:
            return []
        result = await session.execute(
            select(DagRun)
            .where(DagRun.id.in_(pks))
            .order_by(DagRun.id)
            .with_for_update(skip_locked=skip_locked)
        )
        return list(result.scalars())

    async def _active_run_pks(self, session: AsyncSession, *, exclude: set[int]) -> list[int]:
        rows = await session.execute(
            select(DagRun.id).where(DagRun.state.in_(ACTIVE_RUN_STATES)).order_by(DagRun.id)
        )
        return [pk for pk in rows.scalars() if pk not in exclude]

    async def _queued_run_pks(
        self, session: AsyncSession, dag_ids: set[str], *, exclude: set[int]
    ) -> list[int]:
        if not dag_ids:
            return []
        rows = await session.execute(
            select(DagRun.id).where(
                DagRun.dag_id.in_(dag_ids), DagRun.state == DagRunState.QUEUED.value
            )
        )
        return [pk for pk in rows.scalars() if pk not in exclude]

    async def _task_instances(
        self, session: AsyncSession, run_pks: list[int]
    ) -> dict[int, list[TaskInstance]]:
        grouped: dict[int, list[TaskInstance]] = defaultdict(list)
        if run_pks:
            result = await session.execute(
                select(TaskInstance).where(TaskInstance.dag_run_pk.in_(run_pks))
            )
            for ti in result.scalars():
                grouped[ti.dag_run_pk].append(ti)
        return grouped

    async def _heartbeat(self, session: AsyncSession, now: datetime) -> None:
        await session.merge(
            SchedulerJob(
                id=self._settings.scheduler_id, hostname=socket.gethostname(), latest_heartbeat=now
            )
        )

    # -- decisions ------------------------------------------------------------------

    def _apply_events(
        self,
        events: list[TaskEvent],
        tis_by_run: dict[int, list[TaskInstance]],
        runs: list[DagRun],
        specs: dict[int, DagSpec],
        now: datetime,
    ) -> None:
        by_id = {ti.id: ti for tis in tis_by_run.values() for ti in tis}
        # Started before finished: a batch may hold both for one attempt.
        for event in sorted(events, key=lambda e: e.finished):
            ti = by_id.get(event.task_instance_id)
            if ti is None or event.try_number != ti.try_number:
                continue  # not ours to decide (a run being locked elsewhere) or stale
            if not event.finished:
                if ti.state == TI.QUEUED:
                    move_task(ti, TI.RUNNING)
                    ti.start_date = event.start_date or now
                    ti.hostname, ti.pid = event.hostname, event.pid
                continue
            target = TI(event.state)
            task = specs[ti.dag_run_pk].task_by_id.get(ti.task_id)
            retry = target == TI.FAILED and ti.try_number <= ti.max_tries and task is not None
            if retry:
                target = TI.UP_FOR_RETRY
            if not can_move_task(_state(ti), target):
                continue  # a duplicate or stale report: already settled, change nothing
            if retry:
                ti.next_retry_at = (event.end_date or now) + _retry_delay(task, ti.try_number)
                self._wake_at(ti.dag_run_pk, ti.next_retry_at, now)
            move_task(ti, target)
            ti.start_date = ti.start_date or event.start_date or now
            ti.end_date = event.end_date or now
            ti.hostname = event.hostname or ti.hostname
            ti.pid = event.pid or ti.pid
            ti.failure_reason = event.reason or None
            log.info(
                "task instance finished",
                dag_id=ti.dag_id,
                dag_run_id=ti.run_id,
                task_id=ti.task_id,
                try_number=ti.try_number,
                state=target.value,
            )

    def _wake_at(self, run_pk: int, when: datetime, now: datetime) -> None:
        delay = max(0.0, (when - now).total_seconds())
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle | None = None

        def wake() -> None:
            self._timers.discard(handle)  # type: ignore[arg-type]
            self.run_created(run_pk)

        handle = loop.call_later(delay + 0.01, wake)
        self._timers.add(handle)

    async def _schedule_run(
        self,
        dags: _DagCounts,
        run: DagRun,
        tis: list[TaskInstance],
        spec: DagSpec,
        now: datetime,
    ) -> list[dispatch_pb2.TaskDispatch]:
        if run.state in (DagRunState.SUCCESS, DagRunState.FAILED):
            return []
        paused = await dags.is_paused(run.dag_id)
        if run.state == DagRunState.QUEUED and (
            paused or not await self._start_run(dags, run, spec, now)
        ):
            return []
        by_task = {ti.task_id: ti for ti in tis}
        ready: list[TaskInstance] = []
        for task_id in spec.topological_order():
            ti = by_task.get(task_id)
            if ti is None:
                continue
            task = spec.task_by_id[task_id]
            if ti.state is None:
                upstream = [_state(by_task[u]) for u in task.upstream if u in by_task]
                decision = decide(task.trigger_rule, upstream)
                if decision is Decision.RUN:
                    ready.append(ti)
                elif decision is not Decision.WAIT:
                    move_task(ti, TI.SKIPPED if decision is Decision.SKIP else TI.UPSTREAM_FAILED)
                    ti.start_date = ti.end_date = now
            elif ti.state == TI.UP_FOR_RETRY and as_utc(ti.next_retry_at) <= now:
                ready.append(ti)

        dispatches = []
        # As in Airflow, a paused DAG's runs queue no new tasks; those running finish.
        for ti in [] if paused else await self._within_capacity(dags, run, spec, ready):
            ti.try_number += 1
            move_task(ti, TI.SCHEDULED)
            move_task(ti, TI.QUEUED)
            ti.scheduled_when = ti.queued_when = now
            ti.start_date = ti.end_date = ti.next_retry_at = None
            ti.hostname, ti.pid = "", None
            dispatches.append(self._dispatch_message(run, spec, spec.task_by_id[ti.task_id], ti))

        if all(_state(ti) in FINISHED_TI_STATES for ti in tis):
            failed = any(_state(by_task[leaf]) in FAILED_TI_STATES for leaf in spec.leaves())
            final = DagRunState.FAILED if failed else DagRunState.SUCCESS
            check_run_move(DagRunState(run.state), final)
            run.state = final
            run.end_date = now
            log.info("DAG run finished", dag_id=run.dag_id, dag_run_id=run.run_id, state=run.state)
        return dispatches

    async def _start_run(self, dags: _DagCounts, run: DagRun, spec: DagSpec, now: datetime) -> bool:
        running = await dags.running_runs()
        if running[run.dag_id] >= spec.max_active_runs:
            return False
        check_run_move(DagRunState(run.state), DagRunState.RUNNING)
        run.state = DagRunState.RUNNING
        run.start_date = now
        running[run.dag_id] += 1
        return True

    async def _within_capacity(
        self, dags: _DagCounts, run: DagRun, spec: DagSpec, ready: list[TaskInstance]
    ) -> list[TaskInstance]:
        """max_active_tasks counts queued and running tasks across all runs of the DAG."""
        if not ready:
            return []
        active = await dags.active_tasks()
        room = max(0, spec.max_active_tasks - active[run.dag_id])
        ready.sort(key=lambda ti: -ti.priority_weight)  # stable: DAG order among equals
        chosen = ready[:room]
        active[run.dag_id] += len(chosen)
        return chosen

    def _dispatch_message(
        self, run: DagRun, spec: DagSpec, task: TaskSpec, ti: TaskInstance
    ) -> dispatch_pb2.TaskDispatch:
        return dispatch_pb2.TaskDispatch(
            task_instance_id=ti.id,
            try_number=ti.try_number,
            dag_id=run.dag_id,
            dag_run_id=run.run_id,
            task_id=ti.task_id,
            map_index=ti.map_index,
            queue=ti.queue,
            priority_weight=ti.priority_weight,
            task_json=task.model_dump_json(),
            context_json=json.dumps(template_context(run, spec, ti), default=str),
        )

    async def _stale_queued(
        self, session: AsyncSession, now: datetime
    ) -> list[dispatch_pb2.TaskDispatch]:
        """Queued task instances the dispatcher may never have received: send them again
        (the dispatcher ignores ones it has). Each is resent at most once per period."""
        period = timedelta(seconds=self._settings.scheduler_redispatch_after)
        result = await session.execute(
            select(TaskInstance, DagRun)
            .join(DagRun, DagRun.id == TaskInstance.dag_run_pk)
            .where(TaskInstance.state == TI.QUEUED.value, TaskInstance.queued_when < now - period)
            .limit(1000)
        )
        resend = []
        rows = result.all()
        # Remember resends only while their task instances stay stale: bounded memory.
        stale = {ti.id for ti, _ in rows}
        self._last_sent = {k: v for k, v in self._last_sent.items() if k in stale}
        for ti, run in rows:
            last = self._last_sent.get(ti.id)
            if last is not None and now - last < period:
                continue
            self._last_sent[ti.id] = now
            spec = await self._catalog.get(run.dag_version_id)
            task = spec.task_by_id.get(ti.task_id)
            if task is not None:
                resend.append(self._dispatch_message(run, spec, task, ti))
        if resend:
            log.info("resending queued task instances", count=len(resend))
        return resend


class _DagCounts:
    """Per-DAG facts one step needs, each read by one query for every DAG in the step
    (not one per run), then kept current in memory as the step queues tasks."""

    def __init__(
        self, session: AsyncSession, dag_ids: set[str], *, paused: dict[str, bool] | None = None
    ) -> None:
        self._session = session
        self._dag_ids = dag_ids
        # Known already when the runs were locked together with their DAGs.
        self._paused = paused if paused is not None and dag_ids <= paused.keys() else None
        self._active: Counter[str] | None = None
        self._running: Counter[str] | None = None

    async def is_paused(self, dag_id: str) -> bool:
        if self._paused is None:
            rows = await self._session.execute(
                select(Dag.dag_id, Dag.is_paused).where(Dag.dag_id.in_(self._dag_ids))
            )
            self._paused = {dag: paused for dag, paused in rows}
        return self._paused.get(dag_id, False)

    async def active_tasks(self) -> Counter[str]:
        if self._active is None:
            self._active = await self._count(
                select(TaskInstance.dag_id, func.count())
                .where(
                    TaskInstance.dag_id.in_(self._dag_ids),
                    TaskInstance.state.in_((TI.QUEUED.value, TI.RUNNING.value)),
                )
                .group_by(TaskInstance.dag_id)
            )
        return self._active

    async def running_runs(self) -> Counter[str]:
        if self._running is None:
            self._running = await self._count(
                select(DagRun.dag_id, func.count())
                .where(DagRun.dag_id.in_(self._dag_ids), DagRun.state == DagRunState.RUNNING.value)
                .group_by(DagRun.dag_id)
            )
        return self._running

    async def _count(self, query: Any) -> Counter[str]:
        rows = await self._session.execute(query)
        return Counter({dag: n for dag, n in rows})


def _state(ti: TaskInstance) -> TaskInstanceState | None:
    return TI(ti.state) if ti.state else None


def move_task(ti: TaskInstance, target: TaskInstanceState) -> None:
    """Every task instance state change goes through the one table of legal moves."""
    check_task_move(_state(ti), target)
    ti.state = target.value


def _retry_delay(task: TaskSpec, try_number: int) -> timedelta:
    delay = task.retry_delay
    if task.retry_exponential_backoff:
        delay = delay * (2 ** max(0, try_number - 1))
        ceiling = task.max_retry_delay or timedelta(days=1)
        delay = min(delay, ceiling)
    return delay


def template_context(run: DagRun, spec: DagSpec, ti: TaskInstance) -> dict[str, object]:
    """What `{{ ... }}` in a task's fields can use (Airflow's names)."""
    when = as_utc(run.logical_date) or as_utc(run.run_after) or utcnow()
    params = {**spec.param_defaults(), **(run.conf or {})}
    task_instance = {"task_id": ti.task_id, "try_number": ti.try_number, "map_index": ti.map_index}
    return {
        "dag_id": run.dag_id,
        "run_id": run.run_id,
        "ds": when.strftime("%Y-%m-%d"),
        "ds_nodash": when.strftime("%Y%m%d"),
        "ts": when.isoformat(),
        "ts_nodash": when.strftime("%Y%m%dT%H%M%S"),
        "logical_date": as_utc(run.logical_date).isoformat() if run.logical_date else None,
        "params": params,
        "dag": {"dag_id": run.dag_id},
        "task": {"task_id": ti.task_id},
        "dag_run": {
            "run_id": run.run_id,
            "run_type": run.run_type,
            "conf": run.conf or {},
            "logical_date": as_utc(run.logical_date).isoformat() if run.logical_date else None,
        },
        "task_instance": task_instance,
        "ti": task_instance,
    }


def new_task_instance_id() -> str:
    return str(uuid.uuid4())
