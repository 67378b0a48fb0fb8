"""A DAG's stored versions and their specs (Airflow's dagVersions and dagSources), and
deleting a DAG."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import delete, func, select

from tradewind.scheduler.v1 import control_pb2
from tradewind_api.clients import _call
from tradewind_api.context import AppContext, get_context
from tradewind_api.control_schemas import DAGSourceResponse, DAGVersionCollectionResponse
from tradewind_api.dags import get_dag, version_response
from tradewind_api.models import Dag, DagTag, DagVersion
from tradewind_api.schemas import DagVersionResponse
from tradewind_api.secrets import mask_spec
from tradewind_core.errors import NotFound
from tradewind_core.logging import get_logger

router = APIRouter(prefix="/api/v2")
log = get_logger(__name__)
Ctx = Annotated[AppContext, Depends(get_context)]
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]
# Version ids are random uuids: "id" orders by creation, as Airflow's time-ordered ids do.
_ORDER = {
    "id": DagVersion.version_number,
    "version_number": DagVersion.version_number,
    "created_at": DagVersion.created_at,
}


@router.get(
    "/dags/{dag_id}/dagVersions",
    operation_id="get_dag_versions",
    tags=["DagVersion"],
    summary="List a DAG's versions",
    response_model=DAGVersionCollectionResponse,
)
async def get_dag_versions(
    dag_id: str,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    version_number: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    order_by: Annotated[str, Query(pattern=r"^-?(id|version_number|created_at)$")] = "id",
) -> DAGVersionCollectionResponse:
    query = select(DagVersion).where(DagVersion.dag_id == dag_id)
    if version_number is not None:
        query = query.where(DagVersion.version_number == version_number)
    column = _ORDER[order_by.lstrip("-")]
    query = query.order_by(column.desc() if order_by.startswith("-") else column)
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        versions = list(await session.scalars(query.limit(limit).offset(offset)))
    return DAGVersionCollectionResponse(
        dag_versions=[version_response(v, dag) for v in versions], total_entries=total or 0
    )


async def _version(ctx: AppContext, dag_id: str, number: int | None) -> tuple[Dag, DagVersion]:
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
        if number is None:
            version = await session.get(DagVersion, dag.latest_version_id)
        else:
            version = await session.scalar(
                select(DagVersion).where(
                    DagVersion.dag_id == dag_id, DagVersion.version_number == number
                )
            )
    if version is None:
        raise NotFound(f"DAG {dag_id!r} has no version {number}")
    return dag, version


@router.get(
    "/dags/{dag_id}/dagVersions/{version_number}",
    operation_id="get_dag_version",
    tags=["DagVersion"],
    summary="Get one version of a DAG",
    response_model=DagVersionResponse,
)
async def get_dag_version(
    dag_id: str, version_number: VersionNumber, ctx: Ctx
) -> DagVersionResponse:
    dag, version = await _version(ctx, dag_id, version_number)
    return version_response(version, dag)


@router.get(
    "/dagSources/{dag_id}",
    operation_id="get_dag_source",
    tags=["DagSource"],
    summary="The stored spec of a DAG version (the newest by default)",
    response_model=DAGSourceResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
async def get_dag_source(
    dag_id: str,
    ctx: Ctx,
    request: Request,
    version_number: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
):
    dag, version = await _version(ctx, dag_id, version_number)
    # Secret-looking values in the spec (an `env` entry `API_KEY`) are never shown.
    content = json.dumps(mask_spec(version.spec), indent=2, sort_keys=True)
    if "text/plain" in request.headers.get("accept", ""):
        return PlainTextResponse(content)
    return DAGSourceResponse(
        content=content,
        dag_id=dag_id,
        version_number=version.version_number,
        dag_display_name=dag.dag_display_name or dag_id,
    )


@router.delete(
    "/dags/{dag_id}",
    operation_id="delete_dag",
    tags=["DAG"],
    summary="Delete a DAG: its versions, runs and task instances",
    responses={409: {"description": "Task instances of the DAG are still running"}},
)
async def delete_dag(dag_id: str, ctx: Ctx) -> dict:
    async with ctx.db.reader() as session:
        await get_dag(session, dag_id)
    # The scheduler's runs first: a repeated DELETE finishes what a failure left, and a
    # refusal (task instances running) leaves the DAG whole.
    reply = await _call(
        "scheduler",
        ctx.scheduler.control.DeleteDag(control_pb2.DeleteDagRequest(dag_id=dag_id), timeout=30),
    )
    async with ctx.db.transaction() as session:
        for table in (DagTag, DagVersion, Dag):
            await session.execute(delete(table).where(table.dag_id == dag_id))
    log.info("DAG deleted", dag_id=dag_id, runs=reply.deleted_runs)
    return {}
