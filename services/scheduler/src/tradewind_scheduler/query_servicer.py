"""RunQueryService: runs and task instances across DAGs, filtered, ordered and paged."""

from __future__ import annotations

from typing import Any

import grpc
from sqlalchemy import Select, and_, func, or_, select

from tradewind.scheduler.v1 import queries_pb2, queries_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.timeutil import from_timestamp
from tradewind_scheduler.convert import run_to_proto, ti_to_proto
from tradewind_scheduler.models import DagRun, TaskInstance

MAX_PAGE = 1000
RUN_ORDER = {
    name: getattr(DagRun, name)
    for name in (
        "id",
        "dag_id",
        "run_id",
        "state",
        "run_type",
        "logical_date",
        "run_after",
        "start_date",
        "end_date",
        "queued_at",
    )
}
TI_ORDER = {
    name: getattr(TaskInstance, name)
    for name in (
        "id",
        "dag_id",
        "run_id",
        "task_id",
        "map_index",
        "state",
        "try_number",
        "start_date",
        "end_date",
        "priority_weight",
        "pool",
        "queue",
    )
}


def _range(column: Any, message: queries_pb2.TimeRange, field: str) -> list[Any]:
    bounds = []
    for name, compare in (
        ("gte", column.__ge__),
        ("gt", column.__gt__),
        ("lte", column.__le__),
        ("lt", column.__lt__),
    ):
        if message.HasField(name):
            bounds.append(compare(from_timestamp(message, name)))
    return bounds


def _order(order_by: str, columns: dict[str, Any], default: list[Any]) -> list[Any]:
    """Comma-separated field names, each reversed by a leading "-"."""
    clauses = []
    for item in filter(None, order_by.split(",")):
        column = columns.get(item.removeprefix("-"))
        if column is None:
            raise InvalidArgument(
                f"order_by: {item.removeprefix('-')!r} is not allowed; "
                f"allowed: {', '.join(sorted(columns))}"
            )
        clauses.append(column.desc() if item.startswith("-") else column)
    return [*clauses, *default]


def _page(request: Any) -> tuple[int, int]:
    if request.limit < 0 or request.offset < 0:
        raise InvalidArgument("limit and offset must not be negative")
    return min(request.limit or 100, MAX_PAGE), request.offset


def _run_filters(request: Any) -> list[Any]:
    filters: list[Any] = []
    if request.dag_ids:
        filters.append(DagRun.dag_id.in_(list(request.dag_ids)))
    if request.dag_id_pattern:
        filters.append(DagRun.dag_id.like(f"%{request.dag_id_pattern}%"))
    if request.run_id_pattern:
        filters.append(DagRun.run_id.like(f"%{request.run_id_pattern}%"))
    filters += _range(DagRun.logical_date, request.logical_date, "logical_date")
    filters += _range(DagRun.run_after, request.run_after, "run_after")
    return filters


async def _counted(session: Any, query: Select, order: list[Any], limit: int, offset: int):
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(await session.scalars(query.order_by(*order).limit(limit).offset(offset)))
    return rows, total or 0


class RunQueryServicer(queries_pb2_grpc.RunQueryServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db

    @maps_domain_errors
    async def QueryDagRuns(self, request, context: grpc.aio.ServicerContext):
        limit, offset = _page(request)
        filters = _run_filters(request)
        if request.states:
            filters.append(DagRun.state.in_(list(request.states)))
        if request.run_types:
            filters.append(DagRun.run_type.in_(list(request.run_types)))
        filters += _range(DagRun.start_date, request.start_date, "start_date")
        filters += _range(DagRun.end_date, request.end_date, "end_date")
        order = _order(request.order_by, RUN_ORDER, [DagRun.id])
        async with self._db.reader() as session:
            runs, total = await _counted(
                session, select(DagRun).where(and_(True, *filters)), order, limit, offset
            )
        return queries_pb2.QueryDagRunsResponse(
            dag_runs=[run_to_proto(r) for r in runs], total_entries=total
        )

    @maps_domain_errors
    async def QueryTaskInstances(self, request, context: grpc.aio.ServicerContext):
        limit, offset = _page(request)
        filters = _run_filters(request)
        if request.dag_run_ids:
            filters.append(TaskInstance.run_id.in_(list(request.dag_run_ids)))
        if request.task_ids:
            filters.append(TaskInstance.task_id.in_(list(request.task_ids)))
        if request.task_id_pattern:
            filters.append(TaskInstance.task_id.like(f"%{request.task_id_pattern}%"))
        if request.states:
            states = [s for s in request.states if s != "no_status"]
            either = [TaskInstance.state.in_(states)] if states else []
            if "no_status" in request.states:
                either.append(TaskInstance.state.is_(None))
            filters.append(or_(*either))
        if request.pools:
            filters.append(TaskInstance.pool.in_(list(request.pools)))
        if request.queues:
            filters.append(TaskInstance.queue.in_(list(request.queues)))
        filters += _range(TaskInstance.start_date, request.start_date, "start_date")
        filters += _range(TaskInstance.end_date, request.end_date, "end_date")
        default = [TaskInstance.dag_id, TaskInstance.dag_run_pk, TaskInstance.task_id]
        order = _order(request.order_by, TI_ORDER, [*default, TaskInstance.map_index])
        query = (
            select(TaskInstance)
            .join(DagRun, DagRun.id == TaskInstance.dag_run_pk)
            .where(and_(True, *filters))
        )
        async with self._db.reader() as session:
            tis, total = await _counted(session, query, order, limit, offset)
            run_pks = {ti.dag_run_pk for ti in tis}
            runs = {
                r.id: r for r in await session.scalars(select(DagRun).where(DagRun.id.in_(run_pks)))
            }
        return queries_pb2.QueryTaskInstancesResponse(
            task_instances=[ti_to_proto(ti, runs[ti.dag_run_pk].dag_version_id) for ti in tis],
            dag_runs=[run_to_proto(r) for r in runs.values()],
            total_entries=total,
        )

    @maps_domain_errors
    async def CountDagRunsByState(self, request, context: grpc.aio.ServicerContext):
        query = select(DagRun.dag_id, DagRun.state, func.count()).group_by(
            DagRun.dag_id, DagRun.state
        )
        if request.dag_ids:
            query = query.where(DagRun.dag_id.in_(list(request.dag_ids)))
        async with self._db.reader() as session:
            rows = (await session.execute(query)).all()
        return queries_pb2.CountDagRunsByStateResponse(
            counts=[queries_pb2.DagRunStateCount(dag_id=d, state=s, count=c) for d, s, c in rows]
        )
