"""DAG runs and their task instances. The scheduler owns them; these routes translate
between Airflow's REST shapes and the scheduler's gRPC API."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import PlainTextResponse

from tradewind.scheduler.v1 import scheduler_pb2
from tradewind_api.context import AppContext, get_context
from tradewind_api.dags import get_dag, version_response
from tradewind_api.models import Dag, DagVersion
from tradewind_api.schemas import (
    DAGRunCollectionResponse,
    DAGRunResponse,
    StructuredLogMessage,
    TaskInstanceCollectionResponse,
    TaskInstanceResponse,
    TaskInstancesLogResponse,
    TriggerDAGRunPostBody,
)
from tradewind_core.errors import AlreadyExists, NotFound
from tradewind_core.logging import get_logger
from tradewind_core.spec import OPERATOR_NAMES
from tradewind_core.timeutil import from_timestamp, to_timestamp

router = APIRouter(prefix="/api/v2/dags/{dag_id}/dagRuns")
log = get_logger(__name__)
Ctx = Annotated[AppContext, Depends(get_context)]


def _duration(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def run_response(run: scheduler_pb2.DagRun, dag: Dag, version: DagVersion | None) -> DAGRunResponse:
    start, end = from_timestamp(run, "start_date"), from_timestamp(run, "end_date")
    return DAGRunResponse(
        dag_run_id=run.dag_run_id,
        dag_id=run.dag_id,
        logical_date=from_timestamp(run, "logical_date"),
        queued_at=from_timestamp(run, "queued_at"),
        start_date=start,
        end_date=end,
        duration=_duration(start, end),
        run_after=from_timestamp(run, "run_after"),
        data_interval_start=from_timestamp(run, "data_interval_start"),
        data_interval_end=from_timestamp(run, "data_interval_end"),
        run_type=run.run_type,
        state=run.state,
        triggered_by=run.triggered_by or None,
        conf=json.loads(run.conf_json or "{}"),
        note=run.note or None,
        dag_versions=[version_response(version, dag)] if version else [],
        dag_display_name=dag.dag_display_name or dag.dag_id,
    )


async def dag_and_versions(ctx: AppContext, dag_id: str, version_ids: set[str]):
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
        versions = {v: await session.get(DagVersion, v) for v in version_ids}
    return dag, versions


@router.post(
    "",
    operation_id="trigger_dag_run",
    tags=["DagRun"],
    summary="Trigger a DAG run",
    response_model=DAGRunResponse,
    responses={
        404: {"description": "No such DAG"},
        409: {"description": "dag_run_id is taken"},
        413: {"description": "conf is larger than TRADEWIND_API_MAX_CONF_BYTES"},
    },
)
async def trigger_dag_run(
    dag_id: str,
    body: TriggerDAGRunPostBody,
    ctx: Ctx,
    idempotency_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> DAGRunResponse:
    run, _ = await trigger(ctx, dag_id, body, idempotency_key)
    return run


async def trigger(
    ctx: AppContext,
    dag_id: str,
    body: TriggerDAGRunPostBody,
    idempotency_key: str | None,
) -> tuple[DAGRunResponse, bool]:
    """Triggers a run of the DAG's newest version (REST and gRPC alike). Returns the run
    and whether this call made it (false: the idempotency key's first call did)."""
    conf_json = json.dumps(body.conf)
    limit = ctx.settings.api_max_conf_bytes
    if len(conf_json.encode()) > limit:
        raise HTTPException(
            413, f"conf: {len(conf_json.encode())} bytes of JSON; at most {limit} are accepted"
        )
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
        version = await session.get(DagVersion, dag.latest_version_id)
    run_id = body.dag_run_id or ""
    if not run_id and idempotency_key:
        # Named after the key, so even a retry after this process died half-way (its
        # answer never recorded) finds the run it made instead of making a second one.
        run_id = (
            "manual__" + hashlib.sha256(f"{dag_id}\0{idempotency_key}".encode()).hexdigest()[:32]
        )
    request = scheduler_pb2.TriggerDagRunRequest(
        dag_id=dag_id,
        dag_version_id=dag.latest_version_id,
        dag_run_id=run_id,
        logical_date=to_timestamp(body.logical_date),
        data_interval_start=to_timestamp(body.data_interval_start),
        data_interval_end=to_timestamp(body.data_interval_end),
        run_after=to_timestamp(body.run_after),
        conf_json=conf_json,
        note=body.note or "",
        # Airflow's clients know a fixed set of values; the gRPC API is an API too.
        triggered_by="rest_api",
    )
    created = True
    try:
        run = await ctx.scheduler.trigger(request)
    except AlreadyExists:
        if body.dag_run_id or not idempotency_key:
            raise
        run = await ctx.scheduler.get_run(dag_id, run_id)  # made by this key's first try
        created = False
    log.info("DAG run triggered", dag_id=dag_id, dag_run_id=run.dag_run_id, created=created)
    return run_response(run, dag, version), created


# A DAG's runs in creation order, a page at a time: what the public gRPC API lists. The
# REST lists, with Airflow's filters and orderings, are in run_lists.
async def dag_runs_page(
    dag_id: str,
    ctx: Ctx,
    limit: int = 50,
    offset: int = 0,
) -> DAGRunCollectionResponse:
    reply = await ctx.scheduler.list_runs(dag_id, limit, offset)
    dag, versions = await dag_and_versions(ctx, dag_id, {r.dag_version_id for r in reply.dag_runs})
    return DAGRunCollectionResponse(
        dag_runs=[run_response(r, dag, versions.get(r.dag_version_id)) for r in reply.dag_runs],
        total_entries=reply.total_entries,
    )


@router.get(
    "/{dag_run_id}",
    operation_id="get_dag_run",
    tags=["DagRun"],
    summary="Get a DAG run",
    response_model=DAGRunResponse,
)
async def get_dag_run(dag_id: str, dag_run_id: str, ctx: Ctx) -> DAGRunResponse:
    async with ctx.db.reader() as session:
        await get_dag(session, dag_id)
    run = await ctx.scheduler.get_run(dag_id, dag_run_id)
    dag, versions = await dag_and_versions(ctx, dag_id, {run.dag_version_id})
    return run_response(run, dag, versions.get(run.dag_version_id))


def ti_response(
    ti: scheduler_pb2.TaskInstance, run: scheduler_pb2.DagRun, dag: Dag, version: DagVersion | None
) -> TaskInstanceResponse:
    start, end = from_timestamp(ti, "start_date"), from_timestamp(ti, "end_date")
    return TaskInstanceResponse(
        id=ti.id,
        task_id=ti.task_id,
        dag_id=ti.dag_id,
        dag_run_id=ti.dag_run_id,
        map_index=ti.map_index,
        logical_date=from_timestamp(run, "logical_date"),
        run_after=from_timestamp(run, "run_after"),
        start_date=start,
        end_date=end,
        duration=_duration(start, end),
        state=ti.state or None,
        try_number=ti.try_number,
        max_tries=ti.max_tries,
        task_display_name=ti.task_id,
        dag_display_name=dag.dag_display_name or dag.dag_id,
        hostname=ti.hostname or None,
        pool=ti.pool,
        pool_slots=ti.pool_slots,
        queue=ti.queue,
        priority_weight=ti.priority_weight,
        operator=ti.operator,
        operator_name=OPERATOR_NAMES.get(ti.operator, ti.operator),
        queued_when=from_timestamp(ti, "queued_when"),
        scheduled_when=from_timestamp(ti, "scheduled_when"),
        pid=ti.pid or None,
        note=ti.note or None,
        dag_version=version_response(version, dag) if version else None,
    )


async def run_and_task_instances(ctx: AppContext, dag_id: str, dag_run_id: str):
    async with ctx.db.reader() as session:
        await get_dag(session, dag_id)
    run = await ctx.scheduler.get_run(dag_id, dag_run_id)
    tis = await ctx.scheduler.task_instances(dag_id, dag_run_id)
    dag, versions = await dag_and_versions(ctx, dag_id, {run.dag_version_id})
    return run, tis, dag, versions.get(run.dag_version_id)


# Every task instance of one run, for the public gRPC API.
async def task_instances_of_run(
    dag_id: str, dag_run_id: str, ctx: Ctx
) -> TaskInstanceCollectionResponse:
    run, tis, dag, version = await run_and_task_instances(ctx, dag_id, dag_run_id)
    return TaskInstanceCollectionResponse(
        task_instances=[ti_response(ti, run, dag, version) for ti in tis],
        total_entries=len(tis),
    )


@router.get(
    "/{dag_run_id}/taskInstances/{task_id}",
    operation_id="get_task_instance",
    tags=["Task Instance"],
    summary="Get a task instance",
    response_model=TaskInstanceResponse,
)
async def get_task_instance(
    dag_id: str, dag_run_id: str, task_id: str, ctx: Ctx
) -> TaskInstanceResponse:
    run, tis, dag, version = await run_and_task_instances(ctx, dag_id, dag_run_id)
    for ti in tis:
        if ti.task_id == task_id:
            return ti_response(ti, run, dag, version)
    raise NotFound(f"task {task_id!r} is not in DAG run {dag_run_id!r}")


@router.get(
    "/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}",
    operation_id="get_log",
    tags=["Task Instance"],
    summary="Get the log of one try of a task instance",
    description="JSON answers one page of structured lines and a `continuation_token`: "
    "pass it back as `token` for the lines after that page, which is how a running task "
    "is followed. With `Accept: text/plain` the whole log comes as text.",
    response_model=TaskInstancesLogResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
async def get_log(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    try_number: Annotated[int, Path(ge=1, le=2**31 - 1)],
    ctx: Ctx,
    request: Request,
    token: Annotated[str | None, Query(max_length=40)] = None,
):
    ti = await get_task_instance(dag_id, dag_run_id, task_id, ctx)
    missing = NotFound(f"task {task_id!r} has no try {try_number} in DAG run {dag_run_id!r}")
    if "text/plain" in request.headers.get("accept", ""):
        # Every page, as text; the per-try cap bounds how many there are.
        lines: list[str] = []
        cursor = token or ""
        while True:
            page = await ctx.dispatcher.read_task_log(ti.id, try_number, cursor)
            if not page.found:
                raise missing
            lines.extend(line.event + "\n" for line in page.lines)
            if page.complete or not page.lines:
                break
            cursor = page.continuation_token
        return PlainTextResponse("".join(lines))
    page = await ctx.dispatcher.read_task_log(ti.id, try_number, token or "")
    if not page.found:
        raise missing
    return TaskInstancesLogResponse(
        content=[
            StructuredLogMessage(
                timestamp=from_timestamp(line, "timestamp"),
                event=line.event,
                level=line.level,
                stream=line.stream or None,
            )
            for line in page.lines
        ],
        continuation_token=None if page.complete else page.continuation_token,
    )
