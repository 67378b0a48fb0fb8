"""Lists of runs and task instances, one DAG's or (with `~` for the DAG or run id) every
DAG's, by query parameters or by a batch body (`.../list`): Airflow 3's filters, ordering
and paging, answered by the scheduler's RunQueryService."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select

from tradewind.scheduler.v1 import queries_pb2, scheduler_pb2
from tradewind_api.auth.visibility import narrowed, visible_dag_ids
from tradewind_api.clients import call
from tradewind_api.context import AppContext, get_context
from tradewind_api.dag_runs import run_response, ti_response
from tradewind_api.dags import get_dag
from tradewind_api.models import Dag, DagVersion
from tradewind_api.schemas import (
    DAGRunCollectionResponse,
    TaskInstanceCollectionResponse,
)
from tradewind_core.errors import InvalidArgument
from tradewind_core.states import DagRunState, TaskInstanceState
from tradewind_core.timeutil import to_timestamp

router = APIRouter(prefix="/api/v2/dags/{dag_id}/dagRuns")
Ctx = Annotated[AppContext, Depends(get_context)]
ALL = "~"
RUN_STATES = {s.value for s in DagRunState}
TI_STATES = {s.value for s in TaskInstanceState} | {"no_status"}
RUN_TYPES = {"backfill", "scheduled", "manual", "asset_triggered", "asset_materialization"}
RUN_ORDER = {
    "id",
    "dag_id",
    "run_id",
    "dag_run_id",
    "state",
    "run_type",
    "logical_date",
    "run_after",
    "start_date",
    "end_date",
    "queued_at",
}
TI_ORDER = {
    "id",
    "dag_id",
    "run_id",
    "dag_run_id",
    "task_id",
    "map_index",
    "state",
    "try_number",
    "start_date",
    "end_date",
    "priority_weight",
    "pool",
    "queue",
}
Instant = AwareDatetime | None
Limit = Annotated[int, Query(ge=0, le=1000)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


def _check(values: list[str] | None, allowed: set[str], field: str) -> list[str]:
    unknown = sorted(set(values or []) - allowed)
    if unknown:
        raise InvalidArgument(
            f"{field}: {', '.join(unknown)} is not one of {', '.join(sorted(allowed))}"
        )
    return list(values or [])


def _order(order_by: list[str] | None, allowed: set[str]) -> str:
    items = []
    for item in order_by or []:
        name = item.removeprefix("-")
        if name not in allowed:
            raise InvalidArgument(
                f"order_by: {name!r} is not allowed; allowed: {', '.join(sorted(allowed))}"
            )
        column = "run_id" if name == "dag_run_id" else name
        items.append(("-" if item.startswith("-") else "") + column)
    return ",".join(items)


def _fields(order_by: str | None) -> list[str]:
    """A batch body's order_by: one field name, or several separated by commas."""
    return [item.strip() for item in (order_by or "").split(",") if item.strip()]


def _range(fields: dict[str, Any], name: str) -> queries_pb2.TimeRange:
    message = queries_pb2.TimeRange()
    for bound in ("gte", "gt", "lte", "lt"):
        value = fields.get(f"{name}_{bound}")
        if value is not None:
            getattr(message, bound).CopyFrom(to_timestamp(value))
    return message


class DateFilters(BaseModel):
    """Airflow's date ranges: `<field>_gte`, `_gt`, `_lte`, `_lt`, each with a timezone."""

    logical_date_gte: Instant = None
    logical_date_gt: Instant = None
    logical_date_lte: Instant = None
    logical_date_lt: Instant = None
    run_after_gte: Instant = None
    run_after_gt: Instant = None
    run_after_lte: Instant = None
    run_after_lt: Instant = None
    start_date_gte: Instant = None
    start_date_gt: Instant = None
    start_date_lte: Instant = None
    start_date_lt: Instant = None
    end_date_gte: Instant = None
    end_date_gt: Instant = None
    end_date_lte: Instant = None
    end_date_lt: Instant = None


class DAGRunsBatchBody(DateFilters):
    """Runs of the listed DAGs (all DAGs when `dag_ids` is empty or null)."""

    model_config = ConfigDict(extra="forbid")
    dag_ids: list[str] | None = Field(default=None, max_length=1000)
    states: list[str] | None = None
    order_by: str | None = None
    page_offset: int = Field(default=0, ge=0, le=2**31 - 1)
    page_limit: int = Field(default=100, ge=0, le=1000)


class TaskInstancesBatchBody(DateFilters):
    model_config = ConfigDict(extra="forbid")
    dag_ids: list[str] | None = Field(default=None, max_length=1000)
    dag_run_ids: list[str] | None = Field(default=None, max_length=1000)
    task_ids: list[str] | None = Field(default=None, max_length=1000)
    state: list[str | None] | None = None
    pool: list[str] | None = None
    queue: list[str] | None = None
    order_by: str | None = None
    page_offset: int = Field(default=0, ge=0, le=2**31 - 1)
    page_limit: int = Field(default=100, ge=0, le=1000)


