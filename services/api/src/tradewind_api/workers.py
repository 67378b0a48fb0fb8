"""The worker fleet over REST: a Tradewind extension (Airflow's API has no such route).
The dispatcher keeps the registry; this route only translates it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tradewind_api.context import AppContext, get_context
from tradewind_api.schemas import WorkerCollectionResponse, WorkerResponse, WorkerTaskInstance
from tradewind_core.timeutil import from_timestamp

TAG = "Worker (Tradewind extension)"
TAG_METADATA = {
    "name": TAG,
    "description": "Not part of Airflow's stable API: Tradewind's own view of its workers.",
}
router = APIRouter(prefix="/api/v2/workers", tags=[TAG])
Ctx = Annotated[AppContext, Depends(get_context)]


@router.get(
    "",
    operation_id="get_workers",
    summary="List workers: queues, slots, running task instances, last heartbeat",
    response_model=WorkerCollectionResponse,
    openapi_extra={"x-tradewind-extension": True},
)
async def get_workers(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> WorkerCollectionResponse:
    reply = await ctx.dispatcher.list_workers(limit, offset)
    return WorkerCollectionResponse(
        workers=[
            WorkerResponse(
                worker_id=w.worker_id,
                hostname=w.hostname,
                queues=list(w.queues),
                slots=w.slots,
                slots_in_use=w.slots_in_use,
                running_task_instances=[
                    WorkerTaskInstance(
                        dag_id=r.dag_id,
                        dag_run_id=r.dag_run_id,
                        task_id=r.task_id,
                        map_index=r.map_index,
                        try_number=r.try_number,
                        pid=r.pid or None,
                        start_date=from_timestamp(r, "start_date"),
                    )
                    for r in w.running
                ],
                first_seen=from_timestamp(w, "first_seen"),
                last_heartbeat=from_timestamp(w, "last_heartbeat"),
                alive=w.alive,
            )
            for w in reply.workers
        ],
        total_entries=reply.total_entries,
    )
