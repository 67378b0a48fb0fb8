"""DAGs: storing a spec as an immutable version, listing, reading, pausing."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_api.context import AppContext, get_context
from tradewind_api.models import Dag, DagTag, DagVersion
from tradewind_api.schemas import (
    DAGCollectionResponse,
    DAGPatchBody,
    DAGResponse,
    DagTagResponse,
    DagVersionResponse,
    TaskCollectionResponse,
    TaskResponse,
)
from tradewind_core.errors import NotFound
from tradewind_core.logging import get_logger
from tradewind_core.spec import DagSpec, DagSpecError, parse_dag_spec
from tradewind_core.timeutil import as_utc, utcnow

router = APIRouter(prefix="/api/v2", tags=["DAG"])
log = get_logger(__name__)
Ctx = Annotated[AppContext, Depends(get_context)]


# -- data access --------------------------------------------------------------------


async def get_dag(session: AsyncSession, dag_id: str) -> Dag:
    dag = await session.get(Dag, dag_id)
    if dag is None:
        raise NotFound(f"DAG with dag_id {dag_id!r} was not found")
    return dag


async def get_version(session: AsyncSession, version_id: str) -> DagVersion:
    version = await session.get(DagVersion, version_id)
    if version is None:
        raise NotFound(f"DAG version {version_id!r} was not found")
    return version


async def store_spec(session: AsyncSession, spec: DagSpec) -> tuple[Dag, DagVersion, bool]:
    """Stores the spec as the DAG's newest version, unless an identical version exists.
    Returns the DAG, its version, and whether the DAG itself is new."""
    now = utcnow()
    content_hash = spec.content_hash()
    dag = await session.get(Dag, spec.dag_id, with_for_update=True)
    created = dag is None
    version = None
    if dag is None:
        dag = Dag(
            dag_id=spec.dag_id,
            is_paused=bool(spec.is_paused_upon_creation),
            latest_version_id="",
            created_at=now,
            updated_at=now,
        )
        session.add(dag)
    else:
        version = await session.scalar(
            select(DagVersion).where(
                DagVersion.dag_id == spec.dag_id, DagVersion.content_hash == content_hash
            )
        )
    if version is None:
        number = await session.scalar(
            select(func.max(DagVersion.version_number)).where(DagVersion.dag_id == spec.dag_id)
        )
        version = DagVersion(
            id=str(uuid.uuid4()),
            dag_id=spec.dag_id,
            version_number=(number or 0) + 1,
            content_hash=content_hash,
            spec=json.loads(spec.canonical_json()),
            created_at=now,
        )
        session.add(version)
    dag.dag_display_name = spec.dag_display_name
    dag.description = spec.description
    dag.schedule = spec.schedule
    dag.owners = ",".join(sorted({t.owner for t in spec.tasks}))
    dag.max_active_runs = spec.max_active_runs
    dag.max_active_tasks = spec.max_active_tasks
    dag.latest_version_id = version.id
    dag.updated_at = now
    await session.flush()
    await session.execute(delete(DagTag).where(DagTag.dag_id == spec.dag_id))
    for tag in sorted(set(spec.tags)):
        session.add(DagTag(name=tag, dag_id=spec.dag_id))
    await session.flush()
    return dag, version, created


async def dag_response(session: AsyncSession, dag: Dag) -> DAGResponse:
    tags = await session.scalars(select(DagTag.name).where(DagTag.dag_id == dag.dag_id))
    version = await session.get(DagVersion, dag.latest_version_id)
    return _dag_response(dag, sorted(tags), version)


def _dag_response(dag: Dag, tags: list[str], version: DagVersion | None) -> DAGResponse:
    return DAGResponse(
        dag_id=dag.dag_id,
        dag_display_name=dag.dag_display_name or dag.dag_id,
        is_paused=dag.is_paused,
        description=dag.description,
        timetable_summary=dag.schedule,
        timetable_description=_describe_schedule(dag.schedule),
        tags=[DagTagResponse(name=t, dag_id=dag.dag_id) for t in tags],
        max_active_tasks=dag.max_active_tasks,
        max_active_runs=dag.max_active_runs,
        owners=[o for o in (dag.owners or "").split(",") if o],
        last_parsed_time=as_utc(dag.updated_at),
        latest_dag_version=version_response(version, dag) if version else None,
    )


def version_response(version: DagVersion, dag: Dag | None = None) -> DagVersionResponse:
    return DagVersionResponse(
        id=version.id,
        version_number=version.version_number,
        dag_id=version.dag_id,
        created_at=as_utc(version.created_at),
        dag_display_name=(dag.dag_display_name if dag else None) or version.dag_id,
    )


def _describe_schedule(schedule: str | None) -> str:
    if schedule is None:
        return "Never, external triggers only"
    return {"@once": "Once, as soon as possible"}.get(schedule, schedule)


def _task_response(spec: DagSpec, task_id: str) -> TaskResponse:
    task = spec.task_by_id[task_id]
    return TaskResponse(
        task_id=task.task_id,
        task_display_name=task.task_display_name or task.task_id,
        owner=task.owner,
        operator_name="BashOperator",
        trigger_rule=task.trigger_rule.value,
        retries=task.retries,
        retry_delay=task.retry_delay.total_seconds(),
        retry_exponential_backoff=task.retry_exponential_backoff,
        execution_timeout=task.execution_timeout.total_seconds()
        if task.execution_timeout
        else None,
        pool=task.pool,
        pool_slots=task.pool_slots,
        priority_weight=task.priority_weight,
        queue=task.queue,
        doc_md=task.doc_md,
        downstream_task_ids=spec.downstream[task.task_id],
        upstream_task_ids=sorted(task.upstream),
        template_fields=["bash_command", "env", "cwd"],
    )


async def _read_spec(request: Request) -> Any:
    """The body as JSON, or YAML when the client says so (specs written by hand)."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    try:
        if content_type in ("application/yaml", "application/x-yaml", "text/yaml"):
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "YAML" if "yaml" in content_type else "JSON"
        raise DagSpecError(
            [{"loc": (), "msg": f"the body is not valid {kind}: {exc}", "type": "parse_error"}]
        ) from None


