"""RunControlService: proto in, control call, proto out. After each commit it wakes the
stop sender (attempts to take away) and the scheduling loop (runs to look at again)."""

from __future__ import annotations

import grpc

from tradewind.scheduler.v1 import control_pb2, control_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.spec import DagSpec
from tradewind_core.states import (
    MARKABLE_RUN_STATES,
    MARKABLE_TI_STATES,
    DagRunState,
    TaskInstanceState,
)
from tradewind_core.timeutil import from_timestamp
from tradewind_scheduler import control
from tradewind_scheduler.catalog import DagVersionCache
from tradewind_scheduler.convert import run_to_proto, ti_to_proto
from tradewind_scheduler.models import TaskInstanceHistory
from tradewind_scheduler.scheduling import SchedulingLoop
from tradewind_scheduler.stopping import StopSender


class RunControlServicer(control_pb2_grpc.RunControlServiceServicer):
    def __init__(
        self, db: Database, catalog: DagVersionCache, loop: SchedulingLoop, stops: StopSender
    ) -> None:
        self._db = db
        self._catalog = catalog
        self._loop = loop
        self._stops = stops

    async def _specs(self, dag_id: str) -> dict[str, DagSpec]:
        """Fetched before the transaction opens (cached after the first time)."""
        async with self._db.reader() as session:
            ids = await control.dag_version_ids(session, dag_id)
        return {version: await self._catalog.get(version) for version in sorted(ids)}

    def _after_commit(self, changed: control.Changed) -> None:
        if changed.stops:
            self._stops.wake()
        for run_pk in sorted(changed.to_schedule):
            self._loop.run_created(run_pk)

    @maps_domain_errors
    async def ClearTaskInstances(self, request, context: grpc.aio.ServicerContext):
        if not request.dag_id:
            raise InvalidArgument("dag_id is required")
        specs = await self._specs(request.dag_id)
        clear = control.ClearRequest(
            dag_id=request.dag_id,
            dry_run=request.dry_run,
            task_ids=tuple(request.task_ids),
            dag_run_id=request.dag_run_id or None,
            start_date=from_timestamp(request, "start_date"),
            end_date=from_timestamp(request, "end_date"),
            only_failed=request.only_failed,
            only_running=request.only_running,
            include_upstream=request.include_upstream,
            include_downstream=request.include_downstream,
            include_future=request.include_future,
            include_past=request.include_past,
            reset_dag_runs=request.reset_dag_runs,
        )
        async with self._db.transaction() as session:
            changed = await control.clear_task_instances(session, clear, specs=specs)
            reply = _changed_to_proto(changed, control_pb2.ClearTaskInstancesResponse)
        self._after_commit(changed)
        return reply

    @maps_domain_errors
    async def SetTaskInstanceState(self, request, context: grpc.aio.ServicerContext):
        new_state = None
        if request.new_state:
            if request.new_state not in {s.value for s in MARKABLE_TI_STATES}:
                raise InvalidArgument(
                    f"new_state {request.new_state!r} is not one of "
                    + ", ".join(sorted(s.value for s in MARKABLE_TI_STATES))
                )
            new_state = TaskInstanceState(request.new_state)
        specs = await self._specs(request.dag_id)
        mark = control.MarkRequest(
            dag_id=request.dag_id,
            dag_run_id=request.dag_run_id,
            task_id=request.task_id,
            new_state=new_state,
            note=request.note if request.HasField("note") else None,
            include_upstream=request.include_upstream,
            include_downstream=request.include_downstream,
            include_future=request.include_future,
            include_past=request.include_past,
            dry_run=request.dry_run,
        )
        async with self._db.transaction() as session:
            changed = await control.set_task_instance_state(session, mark, specs=specs)
            reply = _changed_to_proto(changed, control_pb2.SetTaskInstanceStateResponse)
        self._after_commit(changed)
        return reply

    @maps_domain_errors
    async def PatchDagRun(self, request, context: grpc.aio.ServicerContext):
        state = None
        if request.state:
            if request.state not in {s.value for s in MARKABLE_RUN_STATES}:
                raise InvalidArgument(
                    f"state {request.state!r} is not one of "
                    + ", ".join(sorted(s.value for s in MARKABLE_RUN_STATES))
                )
            state = DagRunState(request.state)
        async with self._db.transaction() as session:
            changed = await control.patch_dag_run(
                session,
                dag_id=request.dag_id,
                run_id=request.dag_run_id,
                state=state,
                note=request.note if request.HasField("note") else None,
            )
            (run,) = changed.runs.values()
            reply = control_pb2.PatchDagRunResponse(dag_run=run_to_proto(run))
        self._after_commit(changed)
        return reply

    @maps_domain_errors
    async def DeleteDagRun(self, request, context: grpc.aio.ServicerContext):
        async with self._db.transaction() as session:
            changed = await control.delete_dag_run(
                session, dag_id=request.dag_id, run_id=request.dag_run_id
            )
        self._after_commit(changed)
        # A deleted run frees its place under max_active_runs.
        self._loop.dag_changed(request.dag_id)
        return control_pb2.DeleteDagRunResponse()

    @maps_domain_errors
    async def DeleteDag(self, request, context: grpc.aio.ServicerContext):
        async with self._db.transaction() as session:
            deleted, changed = await control.delete_dag(session, dag_id=request.dag_id)
        self._after_commit(changed)
        return control_pb2.DeleteDagResponse(deleted_runs=deleted)

    @maps_domain_errors
    async def ListTaskInstanceTries(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            run, tries = await control.list_tries(
                session, dag_id=request.dag_id, run_id=request.dag_run_id, task_id=request.task_id
            )
        return control_pb2.ListTaskInstanceTriesResponse(
            tries=[
                ti_to_proto(
                    t,
                    t.dag_version_id if isinstance(t, TaskInstanceHistory) else run.dag_version_id,
                )
                for t in tries
            ],
            dag_version_id=run.dag_version_id,
        )


def _changed_to_proto(changed: control.Changed, response_type):
    runs = changed.runs
    return response_type(
        task_instances=[
            ti_to_proto(ti, runs[ti.dag_run_pk].dag_version_id) for ti in changed.task_instances
        ],
        dag_runs=[run_to_proto(run) for run in runs.values()],
    )
