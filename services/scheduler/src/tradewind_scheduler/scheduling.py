"""The scheduling loop: one writer that turns events into decisions, and owns their
transactions.

Everything that can make a task ready (a run created, an attempt finished, a DAG unpaused, a
retry coming due) is put in the loop's inbox, and the loop handles whatever has piled up as
one step, in one transaction, in two parts:

1. decide (`run_step`): lock the runs concerned (in id order), apply their events, and
   decide the task instances the events concern; those whose dependencies are met become
   `scheduled`;
2. queue (`queueing_step`): ready task instances take open pool slots within their limits,
   in priority order, and become `queued`; after the commit they go to the dispatcher in
   one batch.

A periodic sweep (`sweep`) only catches what events missed. A run whose step fails is set
aside with its reason (`set_aside`) and the step goes on without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from tradewind.dispatch.v1 import dispatch_pb2
from tradewind_core.batching import first_batch
from tradewind_core.db import Database
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import utcnow
from tradewind_scheduler import heartbeat, queries, set_aside
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.dispatch_client import DispatcherClient
from tradewind_scheduler.dispatch_messages import template_context
from tradewind_scheduler.events import TaskEvent
from tradewind_scheduler.models import DagRun
from tradewind_scheduler.queueing_step import Queued, queue_ready
from tradewind_scheduler.run_step import RunOutcome, step_run
from tradewind_scheduler.set_aside import RunRef
from tradewind_scheduler.settings import SchedulerSettings
from tradewind_scheduler.sweep import Sweep, SweepWork

__all__ = ["SchedulingLoop", "TaskEvent", "new_task_instance_id", "template_context"]

log = get_logger(__name__)
MAX_SET_ASIDE_PER_STEP = 20
MAX_TIMERS = 10_000
MAX_REFUSED_EVENTS = 100


@dataclass
class _Work:
    events: list[TaskEvent] = field(default_factory=list)
    run_pks: set[int] = field(default_factory=set)
    run_tasks: dict[int, set[str]] = field(default_factory=dict)
    dag_ids: set[str] = field(default_factory=set)
    sweep: bool = False
    done: asyncio.Future[list[dispatch_pb2.TaskDispatch]] | None = None

    def merge(self, other: _Work) -> None:
        self.events.extend(other.events)
        self.run_pks |= other.run_pks
        for pk, tasks in other.run_tasks.items():
            self.run_tasks.setdefault(pk, set()).update(tasks)
        self.dag_ids |= other.dag_ids
        self.sweep |= other.sweep


@dataclass
class StepStats:
    """What the loop has done since it started: the benchmark's view of its cost."""

    steps: int = 0
    seconds: float = 0.0
    decided: int = 0  # task instances moved to a final state or settled
    queued: int = 0
    last_seconds: float = 0.0
    max_seconds: float = 0.0
    last_step_at: datetime | None = None
    last_sweep_at: datetime | None = None
    failed_steps: int = 0
    # Told each step's duration (the scheduler's metrics histogram).
    observers: list[Callable[[float], None]] = field(default_factory=list)

    def record(self, seconds: float, *, swept: bool, failed: bool) -> None:
        self.steps += 1
        self.seconds += seconds
        self.last_seconds = seconds
        self.max_seconds = max(self.max_seconds, seconds)
        self.last_step_at = utcnow()
        if swept and not failed:
            self.last_sweep_at = self.last_step_at
        self.failed_steps += failed
        for observe in self.observers:
            observe(seconds)


@dataclass
class _Decided:
    outcome: RunOutcome = field(default_factory=RunOutcome)
    follow_up: _Work = field(default_factory=_Work)
    sweep: SweepWork | None = None
    queued: Queued | None = None


