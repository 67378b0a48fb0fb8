"""Manual control of task instances: clear them so they run again, mark them success,
failed or skipped, and read every try of one. The scheduler owns task instances; these
routes translate Airflow's REST shapes to its RunControlService."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from tradewind.scheduler.v1 import control_pb2, scheduler_pb2
from tradewind_api.clients import _call
from tradewind_api.context import AppContext, get_context
from tradewind_api.control_schemas import (
    ClearTaskInstancesBody,
    PatchTaskInstanceBody,
    TaskInstanceHistoryCollectionResponse,
    TaskInstanceHistoryResponse,
)
from tradewind_api.dag_runs import ti_response
from tradewind_api.dags import get_dag
from tradewind_api.models import Dag, DagVersion
from tradewind_api.schemas import TaskInstanceCollectionResponse
from tradewind_core.errors import Conflict, InvalidArgument, NotFound
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import to_timestamp

router = APIRouter(prefix="/api/v2/dags/{dag_id}", tags=["Task Instance"])
log = get_logger(__name__)
Ctx = Annotated[AppContext, Depends(get_context)]
UpdateMask = Annotated[list[str] | None, Query(description="Fields of the body to apply.")]
MapIndex = Annotated[int, Query(ge=-1, le=-1, description="Always -1: no mapped tasks.")]


async def _dag(ctx: AppContext, dag_id: str) -> Dag:
    async with ctx.db.reader() as session:
        return await get_dag(session, dag_id)


async def collection(ctx: AppContext, dag: Dag, reply) -> TaskInstanceCollectionResponse:
    """Task instances of possibly several runs, each with its run's dates and version."""
    runs = {run.dag_run_id: run for run in reply.dag_runs}
    async with ctx.db.reader() as session:
        versions = {
            v: await session.get(DagVersion, v) for v in {r.dag_version_id for r in runs.values()}
        }
    items = [
        ti_response(ti, runs[ti.dag_run_id], dag, versions.get(runs[ti.dag_run_id].dag_version_id))
        for ti in reply.task_instances
    ]
    return TaskInstanceCollectionResponse(task_instances=items, total_entries=len(items))


