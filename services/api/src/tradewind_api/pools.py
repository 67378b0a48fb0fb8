"""Pools through `/api/v2/pools` (Airflow 3's paths, operation ids and shapes). The
scheduler owns pools, because it enforces them; these routes forward to its PoolService."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from google.protobuf.field_mask_pb2 import FieldMask
from pydantic import BaseModel, ConfigDict, Field

from tradewind.scheduler.v1 import pools_pb2, pools_pb2_grpc
from tradewind_api.clients import call
from tradewind_api.context import AppContext, get_context
from tradewind_api.problems import problem
from tradewind_core.errors import Conflict, InvalidArgument, NotFound
from tradewind_core.spec import INT32_MAX, DagSpec, DagSpecError

router = APIRouter(prefix="/api/v2/pools", tags=["Pool"])
Ctx = Annotated[AppContext, Depends(get_context)]
DEFAULT_POOL = "default_pool"
Slots = Annotated[
    int, Field(ge=-1, le=INT32_MAX, description="Number of slots. Use -1 for unlimited.")
]


class PoolBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_.\-]+$")]
    slots: Slots
    description: str | None = None
    include_deferred: bool = False
    team_name: None = Field(default=None, description="Always null: Tradewind has no teams.")


class PoolPatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pool: str | None = None
    slots: Slots | None = None
    description: str | None = None
    include_deferred: bool | None = None
    team_name: None = Field(default=None, description="Always null: Tradewind has no teams.")


class PoolResponse(BaseModel):
    name: str
    slots: int
    description: str | None
    include_deferred: bool
    occupied_slots: int
    running_slots: int
    queued_slots: int
    scheduled_slots: int
    open_slots: int
    deferred_slots: int
    team_name: str | None = None


class PoolCollectionResponse(BaseModel):
    pools: list[PoolResponse]
    total_entries: int


def pool_stub(ctx: AppContext) -> pools_pb2_grpc.PoolServiceStub:
    return pools_pb2_grpc.PoolServiceStub(ctx.scheduler.channel)


def _response(pool: pools_pb2.Pool) -> PoolResponse:
    return PoolResponse(
        name=pool.name,
        slots=pool.slots,
        description=pool.description if pool.has_description or pool.description else None,
        include_deferred=pool.include_deferred,
        occupied_slots=pool.occupied_slots,
        running_slots=pool.running_slots,
        queued_slots=pool.queued_slots,
        scheduled_slots=pool.scheduled_slots,
        open_slots=pool.open_slots,
        deferred_slots=pool.deferred_slots,
    )


def pool_proto(name: str, slots: int, description: str | None, include_deferred: bool):
    return pools_pb2.Pool(
        name=name,
        slots=slots,
        description=description or "",
        has_description=description is not None,
        include_deferred=include_deferred,
    )


@router.get(
    "", operation_id="get_pools", summary="Get Pools", response_model=PoolCollectionResponse
)
async def get_pools(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
    order_by: Annotated[list[str] | None, Query()] = None,
    pool_name_pattern: Annotated[str | None, Query(max_length=256)] = None,
) -> PoolCollectionResponse:
    keys = [key for key in (order_by or []) if key.removeprefix("-") != "id"]
    if len(keys) > 1:
        raise InvalidArgument("order_by: pools are ordered by one attribute")
    request = pools_pb2.ListPoolsRequest(
        limit=limit or 50,
        offset=offset,
        order_by=keys[0] if keys else "name",
        pool_name_pattern=pool_name_pattern or "",
    )
    reply = await call("scheduler", pool_stub(ctx).ListPools(request, timeout=10))
    return PoolCollectionResponse(
        pools=[_response(p) for p in reply.pools], total_entries=reply.total_entries
    )


@router.get(
    "/{pool_name}",
    operation_id="get_pool",
    summary="Get Pool",
    response_model=PoolResponse,
    responses={404: {"description": "No such pool"}},
)
async def get_pool(pool_name: Annotated[str, Path(max_length=256)], ctx: Ctx) -> PoolResponse:
    request = pools_pb2.GetPoolRequest(name=pool_name)
    return _response((await call("scheduler", pool_stub(ctx).GetPool(request, timeout=10))).pool)


@router.post(
    "",
    operation_id="post_pool",
    summary="Post Pool",
    status_code=201,
    response_model=PoolResponse,
    responses={409: {"description": "A pool of that name exists"}},
)
async def post_pool(body: PoolBody, ctx: Ctx) -> PoolResponse:
    request = pools_pb2.CreatePoolRequest(
        pool=pool_proto(body.name, body.slots, body.description, body.include_deferred)
    )
    return _response((await call("scheduler", pool_stub(ctx).CreatePool(request, timeout=10))).pool)


@router.patch(
    "/{pool_name}",
    operation_id="patch_pool",
    summary="Patch Pool",
    response_model=PoolResponse,
    responses={404: {"description": "No such pool"}},
)
async def patch_pool(
    pool_name: Annotated[str, Path(max_length=256)],
    body: PoolPatchBody,
    ctx: Ctx,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> PoolResponse:
    given = body.model_fields_set
    paths = list(update_mask) if update_mask else sorted(given)
    for path in paths:
        if path not in PoolPatchBody.model_fields:
            raise InvalidArgument(f"update_mask: {path!r} is not a field of a pool")
    if "slots" in paths and body.slots is None:
        raise InvalidArgument("slots: required when updated")
    if "include_deferred" in paths and body.include_deferred is None:
        raise InvalidArgument("include_deferred: required when updated")
    if body.pool is not None and body.pool != pool_name:
        raise InvalidArgument(f"pool: a pool cannot be renamed ({pool_name!r} to {body.pool!r})")
    # team_name can only be null: nothing to change.
    mask = [p for p in paths if p not in ("pool", "team_name")]
    if not mask:
        raise InvalidArgument(
            "the body changes nothing; give slots, description or include_deferred"
        )
    request = pools_pb2.UpdatePoolRequest(
        name=pool_name,
        pool=pool_proto(pool_name, body.slots or 0, body.description, bool(body.include_deferred)),
        update_mask=FieldMask(paths=mask),
    )
    return _response((await call("scheduler", pool_stub(ctx).UpdatePool(request, timeout=10))).pool)


@router.delete(
    "/{pool_name}",
    operation_id="delete_pool",
    summary="Delete Pool",
    status_code=204,
    responses={400: {"description": "default_pool cannot be deleted"}, 404: {}},
)
async def delete_pool(pool_name: Annotated[str, Path(max_length=256)], ctx: Ctx) -> Response:
    request = pools_pb2.DeletePoolRequest(name=pool_name)
    try:
        await call("scheduler", pool_stub(ctx).DeletePool(request, timeout=10))
    except Conflict as exc:  # Airflow answers 400 for the default pool
        return problem(400, "Bad Request", exc.detail)
    return Response(status_code=204)


async def check_pools(ctx: AppContext, spec: DagSpec) -> None:
    """A task naming a pool that does not exist is refused with the spec (422 naming
    tasks[i].pool), rather than accepted and left waiting forever."""
    names = {task.pool for task in spec.tasks} - {DEFAULT_POOL}
    errors = []
    for name in sorted(names):
        request = pools_pb2.GetPoolRequest(name=name)
        try:
            await call("scheduler", pool_stub(ctx).GetPool(request, timeout=10))
        except NotFound:
            for index, task in enumerate(spec.tasks):
                if task.pool == name:
                    errors.append(
                        {
                            "loc": ("tasks", index, "pool"),
                            "msg": f"pool {name!r} does not exist (POST /api/v2/pools)",
                            "type": "unknown_pool",
                        }
                    )
    if errors:
        raise DagSpecError(errors)