def _dates(dates: DateFilters | dict[str, Any], *names: str) -> dict[str, Any]:
    fields = dates if isinstance(dates, dict) else dates.model_dump()
    return {name: _range(fields, name) for name in names}


async def _dag_rows(ctx: AppContext, dag_ids: set[str], version_ids: set[str]):
    async with ctx.db.reader() as session:
        dags = {
            d.dag_id: d for d in await session.scalars(select(Dag).where(Dag.dag_id.in_(dag_ids)))
        }
        versions = {
            v.id: v
            for v in await session.scalars(select(DagVersion).where(DagVersion.id.in_(version_ids)))
        }
    return dags, versions


def _dag_or_stub(dags: dict[str, Dag], dag_id: str) -> Dag:
    # A run outlives nothing it needs: if its DAG was deleted meanwhile, show its id.
    return dags.get(dag_id) or Dag(dag_id=dag_id, latest_version_id="")


async def _runs(ctx: AppContext, request: queries_pb2.QueryDagRunsRequest):
    reply = await call("scheduler", ctx.scheduler.queries.QueryDagRuns(request, timeout=10))
    dags, versions = await _dag_rows(
        ctx, {r.dag_id for r in reply.dag_runs}, {r.dag_version_id for r in reply.dag_runs}
    )
    return DAGRunCollectionResponse(
        dag_runs=[
            run_response(r, _dag_or_stub(dags, r.dag_id), versions.get(r.dag_version_id))
            for r in reply.dag_runs
        ],
        total_entries=reply.total_entries,
    )


async def _task_instances(ctx: AppContext, request: queries_pb2.QueryTaskInstancesRequest):
    reply = await call("scheduler", ctx.scheduler.queries.QueryTaskInstances(request, timeout=10))
    runs: dict[tuple[str, str], scheduler_pb2.DagRun] = {
        (r.dag_id, r.dag_run_id): r for r in reply.dag_runs
    }
    dags, versions = await _dag_rows(
        ctx, {r.dag_id for r in reply.dag_runs}, {r.dag_version_id for r in reply.dag_runs}
    )
    items = []
    for ti in reply.task_instances:
        run = runs[(ti.dag_id, ti.dag_run_id)]
        items.append(
            ti_response(ti, run, _dag_or_stub(dags, ti.dag_id), versions.get(run.dag_version_id))
        )
    return TaskInstanceCollectionResponse(task_instances=items, total_entries=reply.total_entries)


async def _narrowed_to_visible(http: Request, ctx: AppContext, request: Any) -> bool:
    """Narrows a query's DAG filter to the DAGs the caller may read; False when that leaves
    none (an empty filter would mean every DAG)."""
    visible = await visible_dag_ids(http, ctx)
    if visible is None:
        return True
    ids = narrowed(list(request.dag_ids), visible) or []
    del request.dag_ids[:]
    request.dag_ids.extend(ids)
    return bool(ids)


async def _known_dag(ctx: AppContext, dag_id: str) -> list[str]:
    """The DAG filter a path's dag_id stands for: `~` is every DAG; another must exist."""
    if dag_id == ALL:
        return []
    async with ctx.db.reader() as session:
        await get_dag(session, dag_id)
    return [dag_id]


@router.get(
    "",
    operation_id="get_dag_runs",
    tags=["DagRun"],
    summary="List DAG runs; `~` as the DAG id lists every DAG's",
    response_model=DAGRunCollectionResponse,
)
async def get_dag_runs(
    http: Request,
    dag_id: str,
    ctx: Ctx,
    dates: Annotated[DateFilters, Query()],
    limit: Limit = 50,
    offset: Offset = 0,
    state: Annotated[list[str] | None, Query(description="Run states to include.")] = None,
    run_type: Annotated[list[str] | None, Query(description="Run types to include.")] = None,
    order_by: Annotated[
        list[str] | None,
        Query(max_length=10, description="Field names, a leading - reverses; several sort."),
    ] = None,
    run_id_pattern: Annotated[str | None, Query(max_length=250)] = None,
    dag_id_pattern: Annotated[str | None, Query(max_length=250)] = None,
) -> DAGRunCollectionResponse:
    request = queries_pb2.QueryDagRunsRequest(
        dag_ids=await _known_dag(ctx, dag_id),
        states=_check(state, RUN_STATES, "state"),
        run_types=_check(run_type, RUN_TYPES, "run_type"),
        order_by=_order(order_by, RUN_ORDER),
        limit=limit or 1,
        offset=offset,
        run_id_pattern=run_id_pattern or "",
        dag_id_pattern=dag_id_pattern or "",
        **_dates(dates, "logical_date", "run_after", "start_date", "end_date"),
    )
    if not await _narrowed_to_visible(http, ctx, request):
        return DAGRunCollectionResponse(dag_runs=[], total_entries=0)
    body = await _runs(ctx, request)
    if limit == 0:
        body.dag_runs = []
    return body


