"""The runs-by-tasks grid of a DAG: one page of runs and one indexed query for the state
of all their task instances (never a query per run), packed one byte per cell."""

from __future__ import annotations

import grpc
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind.scheduler.v1 import grid_pb2, grid_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.states import TaskInstanceState
from tradewind_core.timeutil import to_timestamp
from tradewind_scheduler.models import DagRun, TaskInstance

MAX_RUNS = 1000
# A page never carries more cells than this, however many tasks the DAG has: a DAG of
# 10,000 tasks gets 25 runs a page, one of 200 tasks the full thousand.
MAX_CELLS = 250_000
STATE_NAMES = ["", "none", *(state.value for state in TaskInstanceState)]
_CODE = {name: code for code, name in enumerate(STATE_NAMES)}


async def grid_page(
    session: AsyncSession, dag_id: str, *, limit: int, offset: int
) -> grid_pb2.GetGridResponse:
    total = await session.scalar(
        select(func.count()).select_from(DagRun).where(DagRun.dag_id == dag_id)
    )
    newest_first = await session.execute(
        select(DagRun)
        .where(DagRun.dag_id == dag_id)
        .order_by(DagRun.id.desc())
        .limit(limit)
        .offset(offset)
    )
    runs = list(reversed(newest_first.scalars().all()))
    # Read newest run first and never more than a page holds: a DAG of very many tasks
    # stops the read inside some run, and that run and older ones are left out.
    cells = (
        list(
            await session.execute(
                select(TaskInstance.dag_run_pk, TaskInstance.task_id, TaskInstance.state)
                .where(TaskInstance.dag_run_pk.in_([run.id for run in runs]))
                .order_by(TaskInstance.dag_run_pk.desc())
                .limit(MAX_CELLS + 1)
            )
        )
        if runs
        else []
    )
    if len(cells) > MAX_CELLS:
        cut = cells[-1][0]
        complete = [cell for cell in cells if cell[0] > cut]
        # A single run bigger than a page is shown in part rather than not at all.
        cells = complete or cells[:MAX_CELLS]
        runs = [run for run in runs if run.id > cut] or runs[-1:]
    by_run: dict[int, dict[str, int]] = {run.id: {} for run in runs}
    task_ids: set[str] = set()
    for run_pk, task_id, state in cells:
        by_run[run_pk][task_id] = _CODE[state or "none"]
        task_ids.add(task_id)
    ordered = sorted(task_ids)
    if runs and len(ordered) * len(runs) > MAX_CELLS:
        # Keep the newest runs that fit; the caller learns it from the run count.
        keep = max(1, MAX_CELLS // len(ordered))
        runs = runs[-keep:]
    return grid_pb2.GetGridResponse(
        total_runs=total or 0,
        task_ids=ordered,
        state_names=STATE_NAMES,
        runs=[
            grid_pb2.GridRun(
                dag_run_id=run.run_id,
                state=run.state,
                run_type=run.run_type,
                run_after=to_timestamp(run.run_after),
                start_date=to_timestamp(run.start_date),
                end_date=to_timestamp(run.end_date),
                task_states=bytes(by_run[run.id].get(t, 0) for t in ordered),
            )
            for run in runs
        ],
    )


class GridServicer(grid_pb2_grpc.GridServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db

    @maps_domain_errors
    async def GetGrid(self, request, context: grpc.aio.ServicerContext):
        if not 1 <= request.limit <= MAX_RUNS:
            raise InvalidArgument(f"limit must be between 1 and {MAX_RUNS}")
        if request.offset < 0:
            raise InvalidArgument("offset must not be negative")
        async with self._db.reader() as session:
            return await grid_page(
                session, request.dag_id, limit=request.limit, offset=request.offset
            )
