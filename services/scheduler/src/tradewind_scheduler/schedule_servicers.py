"""ScheduleService and BackfillService: proto in, domain call, proto out."""

from __future__ import annotations

import json
from datetime import datetime

import grpc

from tradewind.scheduler.v1 import (
    backfills_pb2,
    backfills_pb2_grpc,
    schedules_pb2,
    schedules_pb2_grpc,
)
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.timeutil import from_timestamp, to_timestamp, utcnow
from tradewind_scheduler import backfills, schedules
from tradewind_scheduler.backfills import BackfillRequest, ReprocessBehavior
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.convert import json_object
from tradewind_scheduler.models import Backfill
from tradewind_scheduler.schedules import ScheduleLoop

MAX_DAG_IDS = 1000


class ScheduleServicer(schedules_pb2_grpc.ScheduleServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db

    @maps_domain_errors
    async def GetDagSchedules(self, request, context: grpc.aio.ServicerContext):
        if len(request.dag_ids) > MAX_DAG_IDS:
            raise InvalidArgument(f"at most {MAX_DAG_IDS} dag_ids per call")
        async with self._db.reader() as session:
            dags = await schedules.next_runs_of(session, list(request.dag_ids))
        return schedules_pb2.GetDagSchedulesResponse(
            schedules=[
                schedules_pb2.DagSchedule(
                    dag_id=dag.dag_id,
                    next_dagrun_logical_date=to_timestamp(dag.next_dagrun),
                    next_dagrun_data_interval_start=to_timestamp(
                        dag.next_dagrun_data_interval_start
                    ),
                    next_dagrun_data_interval_end=to_timestamp(dag.next_dagrun_data_interval_end),
                    next_dagrun_run_after=to_timestamp(dag.next_dagrun_create_after),
                )
                for dag in dags
            ]
        )


class BackfillServicer(backfills_pb2_grpc.BackfillServiceServicer):
    def __init__(self, db: Database, catalog: DagVersionCache, loop: ScheduleLoop) -> None:
        self._db = db
        self._catalog = catalog
        self._loop = loop

    async def _request(self, request) -> tuple[BackfillRequest, object]:
        if not request.dag_id or not request.dag_version_id:
            raise InvalidArgument("dag_id and dag_version_id are required")
        conf = json_object(request.dag_run_conf_json, "dag_run_conf")
        try:
            behavior = ReprocessBehavior(request.reprocess_behavior or "none")
        except ValueError:
            raise InvalidArgument(
                f"reprocess_behavior must be one of none, failed, completed; "
                f"not {request.reprocess_behavior!r}"
            ) from None
        from_date, to_date = _required(request, "from_date"), _required(request, "to_date")
        spec = await self._catalog.get(request.dag_version_id)
        if spec.dag_id != request.dag_id:
            raise InvalidArgument(f"version {request.dag_version_id} is not of {request.dag_id}")
        return (
            BackfillRequest(
                dag_id=request.dag_id,
                from_date=from_date,
                to_date=to_date,
                run_backwards=request.run_backwards,
                dag_run_conf=conf,
                reprocess_behavior=behavior,
                max_active_runs=request.max_active_runs or 10,
            ),
            spec,
        )

    @maps_domain_errors
    async def CreateBackfill(self, request, context: grpc.aio.ServicerContext):
        wanted, spec = await self._request(request)
        async with self._db.transaction() as session:
            backfill = await backfills.create_backfill(
                session, spec, request.dag_version_id, wanted
            )
        self._loop.wake()
        return backfills_pb2.CreateBackfillResponse(backfill=backfill_to_proto(backfill))

    @maps_domain_errors
    async def DryRunBackfill(self, request, context: grpc.aio.ServicerContext):
        wanted, spec = await self._request(request)
        async with self._db.reader() as session:
            planned = await backfills.plan(session, spec, wanted, now=utcnow())
        return backfills_pb2.DryRunBackfillResponse(
            logical_dates=[to_timestamp(when) for when, reason in planned if reason is None]
        )

    @maps_domain_errors
    async def GetBackfill(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            backfill = await backfills.get_backfill(session, request.backfill_id)
        return backfills_pb2.GetBackfillResponse(backfill=backfill_to_proto(backfill))

    @maps_domain_errors
    async def ListBackfills(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            found, total = await backfills.list_backfills(
                session,
                request.dag_id,
                limit=request.limit or 50,
                offset=request.offset,
                descending=request.descending,
            )
        return backfills_pb2.ListBackfillsResponse(
            backfills=[backfill_to_proto(b) for b in found], total_entries=total
        )

    @maps_domain_errors
    async def PauseBackfill(self, request, context: grpc.aio.ServicerContext):
        return await self._change(backfills.set_paused, request.backfill_id, True)

    @maps_domain_errors
    async def UnpauseBackfill(self, request, context: grpc.aio.ServicerContext):
        return await self._change(backfills.set_paused, request.backfill_id, False)

    @maps_domain_errors
    async def CancelBackfill(self, request, context: grpc.aio.ServicerContext):
        return await self._change(backfills.cancel, request.backfill_id)

    async def _change(self, change, *args):
        async with self._db.transaction() as session:
            backfill = await change(session, *args)
        self._loop.wake()
        return backfills_pb2.GetBackfillResponse(backfill=backfill_to_proto(backfill))


def _required(request, field: str) -> datetime:
    value = from_timestamp(request, field)
    if value is None:
        raise InvalidArgument(f"{field} is required")
    return value


def backfill_to_proto(backfill: Backfill) -> backfills_pb2.Backfill:
    return backfills_pb2.Backfill(
        id=backfill.id,
        dag_id=backfill.dag_id,
        from_date=to_timestamp(backfill.from_date),
        to_date=to_timestamp(backfill.to_date),
        dag_run_conf_json=json.dumps(backfill.dag_run_conf or {}),
        is_paused=backfill.is_paused,
        reprocess_behavior=backfill.reprocess_behavior,
        max_active_runs=backfill.max_active_runs,
        created_at=to_timestamp(backfill.created_at),
        completed_at=to_timestamp(backfill.completed_at),
        updated_at=to_timestamp(backfill.updated_at),
        run_backwards=backfill.run_backwards,
    )