class _RunFailed(Exception):
    def __init__(self, run: DagRun, reason: str, events: list[TaskEvent]) -> None:
        super().__init__(reason)
        self.run, self.reason, self.events = RunRef.of(run), reason, events


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
        self._timers: set[asyncio.TimerHandle] = set()
        self._sweep = Sweep(settings, catalog)
        self.stats = StepStats()
        # Told (after the commit) which DAGs had a run finish: the schedule loop then has
        # room under max_active_runs, and @continuous starts its next run.
        self.run_finished_listeners: list[Callable[[set[str]], None]] = []
        self._finished_dags: set[str] = set()
        # Events refused at the door (malformed): kept, bounded, for health to show.
        self.refused_events: deque[tuple[str, str]] = deque(maxlen=MAX_REFUSED_EVENTS)

    # -- inputs ---------------------------------------------------------------------

    async def report(self, events: Sequence[TaskEvent]) -> list[dispatch_pb2.TaskDispatch]:
        """Returns once the events are applied and committed, with the tasks that became
        ready, for the reporter to dispatch itself (one call fewer per handoff)."""
        done = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(_Work(events=list(events), done=done))
        return await done

    def refuse_event(self, task_instance_id: str, reason: str) -> None:
        log.warning("task event set aside", task_instance_id=task_instance_id, reason=reason)
        self.refused_events.append((task_instance_id, reason))

    def run_created(self, run_pk: int) -> None:
        self._inbox.put_nowait(_Work(run_pks={run_pk}))

    @property
    def inbox_depth(self) -> int:
        """Work items waiting for the next step."""
        return self._inbox.qsize()

    @property
    def retry_timers(self) -> int:
        return len(self._timers)

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
            work.merge(item)
        futures = [item.done for item in batch if item.done is not None]
        started = time.perf_counter()
        failed = False
        try:
            to_dispatch = await self._step(work)
        except Exception as exc:
            failed = True
            self._finished_dags.clear()
            log.exception("scheduling step failed; the sweep will retry", error=str(exc))
            for future in futures:
                if not future.done():
                    future.set_exception(exc)
            return
        finally:
            self.stats.record(time.perf_counter() - started, swept=work.sweep, failed=failed)
        if self._finished_dags:  # committed: the schedule loop may create the next runs
            finished, self._finished_dags = self._finished_dags, set()
            for listener in self.run_finished_listeners:
                listener(finished)
        # The first reporter still waiting takes the ready tasks home in its answer; with
        # none waiting, they go out by DispatchTasks. Either way a lost handoff is resent
        # by the sweep.
        for future in futures:
            if not future.done():
                # As much as one bounded batch holds; the rest by DispatchTasks.
                answer, to_dispatch = first_batch(to_dispatch, size=lambda t: t.ByteSize())
                future.set_result(answer)
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
        excluded: set[int] = set()
        while True:
            try:
                decided = await self._decide(work, now, excluded)
                break
            except _RunFailed as failed:
                # One run's failure never holds up the others: set it aside (with the
                # events it was given) and decide the rest again without it.
                excluded.add(failed.run.pk)
                await self._set_aside(failed.run, failed.reason, failed.events, now)
                if len(excluded) > MAX_SET_ASIDE_PER_STEP:
                    raise RuntimeError("too many runs failed in one step") from None
        to_dispatch = decided.sweep.resend if decided.sweep else []
        if decided.queued is not None:
            self.stats.queued += len(decided.queued.dispatches)
            to_dispatch += decided.queued.dispatches
            for run, reason in decided.queued.broken_runs.values():
                await self._set_aside(run, reason, [], now)
        self.stats.decided += decided.outcome.decided
        for when, run_pk, task_id in decided.outcome.retries:
            self._wake_at(when, run_pk, task_id, now)
        follow = decided.follow_up
        if follow.run_pks or follow.run_tasks:
            self._inbox.put_nowait(follow)
        return to_dispatch

    async def _decide(self, work: _Work, now: datetime, excluded: set[int]) -> _Decided:
        result = _Decided()
        async with self._db.transaction() as session:
            events = list(work.events)
            run_pks = set(work.run_pks)
            run_tasks = {pk: set(t) for pk, t in work.run_tasks.items()}
            full: set[int] = set()
            retrying: set[int] = set()
            timed_out_dags: dict[str, str] = {}  # dag_id -> a version of it
            if work.sweep:
                await heartbeat.beat(session, scheduler_id=self._settings.scheduler_id, now=now)
                found = result.sweep = await self._sweep.find(session, now)
                events += found.events
                run_pks |= found.run_pks
                full = found.full_runs
                retrying = found.retrying
                for pk, tasks in found.run_tasks.items():
                    run_tasks.setdefault(pk, set()).update(tasks)
                for run in found.timed_out:  # ended as if by itself: listeners hear of it
                    self._finished_dags.add(run.dag_id)
                    timed_out_dags[run.dag_id] = run.dag_version_id
            event_ids = {e.task_instance_id for e in events}
            locked = await queries.lock_runs(
                session,
                run_pks=run_pks | full | run_tasks.keys(),
                ti_ids=event_ids,
                active_of_dags=work.dag_ids,
                exclude=excluded,
            )
            held = await set_aside.held(session, [run.id for run, _, h in locked if h])  # type: ignore[misc]
            by_run: dict[int, list] = {}
            for ti in await queries.task_instances_by_id(session, event_ids):
                by_run.setdefault(ti.dag_run_pk, []).append(ti)
            events_by_ti: dict[str, list[TaskEvent]] = {}
            for event in events:
                events_by_ti.setdefault(event.task_instance_id, []).append(event)
            finished_dags: dict[str, int] = {}
            for dag_id, version in timed_out_dags.items():
                with contextlib.suppress(Exception):  # the sweep starts its queued runs
                    finished_dags[dag_id] = (await self._catalog.get(version)).max_active_runs
            for run, paused, _ in locked:
                assert run.id is not None
                run_events = [
                    (event, ti) for ti in by_run.get(run.id, []) for event in events_by_ti[ti.id]
                ]
                row = held.get(run.id)
                if row is not None:
                    if run.id not in retrying:  # still waiting out its backoff
                        set_aside.hold_events(row, [event for event, _ in run_events])
                        continue
                    held_events = [TaskEvent.from_json(e) for e in row.events]
                    tis = await queries.task_instances_by_id(
                        session, {e.task_instance_id for e in held_events}
                    )
                    ti_by_id = {ti.id: ti for ti in tis}
                    run_events += [
                        (e, ti_by_id[e.task_instance_id])
                        for e in held_events
                        if e.task_instance_id in ti_by_id
                    ]
                outcome = await self._step_run(
                    session,
                    run=run,
                    paused=paused,
                    events=run_events,
                    candidates=run_tasks.get(run.id, set()),
                    everything=run.id in full,
                    now=now,
                )
                if row is not None:
                    await set_aside.release(session, run.id)
                    log.info(
                        "set-aside run scheduled again", dag_id=run.dag_id, dag_run_id=run.run_id
                    )
                self._merge(result, outcome)
                if outcome.finished:
                    self._finished_dags.add(run.dag_id)
                    spec = await self._catalog.get(run.dag_version_id)
                    finished_dags[run.dag_id] = spec.max_active_runs
                if outcome.past_changed:
                    spec = await self._catalog.get(run.dag_version_id)
                    following = await queries.next_active_run_pk(session, run)
                    if following is not None:
                        result.follow_up.run_tasks.setdefault(following, set()).update(
                            spec.past_dependent
                        )
            # A finished run frees a place under max_active_runs for a queued one.
            for dag_id, limit in finished_dags.items():
                result.follow_up.run_pks.update(
                    await queries.queued_runs(session, dag_id, limit=limit)
                )
            # The queueing section, in the same transaction: one commit per step. It
            # takes no run locks, so the lock order (runs, then its turn) holds.
            pools: set[str] | None = result.outcome.pools
            if work.sweep or work.dag_ids:
                pools = None  # every pool with tasks waiting (an unpaused DAG's, say)
            if pools is None or pools:
                result.queued = await queue_ready(
                    session,
                    pools=pools,
                    spec_of=self._catalog.get,
                    now=now,
                    skip_runs=excluded,
                    scheduler_id=self._settings.scheduler_id,
                )
        return result

    async def _step_run(self, session, *, run: DagRun, events, **kwargs) -> RunOutcome:  # noqa: ANN001
        """One run's decisions; any failure in them is that run's alone."""
        try:
            spec = await self._catalog.get(run.dag_version_id)
            return await step_run(
                session,
                run=run,
                spec=spec,
                events=events,
                seconds_per_weight=self._settings.scheduler_priority_weight_seconds,
                **kwargs,
            )
        except (OperationalError, InterfaceError):
            raise  # the database, not the run: the whole step is retried
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise
            raise _RunFailed(run, f"database refused: {exc.orig}", [e for e, _ in events]) from exc
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise _RunFailed(run, reason, [event for event, _ in events]) from exc

    @staticmethod
    def _merge(result: _Decided, outcome: RunOutcome) -> None:
        result.outcome.pools |= outcome.pools
        result.outcome.retries += outcome.retries
        result.outcome.decided += outcome.decided

    async def _set_aside(
        self, run: RunRef, reason: str, events: list[TaskEvent], now: datetime
    ) -> None:
        async with self._db.transaction() as session:
            row = await set_aside.set_aside(session, run=run, reason=reason, events=events, now=now)
        log.error(
            "DAG run set aside; others go on",
            dag_id=run.dag_id,
            dag_run_id=run.run_id,
            reason=reason,
            failures=row.failures,
            next_attempt_at=row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        )

    def _wake_at(self, when: datetime, run_pk: int, task_id: str, now: datetime) -> None:
        if len(self._timers) >= MAX_TIMERS:
            return  # the sweep finds retries coming due
        delay = min(max(0.0, (when - now).total_seconds()), 86_400.0)
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle | None = None

        def wake() -> None:
            self._timers.discard(handle)  # type: ignore[arg-type]
            self._inbox.put_nowait(_Work(run_tasks={run_pk: {task_id}}))

        handle = loop.call_later(delay + 0.01, wake)
        self._timers.add(handle)


def new_task_instance_id() -> str:
    return str(uuid.uuid4())
