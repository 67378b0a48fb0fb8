"""XCom entries over REST, in Airflow 3's shapes. The dispatcher owns them; the run (for
dates) comes from the scheduler and display names from the api's own tables."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tradewind.execution.v1 import xcom_pb2
from tradewind.scheduler.v1 import scheduler_pb2
from tradewind_api.context import AppContext, get_context
from tradewind_api.dags import get_dag
from tradewind_api.models import Dag
from tradewind_api.schemas import XComCollectionResponse, XComResponse, XComResponseNative
from tradewind_core.errors import NotFound
from tradewind_core.timeutil import from_timestamp

router = APIRouter(
    prefix="/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries",
    tags=["XCom"],
)
Ctx = Annotated[AppContext, Depends(get_context)]


def _fields(entry: xcom_pb2.XComEntry, run: scheduler_pb2.DagRun, dag: Dag) -> dict:
    return {
        "key": entry.key,
        "timestamp": from_timestamp(entry, "timestamp"),
        "logical_date": from_timestamp(run, "logical_date"),
        "map_index": entry.map_index,
        "task_id": entry.task_id,
        "dag_id": entry.dag_id,
        "run_id": entry.dag_run_id,
        "dag_display_name": dag.dag_display_name or dag.dag_id,
        "task_display_name": entry.task_id,
        "run_after": from_timestamp(run, "run_after"),
    }


async def _run(ctx: AppContext, dag_id: str, dag_run_id: str) -> tuple[Dag, scheduler_pb2.DagRun]:
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
    return dag, await ctx.scheduler.get_run(dag_id, dag_run_id)


@router.get(
    "",
    operation_id="get_xcom_entries",
    summary="List a task instance's XCom entries",
    response_model=XComCollectionResponse,
)
async def get_xcom_entries(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    ctx: Ctx,
    xcom_key: str | None = None,
    map_index: Annotated[int | None, Query(ge=-1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> XComCollectionResponse:
    dag, run = await _run(ctx, dag_id, dag_run_id)
    reply = await ctx.dispatcher.list_xcoms(
        xcom_pb2.ListXComsRequest(
            dag_id=dag_id,
            dag_run_id=dag_run_id,
            task_id=task_id,
            key=xcom_key or "",
            map_index=map_index,
            limit=limit,
            offset=offset,
        )
    )
    return XComCollectionResponse(
        xcom_entries=[XComResponse(**_fields(e, run, dag)) for e in reply.entries] if limit else [],
        total_entries=reply.total_entries,
    )


@router.get(
    "/{xcom_key}",
    operation_id="get_xcom_entry",
    summary="Get one XCom entry, with its value",
    response_model=XComResponseNative,
)
async def get_xcom_entry(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    xcom_key: str,
    ctx: Ctx,
    map_index: Annotated[int, Query(ge=-1, le=2**31 - 1)] = -1,
    stringify: bool = False,
) -> XComResponseNative:
    dag, run = await _run(ctx, dag_id, dag_run_id)
    reply = await ctx.dispatcher.list_xcoms(
        xcom_pb2.ListXComsRequest(
            dag_id=dag_id,
            dag_run_id=dag_run_id,
            task_id=task_id,
            key=xcom_key,
            map_index=map_index,
            limit=1,
        )
    )
    for entry in reply.entries:
        value = entry.value_json if stringify else json.loads(entry.value_json)
        return XComResponseNative(**_fields(entry, run, dag), value=value)
    raise NotFound(
        f"XCom entry with key {xcom_key!r} was not found for task {task_id!r} "
        f"in DAG run {dag_run_id!r}"
    )
