"""The dashboard's grid: a DAG's runs by its tasks in one compact answer (our extension).
A thousand runs of a 200-task DAG come back as one call, each task instance's state as a
small integer, instead of a thousand task-instance lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from tradewind.scheduler.v1 import grid_pb2, grid_pb2_grpc
from tradewind_api.clients import call
from tradewind_api.context import AppContext, get_context
from tradewind_api.dags import get_dag, get_version
from tradewind_core.spec import parse_dag_spec
from tradewind_core.timeutil import from_timestamp

router = APIRouter(prefix="/api/v2", tags=["Grid (Tradewind extension)"])
Ctx = Annotated[AppContext, Depends(get_context)]


class GridRun(BaseModel):
    dag_run_id: str = Field(examples=["scheduled__2026-11-23T03:00:00+00:00"])
    state: str = Field(examples=["success"])
    run_type: str = Field(examples=["scheduled"])
    run_after: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    task_states: list[int] = Field(
        description="One entry per `task_ids` entry: an index into `state_names`.",
        examples=[[4, 4, 3]],
    )


class GridResponse(BaseModel):
    total_runs: int = Field(description="Every run of the DAG, not only this page's.")
    task_ids: list[str] = Field(
        description="The DAG's tasks in the order they are declared, then any task that "
        "has instances in these runs but is no longer in the DAG.",
        examples=[["extract", "transform", "load"]],
    )
    state_names: list[str] = Field(
        description='What a state index means: 0 is "" (no instance of that task in the '
        'run), 1 is "none" (an instance with no state yet).',
        examples=[["", "none", "scheduled", "queued", "running", "success"]],
    )
    dag_runs: list[GridRun] = Field(description="Oldest first.")


@router.get(
    "/dags/{dag_id}/grid",
    operation_id="get_grid",
    summary="A DAG's runs by its tasks, for the dashboard's grid",
    description="A page of runs counted back from the newest (`offset` 0 holds the newest "
    "`limit` runs), oldest first. A DAG with many tasks gets fewer runs per page: a page "
    "carries at most 250,000 task instances.",
    response_model=GridResponse,
)
async def get_grid(
    dag_id: str,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000, description="Runs per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> GridResponse:
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
        version = await get_version(session, dag.latest_version_id)
    declared = list(parse_dag_spec(version.spec).task_by_id)
    stub = grid_pb2_grpc.GridServiceStub(ctx.scheduler.channel)
    request = grid_pb2.GetGridRequest(dag_id=dag_id, limit=limit, offset=offset)
    grid = await call("scheduler", stub.GetGrid(request, timeout=30))
    known = set(declared)
    task_ids = declared + [t for t in grid.task_ids if t not in known]
    column = {task_id: index for index, task_id in enumerate(grid.task_ids)}
    order = [column.get(task_id) for task_id in task_ids]
    return GridResponse(
        total_runs=grid.total_runs,
        task_ids=task_ids,
        state_names=list(grid.state_names),
        dag_runs=[
            GridRun(
                dag_run_id=run.dag_run_id,
                state=run.state,
                run_type=run.run_type,
                run_after=from_timestamp(run, "run_after"),
                start_date=from_timestamp(run, "start_date"),
                end_date=from_timestamp(run, "end_date"),
                task_states=[0 if i is None else run.task_states[i] for i in order],
            )
            for run in grid.runs
        ],
    )
