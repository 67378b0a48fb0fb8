"""Backfills over REST, with Airflow 3's paths, operation ids and shapes. The scheduler
owns them (BackfillService); these routes translate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.scheduler.v1 import backfills_pb2
from tradewind_api.auth.visibility import require_dag
from tradewind_api.clients import call
from tradewind_api.context import AppContext, get_context
from tradewind_api.dags import get_dag
from tradewind_api.datetimes import Moment
from tradewind_api.models import Dag
from tradewind_core.errors import NotFound
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import from_timestamp, to_timestamp

router = APIRouter(prefix="/api/v2/backfills", tags=["Backfill"])
log = get_logger(__name__)
Ctx = Annotated[AppContext, Depends(get_context)]
ReprocessBehavior = Literal["failed", "completed", "none"]
BackfillId = Annotated[int, Path(ge=0, le=2**31 - 1)]


class BackfillPostBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dag_id: str
    from_date: Moment
    to_date: Moment
    run_backwards: bool = False
    dag_run_conf: dict[str, Any] = Field(default_factory=dict)
    reprocess_behavior: ReprocessBehavior = "none"
    max_active_runs: Annotated[int, Field(ge=1, le=1000)] = 10
    # Backfill runs always use the DAG's newest version.
    run_on_latest_version: bool = True

    @field_validator("from_date", "to_date")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class BackfillResponse(BaseModel):
    id: int
    dag_id: str
    from_date: datetime
    to_date: datetime
    dag_run_conf: dict[str, Any] | None
    is_paused: bool
    reprocess_behavior: ReprocessBehavior
    max_active_runs: int
    created_at: datetime
    completed_at: datetime | None
    updated_at: datetime
    dag_display_name: str


class BackfillCollectionResponse(BaseModel):
    backfills: list[BackfillResponse]
    total_entries: int


class DryRunBackfillResponse(BaseModel):
    logical_date: datetime | None
    partition_key: str | None = None
    partition_date: datetime | None = None


class DryRunBackfillCollectionResponse(BaseModel):
    backfills: list[DryRunBackfillResponse]
    total_entries: int


async def _display_names(ctx: AppContext, dag_ids: set[str]) -> dict[str, str]:
    names = {}
    async with ctx.db.reader() as session:
        for dag_id in dag_ids:
            dag = await session.get(Dag, dag_id)
            names[dag_id] = (dag.dag_display_name if dag else None) or dag_id
    return names


def _response(backfill: backfills_pb2.Backfill, names: dict[str, str]) -> BackfillResponse:
    return BackfillResponse(
        id=backfill.id,
        dag_id=backfill.dag_id,
        from_date=from_timestamp(backfill, "from_date"),
        to_date=from_timestamp(backfill, "to_date"),
        dag_run_conf=json.loads(backfill.dag_run_conf_json or "{}"),
        is_paused=backfill.is_paused,
        reprocess_behavior=backfill.reprocess_behavior,
        max_active_runs=backfill.max_active_runs,
        created_at=from_timestamp(backfill, "created_at"),
        completed_at=from_timestamp(backfill, "completed_at"),
        updated_at=from_timestamp(backfill, "updated_at"),
        dag_display_name=names.get(backfill.dag_id, backfill.dag_id),
    )


async def _request(ctx: AppContext, body: BackfillPostBody) -> backfills_pb2.CreateBackfillRequest:
    async with ctx.db.reader() as session:
        dag = await get_dag(session, body.dag_id)  # 404 for an unknown DAG
    return backfills_pb2.CreateBackfillRequest(
        dag_id=body.dag_id,
        dag_version_id=dag.latest_version_id,
        from_date=to_timestamp(body.from_date),
        to_date=to_timestamp(body.to_date),
        run_backwards=body.run_backwards,
        dag_run_conf_json=json.dumps(body.dag_run_conf),
        reprocess_behavior=body.reprocess_behavior,
        max_active_runs=body.max_active_runs,
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such DAG"},
    409: {"description": "The DAG has a running backfill"},
    422: {"description": "A bad range, no runs in it, or a DAG without a periodic schedule"},
}


@router.post(
    "",
    operation_id="create_backfill",
    summary="Create a backfill",
    response_model=BackfillResponse,
    responses=_ERRORS,
)
async def create_backfill(request: Request, body: BackfillPostBody, ctx: Ctx) -> BackfillResponse:
    await require_dag(request, ctx, body.dag_id, "trigger")
    create = await _request(ctx, body)
    reply = await call("scheduler", ctx.scheduler.backfills.CreateBackfill(create, timeout=60))
    log.info("backfill created", dag_id=body.dag_id, backfill_id=reply.backfill.id)
    return _response(reply.backfill, await _display_names(ctx, {body.dag_id}))


@router.post(
    "/dry_run",
    operation_id="create_backfill_dry_run",
    summary="List the logical dates a backfill would run",
    response_model=DryRunBackfillCollectionResponse,
    responses=_ERRORS,
)
async def create_backfill_dry_run(
    http: Request, body: BackfillPostBody, ctx: Ctx
) -> DryRunBackfillCollectionResponse:
    await require_dag(http, ctx, body.dag_id, "read")
    request = await _request(ctx, body)
    reply = await call("scheduler", ctx.scheduler.backfills.DryRunBackfill(request, timeout=60))
    dates = [
        DryRunBackfillResponse(logical_date=d.ToDatetime(tzinfo=UTC)) for d in reply.logical_dates
    ]
    return DryRunBackfillCollectionResponse(backfills=dates, total_entries=len(dates))


@router.get(
    "",
    operation_id="list_backfills",
    summary="List a DAG's backfills",
    response_model=BackfillCollectionResponse,
)
async def list_backfills(
    http: Request,
    ctx: Ctx,
    dag_id: Annotated[str, Query()],
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    order_by: Annotated[list[Literal["id", "-id"]] | None, Query()] = None,
) -> BackfillCollectionResponse:
    await require_dag(http, ctx, dag_id, "read")
    if limit == 0:
        request = backfills_pb2.ListBackfillsRequest(dag_id=dag_id, limit=1, offset=offset)
    else:
        request = backfills_pb2.ListBackfillsRequest(
            dag_id=dag_id, limit=limit, offset=offset, descending=(order_by or ["id"])[0] == "-id"
        )
    reply = await call("scheduler", ctx.scheduler.backfills.ListBackfills(request, timeout=10))
    names = await _display_names(ctx, {dag_id})
    found = [] if limit == 0 else [_response(b, names) for b in reply.backfills]
    return BackfillCollectionResponse(backfills=found, total_entries=reply.total_entries)


@router.get(
    "/{backfill_id}",
    operation_id="get_backfill",
    summary="Get a backfill",
    response_model=BackfillResponse,
    responses={404: {"description": "No such backfill"}},
)
async def get_backfill(http: Request, backfill_id: BackfillId, ctx: Ctx) -> BackfillResponse:
    request = backfills_pb2.GetBackfillRequest(backfill_id=backfill_id)
    reply = await call("scheduler", ctx.scheduler.backfills.GetBackfill(request, timeout=10))
    await _require_backfill_dag(http, ctx, backfill_id, reply.backfill.dag_id, "read")
    return _response(reply.backfill, await _display_names(ctx, {reply.backfill.dag_id}))


async def _require_backfill_dag(
    http: Request, ctx: AppContext, backfill_id: int, dag_id: str, action: str
) -> None:
    try:
        await require_dag(http, ctx, dag_id, action)
    except NotFound:
        # A backfill of a DAG the caller may not see does not exist for them.
        raise NotFound(f"backfill {backfill_id} does not exist") from None


def _change(name: str, operation_id: str, summary: str):
    async def route(http: Request, backfill_id: BackfillId, ctx: Ctx) -> BackfillResponse:
        request = backfills_pb2.GetBackfillRequest(backfill_id=backfill_id)
        found = await call("scheduler", ctx.scheduler.backfills.GetBackfill(request, timeout=10))
        await _require_backfill_dag(http, ctx, backfill_id, found.backfill.dag_id, "trigger")
        method = getattr(ctx.scheduler.backfills, name)
        reply = await call("scheduler", method(request, timeout=10))
        log.info(summary, backfill_id=backfill_id)
        return _response(reply.backfill, await _display_names(ctx, {reply.backfill.dag_id}))

    router.put(
        f"/{{backfill_id}}/{operation_id.split('_')[0]}",
        operation_id=operation_id,
        summary=summary,
        response_model=BackfillResponse,
        responses={
            404: {"description": "No such backfill"},
            409: {"description": "The backfill is already completed"},
        },
    )(route)


_change("PauseBackfill", "pause_backfill", "Pause a backfill")
_change("UnpauseBackfill", "unpause_backfill", "Unpause a backfill")
_change("CancelBackfill", "cancel_backfill", "Cancel a backfill")
