"""DAGs: storing a spec as an immutable version, listing, reading, pausing."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind.scheduler.v1 import queries_pb2
from tradewind_api.auth.visibility import require_dag, visible_dag_ids
from tradewind_api.clients import call
from tradewind_api.code_bundles import store_bundle
from tradewind_api.context import AppContext, get_context
from tradewind_api.dag_files import file_token, spec_location
from tradewind_api.import_errors import record_refusal, refused_dag_id
from tradewind_api.models import Dag, DagTag, DagVersion
from tradewind_api.models import ImportError as ImportError_
from tradewind_api.ordering import order_by_clause
from tradewind_api.pools import check_pools
from tradewind_api.schedules import with_next_runs
from tradewind_api.schemas import (
    DAGCollectionResponse,
    DAGDetailsResponse,
    DAGPatchBody,
    DAGResponse,
    DagTagResponse,
    DagVersionResponse,
    TaskCollectionResponse,
    TaskResponse,
    TimeDelta,
)
from tradewind_core.errors import InvalidArgument, NotFound
from tradewind_core.logging import get_logger
from tradewind_core.spec import DagSpec, DagSpecError, parse_dag_spec
from tradewind_core.timetables import describe_schedule
from tradewind_core.timeutil import as_utc, utcnow

router = APIRouter(prefix="/api/v2")
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
    Returns the DAG, its version, and whether that version is new."""
    now = utcnow()
    content_hash = spec.content_hash()
    dag = await session.get(Dag, spec.dag_id, with_for_update=True)
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
    created = version is None
    if version is None:
        if spec.code is not None:
            await store_bundle(session, spec.code)
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
    dag.schedule = None if spec.schedule is None else str(spec.schedule)
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


# Schedules that do not repeat: nothing to backfill, no period to speak of.
_ONE_OFF_SCHEDULES = {None, "@once", "@continuous", "None"}


def _dag_fields(dag: Dag, tags: list[str], version: DagVersion | None) -> dict[str, Any]:
    display_name = dag.dag_display_name or dag.dag_id
    periodic = dag.schedule not in _ONE_OFF_SCHEDULES
    return {
        "dag_id": dag.dag_id,
        "dag_display_name": display_name,
        "is_paused": dag.is_paused,
        "description": dag.description,
        "fileloc": spec_location(dag.dag_id),
        "relative_fileloc": spec_location(dag.dag_id),
        "file_token": file_token(dag.dag_id),
        "timetable_summary": dag.schedule,
        "timetable_description": describe_schedule(dag.schedule),
        "timetable_periodic": periodic,
        "is_backfillable": periodic,
        "tags": [
            DagTagResponse(name=t, dag_id=dag.dag_id, dag_display_name=display_name) for t in tags
        ],
        "max_active_tasks": dag.max_active_tasks,
        "max_active_runs": dag.max_active_runs,
        "owners": [o for o in (dag.owners or "").split(",") if o],
        "last_parsed_time": as_utc(dag.updated_at),
        "latest_dag_version": version_response(version, dag) if version else None,
    }


def _dag_response(dag: Dag, tags: list[str], version: DagVersion | None) -> DAGResponse:
    return DAGResponse(**_dag_fields(dag, tags, version))


def details_response(dag: Dag, tags: list[str], version: DagVersion) -> DAGDetailsResponse:
    spec = parse_dag_spec(version.spec)
    defaults = spec.default_args.model_dump(mode="json", exclude_none=True)
    return DAGDetailsResponse(
        **_dag_fields(dag, tags, version),
        catchup=spec.catchup,
        dag_run_timeout=_iso_duration(spec.dagrun_timeout),
        doc_md=spec.doc_md,
        start_date=spec.start_date,
        end_date=spec.end_date,
        is_paused_upon_creation=spec.is_paused_upon_creation,
        params=spec.params,
        timezone=spec.timezone,
        last_parsed=as_utc(version.created_at),
        default_args=defaults,
        concurrency=dag.max_active_tasks,
    )


def _iso_duration(delta: timedelta | None) -> str | None:
    """Airflow shows dagrun_timeout as an ISO 8601 duration (P1DT2H...)."""
    if delta is None:
        return None
    seconds = delta.total_seconds()
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"P{int(days)}DT{int(hours)}H{int(minutes)}M{secs:g}S"


def version_response(version: DagVersion, dag: Dag | None = None) -> DagVersionResponse:
    return DagVersionResponse(
        id=version.id,
        version_number=version.version_number,
        dag_id=version.dag_id,
        created_at=as_utc(version.created_at),
        dag_display_name=(dag.dag_display_name if dag else None) or version.dag_id,
    )


