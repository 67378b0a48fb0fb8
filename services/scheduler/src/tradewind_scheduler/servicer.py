"""SchedulerService: proto in, domain call, proto out."""

from __future__ import annotations

from datetime import datetime

import grpc

from tradewind.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.timeutil import from_timestamp, to_timestamp
from tradewind_scheduler import heartbeat, runs, set_aside
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.convert import json_object, run_to_proto, ti_to_proto
from tradewind_scheduler.schedules import ScheduleLoop
from tradewind_scheduler.scheduling import SchedulingLoop, TaskEvent

_FINISHED_STATES = {"success", "failed", "skipped"}
MAX_SET_ASIDE_SHOWN = 100


class SchedulerServicer(scheduler_pb2_grpc.SchedulerServiceServicer):
    def __init__(
        self,
        db: Database,
        catalog: DagVersionCache,
        loop: SchedulingLoop,
        *,
        schedules: ScheduleLoop | None = None,
    ) -> None:
        self._db = db
        self._catalog = catalog
        self._loop = loop
        self._schedules = schedules

    @maps_domain_errors
    async def RegisterDag(self, request, context: grpc.aio.ServicerContext):
        if not request.dag_id or not request.dag_version_id:
            raise InvalidArgument("dag_id and dag_version_id are required")
        async with self._db.transaction() as session:
            await runs.register_dag(
                session,
                dag_id=request.dag_id,
                dag_version_id=request.dag_version_id,
                is_paused=request.is_paused,
            )
        self._loop.dag_changed(request.dag_id)
        if self._schedules is not None:
            self._schedules.dag_changed(request.dag_id)
        return scheduler_pb2.RegisterDagResponse()

    @maps_domain_errors
    async def TriggerDagRun(self, request, context: grpc.aio.ServicerContext):
        conf = json_object(request.conf_json, "conf")
        data_interval = _data_interval(request)
        spec = await self._catalog.get(request.dag_version_id)
        if spec.dag_id != request.dag_id:
            raise InvalidArgument(f"version {request.dag_version_id} is not of {request.dag_id}")
        async with self._db.transaction() as session:
            run = await runs.create_run(
                session,
                spec=spec,
                dag_version_id=request.dag_version_id,
                run_id=request.dag_run_id or None,
                logical_date=from_timestamp(request, "logical_date"),
                conf=conf,
                note=request.note or None,
                triggered_by=request.triggered_by or "rest_api",
                data_interval=data_interval,
                run_after=from_timestamp(request, "run_after"),
            )
        self._loop.run_created(run.id)
        return scheduler_pb2.TriggerDagRunResponse(dag_run=run_to_proto(run))

    @maps_domain_errors
    async def GetDagRun(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            run = await runs.get_run(session, request.dag_id, request.dag_run_id)
        return scheduler_pb2.GetDagRunResponse(dag_run=run_to_proto(run))

    @maps_domain_errors
    async def ListDagRuns(self, request, context: grpc.aio.ServicerContext):
        limit = request.limit or 50
        async with self._db.reader() as session:
            found, total = await runs.list_runs(
                session, request.dag_id, limit=limit, offset=request.offset
            )
        return scheduler_pb2.ListDagRunsResponse(
            dag_runs=[run_to_proto(r) for r in found], total_entries=total
        )

    @maps_domain_errors
    async def ListTaskInstances(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            run, tis = await runs.list_task_instances(session, request.dag_id, request.dag_run_id)
        return scheduler_pb2.ListTaskInstancesResponse(
            task_instances=[ti_to_proto(ti, run.dag_version_id) for ti in tis]
        )

    @maps_domain_errors
    async def ReportTaskEvents(self, request, context: grpc.aio.ServicerContext):
        # A malformed event is set aside with its reason, never refused with the batch: the
        # reporter resends refused batches, and one bad event would hold up every later one.
        events = []
        for event in request.events:
            finished = event.kind == scheduler_pb2.TASK_EVENT_KIND_FINISHED
            problem = _event_problem(event, finished)
            if problem:
                self._loop.refuse_event(event.task_instance_id, problem)
                continue
            events.append(
                TaskEvent(
                    task_instance_id=event.task_instance_id,
                    try_number=event.try_number,
                    finished=finished,
                    state=event.state,
                    start_date=from_timestamp(event, "start_date"),
                    end_date=from_timestamp(event, "end_date"),
                    hostname=event.hostname,
                    pid=event.pid or None,
                    reason=event.reason,
                )
            )
        ready = await self._loop.report(events) if events else []
        return scheduler_pb2.ReportTaskEventsResponse(ready_tasks=ready)

    @maps_domain_errors
    async def GetSchedulerStatus(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            latest = await heartbeat.latest(session)
            aside, total = await set_aside.listing(session, limit=MAX_SET_ASIDE_SHOWN)
        stats = self._loop.stats
        return scheduler_pb2.GetSchedulerStatusResponse(
            latest_scheduler_heartbeat=to_timestamp(latest),
            set_aside_runs=[
                scheduler_pb2.SetAsideRun(
                    dag_id=row.dag_id,
                    dag_run_id=row.run_id,
                    reason=row.reason,
                    failures=row.failures,
                    set_aside_at=to_timestamp(row.set_aside_at),
                    next_attempt_at=to_timestamp(row.next_attempt_at),
                )
                for row in aside
            ],
            set_aside_total=total,
            stats=scheduler_pb2.SchedulingStats(
                steps=stats.steps,
                step_seconds=stats.seconds,
                decided_task_instances=stats.decided,
                queued_task_instances=stats.queued,
            ),
            refused_events=[
                scheduler_pb2.RefusedTaskEvent(task_instance_id=ti_id, reason=reason)
                for ti_id, reason in self._loop.refused_events
            ],
        )


def _event_problem(event: scheduler_pb2.TaskEvent, finished: bool) -> str:
    if not event.task_instance_id:
        return "the event names no task instance"
    if event.kind == scheduler_pb2.TASK_EVENT_KIND_UNSPECIFIED:
        return f"event for {event.task_instance_id} has no kind"
    if finished and event.state not in _FINISHED_STATES:
        return (
            f"finished event for {event.task_instance_id} has state {event.state!r}; "
            f"expected one of {sorted(_FINISHED_STATES)}"
        )
    return ""


def _data_interval(request) -> tuple[datetime, datetime] | None:
    """Airflow 3's rule: both ends or neither, only with a logical date, start <= end."""
    start = from_timestamp(request, "data_interval_start")
    end = from_timestamp(request, "data_interval_end")
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidArgument("data_interval_start and data_interval_end go together")
    if not request.HasField("logical_date"):
        raise InvalidArgument("a data interval needs a logical_date")
    if end < start:
        raise InvalidArgument("data_interval_end is before data_interval_start")
    return start, end
