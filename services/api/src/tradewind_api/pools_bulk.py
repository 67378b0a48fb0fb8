"""`PATCH /api/v2/pools`: Airflow 3's bulk body for pools. Each action (create, update,
delete) is applied entity by entity through the scheduler's PoolService, and the answer
lists, per action, the pools it changed and an error for each it could not: one bad
entity never stops its neighbours. Entities are applied one by one, not as one
transaction, so a failure part-way leaves the earlier ones done (and listed as such)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from google.protobuf.field_mask_pb2 import FieldMask
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.scheduler.v1 import pools_pb2
from tradewind_api.clients import call
from tradewind_api.context import AppContext, get_context
from tradewind_api.pools import DEFAULT_POOL, PoolBody, pool_proto, pool_stub
from tradewind_core.errors import AlreadyExists, Conflict, InvalidArgument, NotFound

router = APIRouter(prefix="/api/v2/pools", tags=["Pool"])
Ctx = Annotated[AppContext, Depends(get_context)]
# Bounded, like every batch: one request may name at most this many pools in all.
MAX_ENTITIES = 1000
POOL_FIELDS = ("slots", "description", "include_deferred")


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BulkCreateActionPoolBody(_Action):
    action: Literal["create"]
    entities: list[PoolBody]
    action_on_existence: Literal["fail", "skip", "overwrite"] = "fail"


class BulkUpdateActionPoolBody(_Action):
    action: Literal["update"]
    entities: list[PoolBody]
    update_mask: list[str] | None = None
    action_on_non_existence: Literal["fail", "skip"] = "fail"


class BulkDeleteActionPoolBody(_Action):
    action: Literal["delete"]
    entities: list[str | PoolBody]
    action_on_non_existence: Literal["fail", "skip"] = "fail"


class BulkBodyPoolBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actions: list[
        Annotated[
            BulkCreateActionPoolBody | BulkUpdateActionPoolBody | BulkDeleteActionPoolBody,
            Field(discriminator="action"),
        ]
    ]

    @model_validator(mode="after")
    def _bounded(self) -> BulkBodyPoolBody:
        count = sum(len(action.entities) for action in self.actions)
        if count > MAX_ENTITIES:
            raise ValueError(f"at most {MAX_ENTITIES} pools per request, got {count}")
        return self


class BulkActionResponse(BaseModel):
    success: list[str] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list)


class BulkResponse(BaseModel):
    create: BulkActionResponse | None = None
    update: BulkActionResponse | None = None
    delete: BulkActionResponse | None = None


@router.patch(
    "",
    operation_id="bulk_pools",
    summary="Bulk Pools",
    response_model=BulkResponse,
    responses={422: {"description": "The body is not a bulk body, or names too many pools"}},
)
async def bulk_pools(body: BulkBodyPoolBody, ctx: Ctx) -> BulkResponse:
    response = BulkResponse()
    for action in body.actions:
        outcome = getattr(response, action.action) or BulkActionResponse()
        setattr(response, action.action, outcome)
        if isinstance(action, BulkCreateActionPoolBody):
            await _create(ctx, action, outcome)
        elif isinstance(action, BulkUpdateActionPoolBody):
            await _update(ctx, action, outcome)
        else:
            await _delete(ctx, action, outcome)
    return response


async def _create(ctx: AppContext, action: BulkCreateActionPoolBody, out: BulkActionResponse):
    for pool in action.entities:
        proto = pool_proto(pool.name, pool.slots, pool.description, pool.include_deferred)
        try:
            await call(
                "scheduler",
                pool_stub(ctx).CreatePool(pools_pb2.CreatePoolRequest(pool=proto), timeout=10),
            )
        except AlreadyExists as exc:
            if action.action_on_existence == "skip":
                continue
            if action.action_on_existence == "fail":
                out.errors.append(_error(exc.detail, 409))
                continue
            if not await _apply_update(ctx, pool, list(POOL_FIELDS), out):
                continue
        except (Conflict, InvalidArgument) as exc:
            out.errors.append(_error(exc.detail, 422))
            continue
        out.success.append(pool.name)


async def _update(ctx: AppContext, action: BulkUpdateActionPoolBody, out: BulkActionResponse):
    mask = action.update_mask or list(POOL_FIELDS)
    unknown = [path for path in mask if path not in POOL_FIELDS]
    if unknown:
        out.errors.append(_error(f"update_mask: {unknown[0]!r} is not a field of a pool", 422))
        return
    for pool in action.entities:
        try:
            done = await _apply_update(ctx, pool, mask, out)
        except NotFound as exc:
            if action.action_on_non_existence == "fail":
                out.errors.append(_error(exc.detail, 404))
            continue
        if done:
            out.success.append(pool.name)


async def _delete(ctx: AppContext, action: BulkDeleteActionPoolBody, out: BulkActionResponse):
    for entity in action.entities:
        name = entity if isinstance(entity, str) else entity.name
        try:
            await call(
                "scheduler",
                pool_stub(ctx).DeletePool(pools_pb2.DeletePoolRequest(name=name), timeout=10),
            )
        except NotFound as exc:
            if action.action_on_non_existence == "fail":
                out.errors.append(_error(exc.detail, 404))
            continue
        except Conflict as exc:  # the default pool
            out.errors.append(_error(exc.detail, 400 if name == DEFAULT_POOL else 409))
            continue
        out.success.append(name)


async def _apply_update(
    ctx: AppContext, pool: PoolBody, mask: list[str], out: BulkActionResponse
) -> bool:
    """NotFound propagates (the caller knows what a missing pool means for it)."""
    request = pools_pb2.UpdatePoolRequest(
        name=pool.name,
        pool=pool_proto(pool.name, pool.slots, pool.description, pool.include_deferred),
        update_mask=FieldMask(paths=mask),
    )
    try:
        await call("scheduler", pool_stub(ctx).UpdatePool(request, timeout=10))
    except (Conflict, InvalidArgument) as exc:
        out.errors.append(_error(exc.detail, 422))
        return False
    return True


def _error(detail: str, status_code: int) -> dict[str, Any]:
    return {"error": detail, "status_code": status_code}