def _task_response(spec: DagSpec, task_id: str) -> TaskResponse:
    task = spec.task_by_id[task_id]
    return TaskResponse(
        task_id=task.task_id,
        task_display_name=task.task_display_name or task.task_id,
        owner=task.owner,
        start_date=spec.start_date,
        end_date=spec.end_date,
        operator_name=task.operator_name,
        class_ref={"module_path": "tradewind_core.spec", "class_name": type(task).__name__},
        trigger_rule=task.trigger_rule.value,
        depends_on_past=task.depends_on_past,
        wait_for_downstream=task.wait_for_downstream,
        retries=task.retries,
        retry_delay=TimeDelta.of(task.retry_delay),
        retry_exponential_backoff=float(task.retry_exponential_backoff),
        execution_timeout=TimeDelta.of(task.execution_timeout),
        pool=task.pool,
        pool_slots=task.pool_slots,
        priority_weight=task.priority_weight,
        weight_rule=task.weight_rule.value,
        queue=task.queue,
        doc_md=task.doc_md,
        params=spec.params,
        downstream_task_ids=spec.downstream[task.task_id],
        upstream_task_ids=sorted(task.upstream),
        template_fields=list(task.template_fields),
    )


async def _read_spec(request: Request) -> Any:
    """The body as JSON, or YAML when the client says so (specs written by hand)."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    return parse_spec_document(await request.body(), content_type)


def parse_spec_document(raw: bytes | str, content_type: str) -> Any:
    """A spec document as JSON, or YAML for a YAML content type."""
    try:
        if content_type in ("application/yaml", "application/x-yaml", "text/yaml"):
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        kind = "YAML" if "yaml" in content_type else "JSON"
        why = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise DagSpecError(
            [{"loc": (), "msg": f"the body is not valid {kind}: {why}", "type": "parse_error"}]
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
    tags=["DAG"],
    summary="Create a DAG, or store a new version of one (201); the same spec again is 200",
    status_code=201,
    response_model=DAGResponse,
    openapi_extra=_SPEC_BODY,
    responses={
        200: {
            "description": "The DAG has this very spec already: nothing new is stored.",
            "model": DAGResponse,
        },
        422: {"description": "The spec is invalid; `errors` names each field at fault."},
    },
)
async def post_dag(request: Request, response: Response, ctx: Ctx) -> DAGResponse:
    document = await _read_spec(request)
    if (dag_id := refused_dag_id(document)) is not None:
        await require_dag(request, ctx, dag_id, "edit")
    body, created = await create_dag(ctx, document)
    if not created:
        response.status_code = 200
    return body


async def create_dag(ctx: AppContext, document: Any) -> tuple[DAGResponse, bool]:
    """Validates a spec document and stores it as the DAG's newest version (REST and gRPC
    alike). Returns the DAG and whether a new version was stored."""
    try:
        spec = parse_dag_spec(document)
        await check_pools(ctx, spec)
    except DagSpecError as error:
        # Kept and listed as the DAG's import error, whichever door the spec came in by.
        dag_id = refused_dag_id(document)
        if dag_id is not None:
            await record_refusal(ctx, dag_id, error)
        raise
    try:
        body, created = await _store_and_register(ctx, spec)
    except IntegrityError:
        # Another request created this DAG a moment ago; now there is a row to lock.
        body, created = await _store_and_register(ctx, spec)
    [body] = await with_next_runs(ctx, [body])
    log.info(
        "DAG stored",
        dag_id=spec.dag_id,
        version_number=body.latest_dag_version.version_number if body.latest_dag_version else None,
        created=created,
    )
    return body, created


async def _store_and_register(ctx: AppContext, spec: DagSpec) -> tuple[DAGResponse, bool]:
    async with ctx.db.transaction() as session:
        dag, version, created = await store_spec(session, spec)
        await session.execute(delete(ImportError_).where(ImportError_.dag_id == dag.dag_id))
        # Told before the commit: if the scheduler cannot hear of the DAG, nothing is stored.
        await ctx.scheduler.register_dag(dag.dag_id, version.id, dag.is_paused)
        return await dag_response(session, dag), created


class DagFilters:
    """The filters Airflow's DAG list and bulk patch share."""

    def __init__(
        self,
        tags: Annotated[list[str] | None, Query(description="DAGs with these tags.")] = None,
        tags_match_mode: Annotated[
            Literal["any", "all"] | None, Query(description="Any of the tags, or all.")
        ] = None,
        owners: Annotated[list[str] | None, Query(description="DAGs with these owners.")] = None,
        dag_id_pattern: Annotated[
            str | None, Query(max_length=250, description="SQL LIKE pattern; % and _ match.")
        ] = None,
        exclude_stale: Annotated[
            bool, Query(description="Tradewind DAGs are never stale: has no effect.")
        ] = True,
        paused: bool | None = None,
    ) -> None:
        self.tags, self.tags_match_mode, self.owners = tags, tags_match_mode, owners
        self.dag_id_pattern, self.paused = dag_id_pattern, paused

    def apply(self, query: Select) -> Select:
        if self.tags:
            tagged = select(DagTag.dag_id).where(DagTag.name.in_(self.tags))
            if self.tags_match_mode == "all":
                tagged = tagged.group_by(DagTag.dag_id).having(
                    func.count(func.distinct(DagTag.name)) == len(set(self.tags))
                )
            query = query.where(Dag.dag_id.in_(tagged))
        if self.owners:
            query = query.where(
                or_(*(("," + Dag.owners + ",").contains(f",{o},") for o in self.owners))
            )
        if self.dag_id_pattern:
            query = query.where(Dag.dag_id.like(f"%{self.dag_id_pattern}%"))
        if self.paused is not None:
            query = query.where(Dag.is_paused == self.paused)
        return query


