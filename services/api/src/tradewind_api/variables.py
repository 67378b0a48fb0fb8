"""Variables (`/api/v2/variables`, Airflow 3's paths and shapes): keys and values tasks can
read. Every value is kept encrypted; values whose key looks secret are masked in answers."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_api.bulk import BulkBody, BulkResponse, apply_bulk
from tradewind_api.context import AppContext, get_context
from tradewind_api.models import Variable
from tradewind_api.ordering import order_by_clause
from tradewind_api.secrets import MASK, SecretBox, looks_secret
from tradewind_core.errors import AlreadyExists, InvalidArgument, NotFound

router = APIRouter(prefix="/api/v2/variables", tags=["Variable"])
Ctx = Annotated[AppContext, Depends(get_context)]
UPDATABLE = {"value", "description"}
ORDERABLE = {"id": Variable.id, "key": Variable.key, "description": Variable.description}


class VariableBody(BaseModel):
    """A variable as written: a value that is not a string is stored as its JSON text."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=250, examples=["sales_bucket"])
    value: JsonValue = Field(examples=["s3://sales"])
    description: str | None = Field(default=None, max_length=10_000)
    team_name: str | None = Field(default=None, max_length=50)


class VariableResponse(BaseModel):
    key: str
    value: str = Field(description=f"The value; {MASK} when the key looks secret.")
    description: str | None = None
    is_encrypted: bool
    team_name: str | None = None


class VariableCollectionResponse(BaseModel):
    variables: list[VariableResponse]
    total_entries: int


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def response(variable: Variable, box: SecretBox) -> VariableResponse:
    value = variable.val or ""
    if variable.is_encrypted and value:
        value = box.decrypt(value)
    return VariableResponse(
        key=variable.key,
        value=MASK if looks_secret(variable.key) else value,
        description=variable.description,
        is_encrypted=variable.is_encrypted,
    )


async def find(session: AsyncSession, key: str, *, lock: bool = False) -> Variable | None:
    query = select(Variable).where(Variable.key == key)
    return await session.scalar(query.with_for_update() if lock else query)


async def _get(session: AsyncSession, key: str, *, lock: bool = False) -> Variable:
    variable = await find(session, key, lock=lock)
    if variable is None:
        raise NotFound(f"The Variable with key: `{key}` was not found")
    return variable


def _apply(variable: Variable, body: VariableBody, fields: set[str], box: SecretBox) -> None:
    if "value" in fields:
        variable.val = box.encrypt(_text(body.value))
        variable.is_encrypted = True
    if "description" in fields:
        variable.description = body.description


def _mask_fields(update_mask: list[str] | None) -> set[str]:
    if update_mask is None:
        return set(UPDATABLE)
    unknown = sorted(set(update_mask) - UPDATABLE)
    if unknown:
        raise InvalidArgument(
            f"update_mask: {', '.join(unknown)} cannot be updated; "
            f"allowed: {', '.join(sorted(UPDATABLE))}"
        )
    return set(update_mask)


@router.get(
    "",
    operation_id="get_variables",
    summary="List variables",
    response_model=VariableCollectionResponse,
)
async def get_variables(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    order_by: Annotated[
        list[str] | None, Query(description="id, key or description; a leading - reverses.")
    ] = None,
    variable_key_pattern: Annotated[
        str | None, Query(max_length=250, description="SQL LIKE pattern; % and _ match.")
    ] = None,
) -> VariableCollectionResponse:
    query = select(Variable)
    if variable_key_pattern:
        query = query.where(Variable.key.like(f"%{variable_key_pattern}%"))
    async with ctx.db.reader() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await session.scalars(
            query.order_by(*order_by_clause(order_by or ["id"], ORDERABLE, Variable.id))
            .limit(limit)
            .offset(offset)
        )
        return VariableCollectionResponse(
            variables=[response(v, ctx.secrets) for v in rows], total_entries=total or 0
        )


@router.get(
    "/{variable_key}",
    operation_id="get_variable",
    summary="Get a variable",
    response_model=VariableResponse,
)
async def get_variable(variable_key: str, ctx: Ctx) -> VariableResponse:
    async with ctx.db.reader() as session:
        return response(await _get(session, variable_key), ctx.secrets)


@router.post(
    "",
    operation_id="post_variable",
    summary="Create a variable",
    status_code=201,
    response_model=VariableResponse,
    responses={409: {"description": "A variable with this key exists"}},
)
async def post_variable(body: VariableBody, ctx: Ctx) -> VariableResponse:
    async with ctx.db.transaction() as session:
        if await find(session, body.key) is not None:
            raise AlreadyExists(f"The Variable with key: `{body.key}` already exists")
        variable = Variable(key=body.key)
        _apply(variable, body, set(UPDATABLE), ctx.secrets)
        session.add(variable)
        try:
            await session.flush()
        except IntegrityError:  # created by another request a moment ago
            raise AlreadyExists(f"The Variable with key: `{body.key}` already exists") from None
        return response(variable, ctx.secrets)


@router.patch(
    "/{variable_key}",
    operation_id="patch_variable",
    summary="Update a variable's value or description",
    response_model=VariableResponse,
    responses={404: {"description": "No such variable"}},
)
async def patch_variable(
    variable_key: str,
    body: VariableBody,
    ctx: Ctx,
    update_mask: Annotated[
        list[str] | None, Query(description="Fields of the body to apply: value, description.")
    ] = None,
) -> VariableResponse:
    if body.key != variable_key:
        raise InvalidArgument(
            f"body.key: {body.key!r} does not match the variable in the path ({variable_key!r})"
        )
    fields = _mask_fields(update_mask)
    async with ctx.db.transaction() as session:
        variable = await _get(session, variable_key, lock=True)
        _apply(variable, body, fields, ctx.secrets)
        await session.flush()
        return response(variable, ctx.secrets)


@router.delete(
    "/{variable_key}",
    operation_id="delete_variable",
    summary="Delete a variable",
    status_code=204,
    response_class=Response,
    responses={404: {"description": "No such variable"}},
)
async def delete_variable(variable_key: str, ctx: Ctx) -> Response:
    async with ctx.db.transaction() as session:
        await session.delete(await _get(session, variable_key, lock=True))
    return Response(status_code=204)


class _VariableTable:
    """Variables in a bulk body (bulk.apply_bulk)."""

    noun, key_name, all_fields = "Variable", "key", UPDATABLE

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def key_of(self, entity: VariableBody) -> str:
        return entity.key

    async def find(self, session: AsyncSession, key: str) -> Variable | None:
        return await find(session, key, lock=True)

    def new(self, key: str, entity: VariableBody) -> Variable:
        return Variable(key=key)

    def apply(self, row: Variable, entity: VariableBody, fields: set[str]) -> None:
        _apply(row, entity, fields, self._box)

    def mask_fields(self, update_mask: list[str] | None) -> set[str]:
        return _mask_fields(update_mask)


@router.patch(
    "",
    operation_id="bulk_variables",
    summary="Create, update and delete variables in one request",
    response_model=BulkResponse,
)
async def bulk_variables(body: BulkBody[VariableBody], ctx: Ctx) -> BulkResponse:
    async with ctx.db.transaction() as session:
        return await apply_bulk(session, body, _VariableTable(ctx.secrets))
