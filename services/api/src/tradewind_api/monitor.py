"""`GET /api/v2/monitor/health`: every service's health in one answer (Airflow's shape,
with the dispatcher and the workers added)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends

from tradewind_api.context import AppContext, get_context
from tradewind_api.schemas import (
    BaseInfoResponse,
    DispatcherInfoResponse,
    HealthInfoResponse,
    SchedulerInfoResponse,
    SetAsideRunInfo,
    WorkersInfoResponse,
)
from tradewind_core.errors import TradewindError
from tradewind_core.timeutil import from_timestamp, utcnow

router = APIRouter(prefix="/api/v2/monitor", tags=["Monitor"])


def _status(ok: bool) -> str:
    return "healthy" if ok else "unhealthy"


async def _metadatabase(ctx: AppContext) -> BaseInfoResponse:
    try:
        await ctx.db.ping()
        return BaseInfoResponse(status="healthy")
    except Exception:
        return BaseInfoResponse(status="unhealthy")


async def _scheduler(ctx: AppContext) -> SchedulerInfoResponse:
    try:
        reply = await ctx.scheduler.status()
    except TradewindError:
        return SchedulerInfoResponse(status="unhealthy", latest_scheduler_heartbeat=None)
    beat = from_timestamp(reply, "latest_scheduler_heartbeat")
    limit = timedelta(seconds=ctx.settings.api_scheduler_heartbeat_timeout)
    fresh = beat is not None and utcnow() - beat < limit
    return SchedulerInfoResponse(
        status=_status(fresh),
        latest_scheduler_heartbeat=beat,
        set_aside_runs=[
            SetAsideRunInfo(
                dag_id=run.dag_id,
                dag_run_id=run.dag_run_id,
                reason=run.reason,
                failures=run.failures,
                next_attempt_at=from_timestamp(run, "next_attempt_at"),
            )
            for run in reply.set_aside_runs
        ],
        set_aside_total=reply.set_aside_total,
    )


async def _dispatcher_and_workers(
    ctx: AppContext,
) -> tuple[DispatcherInfoResponse, WorkersInfoResponse]:
    try:
        reply = await ctx.dispatcher.status()
    except TradewindError:
        return (
            DispatcherInfoResponse(status="unhealthy"),
            WorkersInfoResponse(status="unhealthy", live_workers=0, latest_worker_heartbeat=None),
        )
    return (
        DispatcherInfoResponse(
            status="healthy",
            queued_attempts=reply.queued_attempts,
            running_attempts=reply.running_attempts,
        ),
        WorkersInfoResponse(
            status=_status(reply.live_workers > 0),
            live_workers=reply.live_workers,
            latest_worker_heartbeat=from_timestamp(reply, "latest_worker_heartbeat"),
            slots=reply.worker_slots,
            slots_in_use=reply.worker_slots_in_use,
        ),
    )


@router.get(
    "/health",
    operation_id="get_health",
    summary="Health of every Tradewind service",
    response_model=HealthInfoResponse,
)
async def get_health(ctx: Annotated[AppContext, Depends(get_context)]) -> HealthInfoResponse:
    metadatabase, scheduler, (dispatcher, workers) = await asyncio.gather(
        _metadatabase(ctx), _scheduler(ctx), _dispatcher_and_workers(ctx)
    )
    return HealthInfoResponse(
        metadatabase=metadatabase, scheduler=scheduler, dispatcher=dispatcher, workers=workers
    )