Filters = Annotated[DagFilters, Depends()]
DAG_ORDER = {"dag_id": Dag.dag_id, "dag_display_name": Dag.dag_display_name}


async def _collection(ctx: AppContext, dags: list[Dag], total: int) -> DAGCollectionResponse:
    ids = [d.dag_id for d in dags]
    async with ctx.db.reader() as session:
        tag_rows = (await session.execute(select(DagTag).where(DagTag.dag_id.in_(ids)))).scalars()
        versions = {
            v.id: v
            for v in await session.scalars(
                select(DagVersion).where(DagVersion.id.in_([d.latest_version_id for d in dags]))
            )
        }
        errors = set(
            await session.scalars(
                select(ImportError_.dag_id).where(ImportError_.dag_id.in_(ids)).distinct()
            )
        )
    by_dag: dict[str, list[str]] = {}
    for tag in tag_rows:
        by_dag.setdefault(tag.dag_id, []).append(tag.name)
    bodies = []
    for d in dags:
        body = _dag_response(d, sorted(by_dag.get(d.dag_id, [])), versions.get(d.latest_version_id))
        body.has_import_errors = d.dag_id in errors
        bodies.append(body)
    return DAGCollectionResponse(dags=await with_next_runs(ctx, bodies), total_entries=total)


@router.get(
    "/dags",
    operation_id="get_dags",
    tags=["DAG"],
    summary="List DAGs",
    response_model=DAGCollectionResponse,
)
async def get_dags(
    request: Request,
    ctx: Ctx,
    filters: Filters,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    dag_display_name_pattern: Annotated[
        str | None, Query(max_length=2000, description="SQL LIKE pattern; % and _ match.")
    ] = None,
    has_import_errors: bool | None = None,
    order_by: Annotated[
        list[str] | None,
        Query(max_length=4, description="dag_id or dag_display_name; a leading - reverses."),
    ] = None,
) -> DAGCollectionResponse:
    query = filters.apply(select(Dag))
    if (visible := await visible_dag_ids(request, ctx)) is not None:
        query = query.where(Dag.dag_id.in_(visible))
    if dag_display_name_pattern:
        query = query.where(
            func.coalesce(Dag.dag_display_name, Dag.dag_id).like(f"%{dag_display_name_pattern}%")
        )
    if has_import_errors is not None:
        failed = Dag.dag_id.in_(select(ImportError_.dag_id))
        query = query.where(failed if has_import_errors else ~failed)
    query = query.order_by(*order_by_clause(order_by or ["dag_id"], DAG_ORDER, Dag.dag_id))
    async with ctx.db.reader() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        dags = list(await session.scalars(query.limit(limit).offset(offset)))
    return await _collection(ctx, dags, total or 0)


def _paused_in_mask(update_mask: list[str] | None) -> None:
    if update_mask is not None and set(update_mask) != {"is_paused"}:
        unknown = sorted(set(update_mask) - {"is_paused"}) or ["(empty)"]
        raise InvalidArgument(
            f"update_mask: {', '.join(unknown)} cannot be updated; allowed: is_paused"
        )