def masked_fields(update_mask: list[str] | None, given: set[str], allowed: set[str]) -> set[str]:
    """The body fields to apply: those sent, or those `update_mask` names (Airflow's rule)."""
    if update_mask is None:
        return given & allowed
    unknown = sorted(set(update_mask) - allowed)
    if unknown:
        raise InvalidArgument(
            f"update_mask: {', '.join(unknown)} cannot be updated; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    return set(update_mask)


@router.post(
    "/clearTaskInstances",
    operation_id="post_clear_task_instances",
    summary="Clear task instances so they run again",
    response_model=TaskInstanceCollectionResponse,
    responses={404: {"description": "No such DAG, run or task"}},
)
async def post_clear_task_instances(
    dag_id: str, body: ClearTaskInstancesBody, ctx: Ctx
) -> TaskInstanceCollectionResponse:
    dag = await _dag(ctx, dag_id)
    task_ids = [t if isinstance(t, str) else t[0] for t in body.task_ids or []]
    request = control_pb2.ClearTaskInstancesRequest(
        dag_id=dag_id,
        dry_run=body.dry_run,
        task_ids=task_ids,
        dag_run_id=body.dag_run_id or "",
        start_date=to_timestamp(body.start_date),
        end_date=to_timestamp(body.end_date),
        only_failed=body.only_failed,
        only_running=body.only_running,
        include_upstream=body.include_upstream,
        include_downstream=body.include_downstream,
        include_future=body.include_future,
        include_past=body.include_past,
        reset_dag_runs=body.reset_dag_runs,
    )
    if body.prevent_running_task and not body.dry_run:
        request.dry_run = True
        would = await _call(
            "scheduler", ctx.scheduler.control.ClearTaskInstances(request, timeout=30)
        )
        running = sorted({ti.task_id for ti in would.task_instances if ti.state == "running"})
        if running:
            raise Conflict(f"task instances are running: {', '.join(running)}")
        request.dry_run = False
    reply = await _call("scheduler", ctx.scheduler.control.ClearTaskInstances(request, timeout=30))
    if not body.dry_run:
        log.info("task instances cleared", dag_id=dag_id, count=len(reply.task_instances))
    return await collection(ctx, dag, reply)


async def _patch(
    ctx: AppContext,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    body: PatchTaskInstanceBody,
    update_mask: list[str] | None,
    *,
    dry_run: bool,
) -> TaskInstanceCollectionResponse:
    dag = await _dag(ctx, dag_id)
    fields = masked_fields(update_mask, body.model_fields_set, {"new_state", "note"})
    request = control_pb2.SetTaskInstanceStateRequest(
        dag_id=dag_id,
        dag_run_id=dag_run_id,
        task_id=task_id,
        new_state=(body.new_state or "") if "new_state" in fields else "",
        include_upstream=body.include_upstream,
        include_downstream=body.include_downstream,
        include_future=body.include_future,
        include_past=body.include_past,
        dry_run=dry_run,
    )
    if "note" in fields:
        request.note = body.note or ""
    reply = await _call(
        "scheduler", ctx.scheduler.control.SetTaskInstanceState(request, timeout=30)
    )
    if not dry_run:
        log.info(
            "task instances marked",
            dag_id=dag_id,
            dag_run_id=dag_run_id,
            task_id=task_id,
            state=request.new_state or None,
            count=len(reply.task_instances),
        )
    return await collection(ctx, dag, reply)


@router.patch(
    "/dagRuns/{dag_run_id}/taskInstances/{task_id}",
    operation_id="patch_task_instance",
    summary="Mark a task instance (and its relatives) success, failed or skipped; set its note",
    response_model=TaskInstanceCollectionResponse,
    responses={404: {"description": "No such DAG, run or task"}},
)
async def patch_task_instance(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    body: PatchTaskInstanceBody,
    ctx: Ctx,
    update_mask: UpdateMask = None,
    map_index: MapIndex = -1,
) -> TaskInstanceCollectionResponse:
    return await _patch(ctx, dag_id, dag_run_id, task_id, body, update_mask, dry_run=False)


@router.patch(
    "/dagRuns/{dag_run_id}/taskInstances/{task_id}/dry_run",
    operation_id="patch_task_instance_dry_run",
    summary="The task instances a PATCH would change, changing nothing",
    response_model=TaskInstanceCollectionResponse,
    responses={404: {"description": "No such DAG, run or task"}},
)
async def patch_task_instance_dry_run(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    body: PatchTaskInstanceBody,
    ctx: Ctx,
    update_mask: UpdateMask = None,
    map_index: MapIndex = -1,
) -> TaskInstanceCollectionResponse:
    return await _patch(ctx, dag_id, dag_run_id, task_id, body, update_mask, dry_run=True)


def _try_response(
    ti: scheduler_pb2.TaskInstance, dag: Dag, version: DagVersion | None
) -> TaskInstanceHistoryResponse:
    """A try shows the fields of a task instance that belong to one try (Airflow's
    TaskInstanceHistoryResponse); the run's dates are not among them."""
    full = ti_response(ti, scheduler_pb2.DagRun(), dag, version)
    return TaskInstanceHistoryResponse.model_validate(
        full.model_dump(include=set(TaskInstanceHistoryResponse.model_fields))
    )


async def _tries(
    ctx: AppContext, dag_id: str, dag_run_id: str, task_id: str
) -> list[TaskInstanceHistoryResponse]:
    dag = await _dag(ctx, dag_id)
    request = control_pb2.ListTaskInstanceTriesRequest(
        dag_id=dag_id, dag_run_id=dag_run_id, task_id=task_id
    )
    reply = await _call(
        "scheduler", ctx.scheduler.control.ListTaskInstanceTries(request, timeout=10)
    )
    async with ctx.db.reader() as session:
        versions = {
            v: await session.get(DagVersion, v) for v in {t.dag_version_id for t in reply.tries}
        }
    return [_try_response(t, dag, versions.get(t.dag_version_id)) for t in reply.tries]


@router.get(
    "/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries",
    operation_id="get_task_instance_tries",
    summary="Every try of a task instance, the current one included",
    response_model=TaskInstanceHistoryCollectionResponse,
)
async def get_task_instance_tries(
    dag_id: str, dag_run_id: str, task_id: str, ctx: Ctx, map_index: MapIndex = -1
) -> TaskInstanceHistoryCollectionResponse:
    tries = await _tries(ctx, dag_id, dag_run_id, task_id)
    return TaskInstanceHistoryCollectionResponse(task_instances=tries, total_entries=len(tries))


@router.get(
    "/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries/{task_try_number}",
    operation_id="get_task_instance_try_details",
    summary="One try of a task instance",
    response_model=TaskInstanceHistoryResponse,
)
async def get_task_instance_try_details(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    task_try_number: Annotated[int, Path(ge=0, le=2**31 - 1)],
    ctx: Ctx,
    map_index: MapIndex = -1,
) -> TaskInstanceHistoryResponse:
    for item in await _tries(ctx, dag_id, dag_run_id, task_id):
        if item.try_number == task_try_number:
            return item
    raise NotFound(f"task {task_id!r} has no try {task_try_number} in DAG run {dag_run_id!r}")
