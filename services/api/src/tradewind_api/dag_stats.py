"""`/api/v2/dagStats` and `/api/v2/dagTags`: how many runs each DAG has in each state, and
the tags in use (Airflow 3's shapes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from tradewind.scheduler.v1 import queries_pb2
from tradewind_api.auth.visibility import visible_dag_ids
from tradewind_api.clients import call
from tradewind_api.context import AppContext, get_context
from tradewind_api.models import Dag, DagTag
from tradewind_core.errors import InvalidArgument
from tradewind_core.states import DagRunState

router = APIRouter(prefix="/api/v2")
Ctx = Annotated[AppContext, Depends(get_context)]
# Airflow lists every run state, counted or not, in this order.
STATES = [DagRunState.QUEUED, DagRunState.RUNNING, DagRunState.SUCCESS, DagRunState.FAILED]


class DagStatsStateResponse(BaseModel):
    state: DagRunState
    count: int


class DagStatsResponse(BaseModel):
    dag_id: str
    dag_display_name: str
    stats: list[DagStatsStateResponse]


class DagStatsCollectionResponse(BaseModel):
    dags: list[DagStatsResponse]
    total_entries: int


class DAGTagCollectionResponse(BaseModel):
    tags: list[str]
    total_entries: int


@router.get(
    "/dagStats",
    operation_id="get_dag_stats",
    tags=["DagStats"],
    summary="How many runs each DAG has in each state",
    response_model=DagStatsCollectionResponse,
)
async def get_dag_stats(
    http_request: Request,
    ctx: Ctx,
    dag_ids: Annotated[
        list[str] | None, Query(max_length=1000, description="These DAGs; unset: every DAG.")
    ] = None,
) -> DagStatsCollectionResponse:
    query = select(Dag.dag_id, Dag.dag_display_name).order_by(Dag.dag_id)
    if dag_ids:
        query = query.where(Dag.dag_id.in_(dag_ids))
    if (visible := await visible_dag_ids(http_request, ctx)) is not None:
        query = query.where(Dag.dag_id.in_(visible))
    async with ctx.db.reader() as session:
        dags = (await session.execute(query)).all()
    request = queries_pb2.CountDagRunsByStateRequest(dag_ids=[d for d, _ in dags])
    counts: dict[tuple[str, str], int] = {}
    if dags:
        reply = await call(
            "scheduler", ctx.scheduler.queries.CountDagRunsByState(request, timeout=10)
        )
        counts = {(c.dag_id, c.state): c.count for c in reply.counts}
    return DagStatsCollectionResponse(
        dags=[
            DagStatsResponse(
                dag_id=dag_id,
                dag_display_name=name or dag_id,
                stats=[
                    DagStatsStateResponse(state=s, count=counts.get((dag_id, s.value), 0))
                    for s in STATES
                ],
            )
            for dag_id, name in dags
        ],
        total_entries=len(dags),
    )


@router.get(
    "/dagTags",
    operation_id="get_dag_tags",
    tags=["DAG"],
    summary="The tags DAGs carry, each once",
    response_model=DAGTagCollectionResponse,
)
async def get_dag_tags(
    request: Request,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    order_by: Annotated[list[str] | None, Query(description="name or -name.")] = None,
    tag_name_pattern: Annotated[
        str | None, Query(max_length=100, description="SQL LIKE pattern; % and _ match.")
    ] = None,
) -> DAGTagCollectionResponse:
    order = (order_by or ["name"])[0]
    if order.removeprefix("-") != "name" or len(order_by or []) > 1:
        raise InvalidArgument("order_by: tags are ordered by name or -name only")
    query = select(DagTag.name).distinct()
    if (visible := await visible_dag_ids(request, ctx)) is not None:
        query = query.where(DagTag.dag_id.in_(visible))
    if tag_name_pattern:
        query = query.where(DagTag.name.like(f"%{tag_name_pattern}%"))
    async with ctx.db.reader() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        names = await session.scalars(
            query.order_by(DagTag.name.desc() if order.startswith("-") else DagTag.name)
            .limit(limit)
            .offset(offset)
        )
        return DAGTagCollectionResponse(tags=list(names), total_entries=total or 0)
