"""SchedulerService: proto in, domain call, proto out."""

from __future__ import annotations

import json

import grpc
from sqlalchemy import func, select

from tradewind.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.timeutil import from_timestamp, to_timestamp
from tradewind_scheduler import runs
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.convert import run_to_proto, ti_to_proto
from tradewind_scheduler.models import SchedulerJob
from tradewind_scheduler.scheduling import SchedulingLoop, TaskEvent

_FINISHED_STATES = {"success", "failed", "skipped"}


class SchedulerServicer(scheduler_pb2_grpc.SchedulerServiceServicer):
    def __init__(self, db: Database, catalog: DagVersionCache, loop: SchedulingLoop) -> None:
        self._db = db
        self._catalog = catalog
        self._loop = loop

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
        return scheduler_pb2.RegisterDagResponse()

    @maps_domain_errors
    async def TriggerDagRun(self, request, context: grpc.aio.ServicerContext):
        try:
            conf = json.loads(request.conf_json) if request.conf_json else {}
        except json.JSONDecodeError as exc:
            raise InvalidArgument(f"conf_json is not JSON: {exc}") from None
        if not isinstance(conf, dict):
            raise InvalidArgument("conf must be a JSON object")
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
        events = []
        for event in request.events:
            finished = event.kind == scheduler_pb2.TASK_EVENT_KIND_FINISHED
            if event.kind == scheduler_pb2.TASK_EVENT_KIND_UNSPECIFIED:
                raise InvalidArgument(f"event for {event.task_instance_id} has no kind")
            if finished and event.state not in _FINISHED_STATES:
                raise InvalidArgument(
                    f"finished event for {event.task_instance_id} has state {event.state!r}; "
                    f"expected one of {sorted(_FINISHED_STATES)}"
                )
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
            latest = await session.scalar(select(func.max(SchedulerJob.latest_heartbeat)))
        return scheduler_pb2.GetSchedulerStatusResponse(
            latest_scheduler_heartbeat=to_timestamp(latest)
        )
