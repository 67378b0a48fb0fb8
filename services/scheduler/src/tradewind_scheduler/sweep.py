"""The periodic sweep: what events missed (a lost dispatch, a crash between two steps, a
restart), found by indexed queries and bounded per pass. Each kind of work is read a page
at a time (`scheduler_max_dagruns_per_loop`), and the next pass goes on where this one
stopped, so a sweep never holds the events behind it for long however much is in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tradewind.dispatch.v1 import dispatch_pb2
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import as_utc
from tradewind_scheduler import queries, set_aside, timeouts
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.dispatch_messages import dispatch_message
from tradewind_scheduler.events import TaskEvent
from tradewind_scheduler.models import AttemptStop, DagRun
from tradewind_scheduler.settings import SchedulerSettings

log = get_logger(__name__)
MAX_QUEUED_PER_PASS = 1000


@dataclass
class SweepWork:
    run_pks: set[int] = field(default_factory=set)  # queued runs to start; runs set aside
    full_runs: set[int] = field(default_factory=set)  # running runs nothing will wake
    run_tasks: dict[int, set[str]] = field(default_factory=dict)  # retries due
    events: list[TaskEvent] = field(default_factory=list)  # queued for too long
    retrying: set[int] = field(default_factory=set)  # set-aside runs tried again
    resend: list[dispatch_pb2.TaskDispatch] = field(default_factory=list)
    timed_out: list[DagRun] = field(default_factory=list)  # failed by dagrun_timeout


class Sweep:
    def __init__(self, settings: SchedulerSettings, catalog: DagVersionCache) -> None:
        self._settings = settings
        self._catalog = catalog
        self._queued_cursor = 0
        self._running_cursor = 0
        self._last_sent: dict[str, datetime] = {}

    async def find(self, session: AsyncSession, now: datetime) -> SweepWork:
        limit = self._settings.scheduler_max_dagruns_per_loop
        work = SweepWork()
        work.timed_out = list((await timeouts.fail_overdue_runs(session, now)).runs.values())
        queued = await queries.queued_run_pks(session, cursor=self._queued_cursor, limit=limit)
        self._queued_cursor = queued[-1] if len(queued) == limit else 0
        work.run_pks.update(queued)
        running = await queries.running_runs_after(session, self._running_cursor, limit=limit)
        self._running_cursor = running[-1] if len(running) == limit else 0
        work.full_runs.update(await queries.idle_runs(session, running))
        for run_pk, task_id in await queries.due_retries(session, now, limit=limit):
            work.run_tasks.setdefault(run_pk, set()).add(task_id)
        work.retrying = set(await set_aside.due(session, now, limit=limit))
        work.run_pks |= work.retrying
        await self._queued_too_long(session, now, work)
        return work

    async def _queued_too_long(self, session: AsyncSession, now: datetime, work: SweepWork) -> None:
        """Queued task instances the dispatcher may never have received are sent again
        (it ignores ones it has), each at most once per period; past task_queued_timeout
        their try fails instead, so none holds a slot forever."""
        period = timedelta(seconds=self._settings.scheduler_redispatch_after)
        timeout = timedelta(seconds=self._settings.task_queued_timeout)
        rows = await queries.queued_since(session, now - period, limit=MAX_QUEUED_PER_PASS)
        # Remember resends only while their task instances stay queued: bounded memory.
        self._last_sent = {k: v for k, v in self._last_sent.items() if k in {t.id for t, _ in rows}}
        for ti, run in rows:
            if now - as_utc(ti.queued_when) >= timeout:  # type: ignore[operator]
                reason = (
                    f"queued for more than {self._settings.task_queued_timeout:g} s "
                    "without starting (task_queued_timeout)"
                )
                work.events.append(
                    TaskEvent(
                        task_instance_id=ti.id,
                        try_number=ti.try_number,
                        finished=True,
                        state="failed",
                        reason=reason,
                    )
                )
                # The try is over: should its message still reach a worker, the
                # dispatcher must refuse the claim, or it would run beside the retry.
                session.add(
                    AttemptStop(
                        task_instance_id=ti.id,
                        try_number=ti.try_number,
                        reason=reason,
                        created_at=now,
                    )
                )
                continue
            last = self._last_sent.get(ti.id)
            if last is not None and now - last < period:
                continue
            self._last_sent[ti.id] = now
            try:
                spec = await self._catalog.get(run.dag_version_id)
            except Exception:  # the run's own step sets it aside with the reason
                continue
            task = spec.task_by_id.get(ti.task_id)
            if task is not None:
                work.resend.append(dispatch_message(run, spec, task, ti))
        if work.resend:
            log.info("resending queued task instances", count=len(work.resend))