# -- routes -------------------------------------------------------------------------

_SPEC_BODY = {
    "requestBody": {
        "required": True,
        "description": "A DAG spec, as JSON (or YAML with Content-Type: application/yaml).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/DagSpec"}},
            "application/yaml": {"schema": {"$ref": "#/components/schemas/DagSpec"}},
        },
    }
}


@router.post(
    "/dags",
    operation_id="post_dag",
    summary="Create a DAG, or store a new version of one",
    status_code=201,
    response_model=DAGResponse,
    openapi_extra=_SPEC_BODY,
    responses={
        200: {
            "description": "The DAG exists; this spec is its newest version.",
            "model": DAGResponse,
        },
        422: {"description": "The spec is invalid; `errors` names each field at fault."},
    },
)
async def post_dag(request: Request, response: Response, ctx: Ctx) -> DAGResponse:
    spec = parse_dag_spec(await _read_spec(request))
    try:
        body, created = await _store_and_register(ctx, spec)
    except IntegrityError:
        # Another request created this DAG a moment ago; now there is a row to lock.
        body, created = await _store_and_register(ctx, spec)
    if not created:
        response.status_code = 200
    log.info(
        "DAG stored",
        dag_id=spec.dag_id,
        version_number=body.latest_dag_version.version_number if body.latest_dag_version else None,
        created=created,
    )
    return body


async def _store_and_register(ctx: AppContext, spec: DagSpec) -> tuple[DAGResponse, bool]:
    async with ctx.db.transaction() as session:
        dag, version, created = await store_spec(session, spec)
        # Told before the commit: if the scheduler cannot hear of the DAG, nothing is stored.
        await ctx.scheduler.register_dag(dag.dag_id, version.id, dag.is_paused)
        return await dag_response(session, dag), created


@router.get(
    "/dags", operation_id="get_dags", summary="List DAGs", response_model=DAGCollectionResponse
)
async def get_dags(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    tags: Annotated[list[str] | None, Query()] = None,
    dag_id_pattern: Annotated[
        str | None, Query(description="SQL LIKE pattern; % and _ match.")
    ] = None,
    paused: bool | None = None,
    order_by: Annotated[str, Query(pattern=r"^-?(dag_id|dag_display_name)$")] = "dag_id",
) -> DAGCollectionResponse:
    query = select(Dag)
    if tags:
        query = query.where(Dag.dag_id.in_(select(DagTag.dag_id).where(DagTag.name.in_(tags))))
    if dag_id_pattern:
        query = query.where(Dag.dag_id.like(f"%{dag_id_pattern}%"))
    if paused is not None:
        query = query.where(Dag.is_paused == paused)
    column = getattr(Dag, order_by.lstrip("-"))
    query = query.order_by(column.desc() if order_by.startswith("-") else column)
    async with ctx.db.reader() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        dags = list(await session.scalars(query.limit(limit).offset(offset)))
        ids = [d.dag_id for d in dags]
        tag_rows = (await session.execute(select(DagTag).where(DagTag.dag_id.in_(ids)))).scalars()
        versions = {
            v.id: v
            for v in await session.scalars(
                select(DagVersion).where(DagVersion.id.in_([d.latest_version_id for d in dags]))
            )
        }
    by_dag: dict[str, list[str]] = {}
    for tag in tag_rows:
        by_dag.setdefault(tag.dag_id, []).append(tag.name)
    return DAGCollectionResponse(
        dags=[
            _dag_response(d, sorted(by_dag.get(d.dag_id, [])), versions.get(d.latest_version_id))
            for d in dags
        ],
        total_entries=total or 0,
    )


@router.get(
    "/dags/{dag_id}", operation_id="get_dag", summary="Get a DAG", response_model=DAGResponse
)
async def get_dag_route(dag_id: str, ctx: Ctx) -> DAGResponse:
    async with ctx.db.reader() as session:
        return await dag_response(session, await get_dag(session, dag_id))


@router.patch(
    "/dags/{dag_id}",
    operation_id="patch_dag",
    summary="Pause or unpause a DAG",
    response_model=DAGResponse,
)
async def patch_dag(dag_id: str, body: DAGPatchBody, ctx: Ctx) -> DAGResponse:
    async with ctx.db.transaction() as session:
        dag = await get_dag(session, dag_id)
        dag.is_paused = body.is_paused
        dag.updated_at = utcnow()
        await session.flush()
        await ctx.scheduler.register_dag(dag.dag_id, dag.latest_version_id, dag.is_paused)
        return await dag_response(session, dag)


@router.get(
    "/dags/{dag_id}/tasks",
    operation_id="get_tasks",
    tags=["Task"],
    summary="List a DAG's tasks (newest version)",
    response_model=TaskCollectionResponse,
)
async def get_tasks(
    dag_id: str,
    ctx: Ctx,
    order_by: Annotated[str, Query(pattern=r"^-?task_id$")] = "task_id",
) -> TaskCollectionResponse:
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
        version = await get_version(session, dag.latest_version_id)
    spec = parse_dag_spec(version.spec)
    ids = sorted(spec.task_by_id, reverse=order_by.startswith("-"))
    return TaskCollectionResponse(
        tasks=[_task_response(spec, t) for t in ids], total_entries=len(ids)
    )