@router.patch(
    "/dags",
    operation_id="patch_dags",
    tags=["DAG"],
    summary="Pause or unpause every DAG the filters select",
    response_model=DAGCollectionResponse,
    responses={422: {"description": "A bad filter or update_mask; nothing is changed."}},
)
async def patch_dags(
    request: Request,
    body: DAGPatchBody,
    ctx: Ctx,
    filters: Filters,
    update_mask: Annotated[
        list[str] | None, Query(description="Fields of the body to apply: is_paused.")
    ] = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> DAGCollectionResponse:
    _paused_in_mask(update_mask)
    query = filters.apply(select(Dag)).order_by(Dag.dag_id)
    # Only the DAGs the caller may edit are changed (and counted); the rest stay hidden.
    if (editable := await visible_dag_ids(request, ctx, "edit")) is not None:
        query = query.where(Dag.dag_id.in_(editable))
    async with ctx.db.transaction() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        dags = list(
            await session.scalars(query.limit(limit).offset(offset).with_for_update(of=Dag))
        )
        now = utcnow()
        for dag in dags:
            if dag.is_paused != body.is_paused:
                dag.is_paused = body.is_paused
                dag.updated_at = now
        await session.flush()
        # Told before the commit: if the scheduler cannot hear of a change, none is kept.
        for dag in dags:
            await ctx.scheduler.register_dag(dag.dag_id, dag.latest_version_id, dag.is_paused)
    return await _collection(ctx, dags, total or 0)


@router.get(
    "/dags/{dag_id}",
    operation_id="get_dag",
    tags=["DAG"],
    summary="Get a DAG",
    response_model=DAGResponse,
)
async def get_dag_route(dag_id: str, ctx: Ctx) -> DAGResponse:
    return (await _collection(ctx, [await _dag(ctx, dag_id)], 1)).dags[0]


async def _dag(ctx: AppContext, dag_id: str) -> Dag:
    async with ctx.db.reader() as session:
        return await get_dag(session, dag_id)


@router.get(
    "/dags/{dag_id}/details",
    operation_id="get_dag_details",
    tags=["DAG"],
    summary="Get a DAG with what its spec says beyond the listing",
    response_model=DAGDetailsResponse,
)
async def get_dag_details(dag_id: str, ctx: Ctx) -> DAGDetailsResponse:
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
        tags = sorted(await session.scalars(select(DagTag.name).where(DagTag.dag_id == dag_id)))
        version = await get_version(session, dag.latest_version_id)
        failed = await session.scalar(
            select(func.count()).select_from(ImportError_).where(ImportError_.dag_id == dag_id)
        )
    body = details_response(dag, tags, version)
    body.has_import_errors = bool(failed)
    listing = (await with_next_runs(ctx, [DAGResponse.model_validate(body.model_dump())]))[0]
    for field in (
        "next_dagrun_logical_date",
        "next_dagrun_data_interval_start",
        "next_dagrun_data_interval_end",
        "next_dagrun_run_after",
    ):
        setattr(body, field, getattr(listing, field))
    counts = await call(
        "scheduler",
        ctx.scheduler.queries.CountDagRunsByState(
            queries_pb2.CountDagRunsByStateRequest(dag_ids=[dag_id]), timeout=10
        ),
    )
    body.active_runs_count = sum(c.count for c in counts.counts if c.state in ("queued", "running"))
    return body


@router.patch(
    "/dags/{dag_id}",
    operation_id="patch_dag",
    tags=["DAG"],
    summary="Pause or unpause a DAG",
    response_model=DAGResponse,
)
async def patch_dag(
    dag_id: str,
    body: DAGPatchBody,
    ctx: Ctx,
    update_mask: Annotated[
        list[str] | None, Query(description="Fields of the body to apply: is_paused.")
    ] = None,
) -> DAGResponse:
    _paused_in_mask(update_mask)
    async with ctx.db.transaction() as session:
        dag = await get_dag(session, dag_id)
        dag.is_paused = body.is_paused
        dag.updated_at = utcnow()
        await session.flush()
        await ctx.scheduler.register_dag(dag.dag_id, dag.latest_version_id, dag.is_paused)
    return (await _collection(ctx, [dag], 1)).dags[0]


async def _latest_spec(ctx: AppContext, dag_id: str) -> DagSpec:
    async with ctx.db.reader() as session:
        dag = await get_dag(session, dag_id)
        version = await get_version(session, dag.latest_version_id)
    return parse_dag_spec(version.spec)


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
    spec = await _latest_spec(ctx, dag_id)
    ids = sorted(spec.task_by_id, reverse=order_by.startswith("-"))
    return TaskCollectionResponse(
        tasks=[_task_response(spec, t) for t in ids], total_entries=len(ids)
    )


@router.get(
    "/dags/{dag_id}/tasks/{task_id}",
    operation_id="get_task",
    tags=["Task"],
    summary="Get one task of a DAG (newest version)",
    response_model=TaskResponse,
)
async def get_task(dag_id: str, task_id: str, ctx: Ctx) -> TaskResponse:
    spec = await _latest_spec(ctx, dag_id)
    if task_id not in spec.task_by_id:
        raise NotFound(f"task {task_id!r} is not in DAG {dag_id!r}")
    return _task_response(spec, task_id)
