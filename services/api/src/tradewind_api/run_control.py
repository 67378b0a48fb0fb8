"""Manual control of DAG runs: mark one success, failed or queued, clear it so it runs
again, delete it. The scheduler owns runs; these routes speak Airflow's shapes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from tradewind.scheduler.v1 import control_pb2
from tradewind_api.clients import _call
from tradewind_api.context import AppContext, get_context
from tradewind_api.control_schemas import DAGRunClearBody, DAGRunPatchBody
from tradewind_api.dag_runs import run_response
from tradewind_api.dags import get_dag
from tradewind_api.models import DagVersion
from tradewind_api.schemas import DAGRunResponse, TaskInstanceCollectionResponse
from tradewind_api.task_instances import collection, masked_fields
from tradewind_core.logging import get_logger

router = APIRouter(prefix="/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}", tags=["DagRun"])
log = get_logger(__name__)
Ctx = Annotated[AppContext, Depends(get_context)]


@router.patch(
    "",
    operation_id="patch_dag_run",
    summary="Mark a DAG run success, failed or queued; set its note",
    response_model=DAGRunResponse,
    responses={404: {"description": "No such DAG or run"}},
)
async def patch_dag_run(
    dag_id: str,
    dag_run_id: str,
    body: DAGRunPatchBody,
    ctx: Ctx,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> DAGRunResponse:
    fields = masked_fields(update_mask, body.model_fields_set, {"state", "note"})
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
    request = control_pb2.PatchDagRunRequest(
        dag_id=dag_id,
        dag_run_id=dag_run_id,
        state=(body.state or "") if "state" in fields else "",
    )
    if "note" in fields:
        request.note = body.note or ""
    reply = await _call("scheduler", ctx.scheduler.control.PatchDagRun(request, timeout=30))
    if request.state:
        log.info("DAG run marked", dag_id=dag_id, dag_run_id=dag_run_id, state=request.state)
    async with ctx.db.reader() as session:
        version = await session.get(DagVersion, reply.dag_run.dag_version_id)
    return run_response(reply.dag_run, dag, version)


@router.post(
    "/clear",
    operation_id="clear_dag_run",
    summary="Clear a DAG run's task instances so they run again",
    response_model=TaskInstanceCollectionResponse | DAGRunResponse,
    responses={404: {"description": "No such DAG or run"}},
)
async def clear_dag_run(
    dag_id: str, dag_run_id: str, body: DAGRunClearBody, ctx: Ctx
) -> TaskInstanceCollectionResponse | DAGRunResponse:
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
    request = control_pb2.ClearTaskInstancesRequest(
        dag_id=dag_id,
        dag_run_id=dag_run_id,
        dry_run=body.dry_run,
        only_failed=body.only_failed,
        reset_dag_runs=True,
    )
    reply = await _call("scheduler", ctx.scheduler.control.ClearTaskInstances(request, timeout=30))
    if body.dry_run:
        return await collection(ctx, dag, reply)
    log.info("DAG run cleared", dag_id=dag_id, dag_run_id=dag_run_id)
    run = await ctx.scheduler.get_run(dag_id, dag_run_id)
    async with ctx.db.reader() as session:
        version = await session.get(DagVersion, run.dag_version_id)
    return run_response(run, dag, version)


@router.delete(
    "",
    operation_id="delete_dag_run",
    summary="Delete a DAG run; what still runs of it is stopped",
    status_code=204,
    responses={404: {"description": "No such DAG or run"}},
)
async def delete_dag_run(dag_id: str, dag_run_id: str, ctx: Ctx) -> Response:
    async with ctx.db.reader() as session:
        await get_dag(session, dag_id)
    request = control_pb2.DeleteDagRunRequest(dag_id=dag_id, dag_run_id=dag_run_id)
    await _call("scheduler", ctx.scheduler.control.DeleteDagRun(request, timeout=30))
    log.info("DAG run deleted", dag_id=dag_id, dag_run_id=dag_run_id)
    return Response(status_code=204)