@router.post(
    "/list",
    operation_id="get_list_dag_runs_batch",
    tags=["DagRun"],
    summary="List DAG runs by a filter body (dag_id must be `~`)",
    response_model=DAGRunCollectionResponse,
)
async def get_list_dag_runs_batch(
    http: Request, dag_id: str, body: DAGRunsBatchBody, ctx: Ctx
) -> DAGRunCollectionResponse:
    if dag_id != ALL:
        raise InvalidArgument("dag_id: the batch list takes `~`; name DAGs in body.dag_ids")
    request = queries_pb2.QueryDagRunsRequest(
        dag_ids=body.dag_ids or [],
        states=_check(body.states, RUN_STATES, "body.states"),
        order_by=_order(_fields(body.order_by), RUN_ORDER),
        limit=body.page_limit or 1,
        offset=body.page_offset,
        **_dates(body, "logical_date", "run_after", "start_date", "end_date"),
    )
    if not await _narrowed_to_visible(http, ctx, request):
        return DAGRunCollectionResponse(dag_runs=[], total_entries=0)
    result = await _runs(ctx, request)
    if body.page_limit == 0:
        result.dag_runs = []
    return result


@router.get(
    "/{dag_run_id}/taskInstances",
    operation_id="get_task_instances",
    tags=["Task Instance"],
    summary="List task instances; `~` as the DAG or run id lists across them",
    response_model=TaskInstanceCollectionResponse,
)
async def get_task_instances(
    http: Request,
    dag_id: str,
    dag_run_id: str,
    ctx: Ctx,
    dates: Annotated[DateFilters, Query()],
    task_id: Annotated[str | None, Query(max_length=250)] = None,
    state: Annotated[list[str] | None, Query(description="States; no_status for none.")] = None,
    pool: Annotated[list[str] | None, Query()] = None,
    queue: Annotated[list[str] | None, Query()] = None,
    dag_id_pattern: Annotated[str | None, Query(max_length=250)] = None,
    run_id_pattern: Annotated[str | None, Query(max_length=250)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    order_by: Annotated[
        list[str] | None,
        Query(max_length=10, description="Field names, a leading - reverses; several sort."),
    ] = None,
) -> TaskInstanceCollectionResponse:
    dag_ids = await _known_dag(ctx, dag_id)
    run_ids = [] if dag_run_id == ALL else [dag_run_id]
    if dag_ids and run_ids:
        await ctx.scheduler.get_run(dag_id, dag_run_id)  # 404 for an unknown run
    request = queries_pb2.QueryTaskInstancesRequest(
        dag_ids=dag_ids,
        dag_run_ids=run_ids,
        task_ids=[task_id] if task_id else [],
        states=_check(state, TI_STATES, "state"),
        pools=pool or [],
        queues=queue or [],
        order_by=_order(order_by, TI_ORDER),
        limit=limit or 1,
        offset=offset,
        dag_id_pattern=dag_id_pattern or "",
        run_id_pattern=run_id_pattern or "",
        **_dates(dates, "logical_date", "run_after", "start_date", "end_date"),
    )
    if not await _narrowed_to_visible(http, ctx, request):
        return TaskInstanceCollectionResponse(task_instances=[], total_entries=0)
    body = await _task_instances(ctx, request)
    if limit == 0:
        body.task_instances = []
    return body


@router.post(
    "/{dag_run_id}/taskInstances/list",
    operation_id="get_task_instances_batch",
    tags=["Task Instance"],
    summary="List task instances by a filter body (dag_id and dag_run_id must be `~`)",
    response_model=TaskInstanceCollectionResponse,
)
async def get_task_instances_batch(
    http: Request, dag_id: str, dag_run_id: str, body: TaskInstancesBatchBody, ctx: Ctx
) -> TaskInstanceCollectionResponse:
    if dag_id != ALL or dag_run_id != ALL:
        raise InvalidArgument(
            "dag_id, dag_run_id: the batch list takes `~` for both; name them in the body"
        )
    states = ["no_status" if s is None else s for s in body.state or []]
    request = queries_pb2.QueryTaskInstancesRequest(
        dag_ids=body.dag_ids or [],
        dag_run_ids=body.dag_run_ids or [],
        task_ids=body.task_ids or [],
        states=_check(states, TI_STATES, "body.state"),
        pools=body.pool or [],
        queues=body.queue or [],
        order_by=_order(_fields(body.order_by), TI_ORDER),
        limit=body.page_limit or 1,
        offset=body.page_offset,
        **_dates(body, "logical_date", "run_after", "start_date", "end_date"),
    )
    if not await _narrowed_to_visible(http, ctx, request):
        return TaskInstanceCollectionResponse(task_instances=[], total_entries=0)
    result = await _task_instances(ctx, request)
    if body.page_limit == 0:
        result.task_instances = []
    return result
