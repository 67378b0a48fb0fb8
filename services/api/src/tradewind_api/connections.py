"""Connections (`/api/v2/connections`, Airflow 3's paths and shapes): how tasks reach
outside systems. Passwords and extras are kept encrypted and never answered in clear: a
password is masked, and so is every secret-looking key of the extra."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_api.bulk import BulkBody, BulkResponse, apply_bulk
from tradewind_api.context import AppContext, get_context
from tradewind_api.models import Connection
from tradewind_api.ordering import order_by_clause
from tradewind_api.secrets import MASK, SecretBox, mask_extra
from tradewind_core.errors import AlreadyExists, InvalidArgument, NotFound

router = APIRouter(prefix="/api/v2/connections", tags=["Connection"])
Ctx = Annotated[AppContext, Depends(get_context)]
UPDATABLE = {"conn_type", "description", "host", "login", "schema", "port", "password", "extra"}
ORDERABLE = {
    "id": Connection.id,
    "connection_id": Connection.conn_id,
    "conn_type": Connection.conn_type,
    "description": Connection.description,
    "host": Connection.host,
    "port": Connection.port,
}


class ConnectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    connection_id: str = Field(max_length=200, pattern=r"^[\w.-]+$", examples=["sales_db"])
    conn_type: str = Field(min_length=1, max_length=500, examples=["postgres"])
    description: str | None = Field(default=None, max_length=10_000)
    host: str | None = Field(default=None, max_length=500)
    login: str | None = Field(default=None, max_length=10_000)
    schema_: str | None = Field(default=None, alias="schema", max_length=500)
    port: int | None = Field(default=None, ge=0, le=65535)
    password: str | None = Field(
        default=None,
        max_length=10_000,
        description=f"Kept encrypted. {MASK} (what answers show) leaves the stored one as is.",
    )
    extra: str | None = Field(
        default=None, max_length=100_000, description="JSON text; kept encrypted."
    )
    team_name: str | None = Field(default=None, max_length=50)

    @field_validator("extra")
    @classmethod
    def _json_object(cls, value: str | None) -> str | None:
        if value in (None, "", MASK):
            return value
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise ValueError("extra must be a JSON object, as text")
        return value


class ConnectionResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    connection_id: str
    conn_type: str
    description: str | None = None
    host: str | None = None
    login: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    port: int | None = None
    password: str | None = Field(default=None, description=f"{MASK} when one is set.")
    extra: str | None = Field(default=None, description=f"Secret-looking values are {MASK}.")
    team_name: str | None = None


class ConnectionCollectionResponse(BaseModel):
    connections: list[ConnectionResponse]
    total_entries: int


def response(conn: Connection, box: SecretBox) -> ConnectionResponse:
    extra = conn.extra
    if extra and conn.is_extra_encrypted:
        extra = box.decrypt(extra)
    return ConnectionResponse(
        connection_id=conn.conn_id,
        conn_type=conn.conn_type,
        description=conn.description,
        host=conn.host,
        login=conn.login,
        schema=conn.schema_,
        port=conn.port,
        password=MASK if conn.password else None,
        extra=mask_extra(extra),
    )


async def find(session: AsyncSession, conn_id: str, *, lock: bool = False) -> Connection | None:
    query = select(Connection).where(Connection.conn_id == conn_id)
    return await session.scalar(query.with_for_update() if lock else query)


async def _get(session: AsyncSession, conn_id: str, *, lock: bool = False) -> Connection:
    conn = await find(session, conn_id, lock=lock)
    if conn is None:
        raise NotFound(f"The Connection with connection_id: `{conn_id}` was not found")
    return conn


def _apply(conn: Connection, body: ConnectionBody, fields: set[str], box: SecretBox) -> None:
    for name in fields - {"password", "extra", "schema"}:
        setattr(conn, name, getattr(body, name))
    if "schema" in fields:
        conn.schema_ = body.schema_
    if "password" in fields and body.password != MASK:
        conn.password = box.encrypt(body.password) if body.password else None
        conn.is_encrypted = bool(body.password)
    if "extra" in fields:
        # A masked extra sent back as it was shown keeps the stored one.
        if body.extra is None or body.extra == "":
            conn.extra, conn.is_extra_encrypted = body.extra, False
        elif not (conn.extra and body.extra == mask_extra(box.decrypt(conn.extra))):
            conn.extra, conn.is_extra_encrypted = box.encrypt(body.extra), True


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
    operation_id="get_connections",
    summary="List connections",
    response_model=ConnectionCollectionResponse,
)
async def get_connections(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    order_by: Annotated[
        list[str] | None,
        Query(
            description="id, connection_id, conn_type, description, host or port; "
            "a leading - reverses."
        ),
    ] = None,
    connection_id_pattern: Annotated[
        str | None, Query(max_length=200, description="SQL LIKE pattern; % and _ match.")
    ] = None,
) -> ConnectionCollectionResponse:
    query = select(Connection)
    if connection_id_pattern:
        query = query.where(Connection.conn_id.like(f"%{connection_id_pattern}%"))
    async with ctx.db.reader() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await session.scalars(
            query.order_by(*order_by_clause(order_by or ["id"], ORDERABLE, Connection.id))
            .limit(limit)
            .offset(offset)
        )
        return ConnectionCollectionResponse(
            connections=[response(c, ctx.secrets) for c in rows], total_entries=total or 0
        )


@router.get(
    "/{connection_id}",
    operation_id="get_connection",
    summary="Get a connection",
    response_model=ConnectionResponse,
)
async def get_connection(connection_id: str, ctx: Ctx) -> ConnectionResponse:
    async with ctx.db.reader() as session:
        return response(await _get(session, connection_id), ctx.secrets)


@router.post(
    "",
    operation_id="post_connection",
    summary="Create a connection",
    status_code=201,
    response_model=ConnectionResponse,
    responses={409: {"description": "A connection with this id exists"}},
)
async def post_connection(body: ConnectionBody, ctx: Ctx) -> ConnectionResponse:
    exists = AlreadyExists(
        f"The Connection with connection_id: `{body.connection_id}` already exists"
    )
    async with ctx.db.transaction() as session:
        if await find(session, body.connection_id) is not None:
            raise exists
        conn = Connection(conn_id=body.connection_id, conn_type=body.conn_type)
        _apply(conn, body, set(UPDATABLE), ctx.secrets)
        session.add(conn)
        try:
            await session.flush()
        except IntegrityError:  # created by another request a moment ago
            raise exists from None
        return response(conn, ctx.secrets)


@router.patch(
    "/{connection_id}",
    operation_id="patch_connection",
    summary="Update a connection",
    response_model=ConnectionResponse,
    responses={404: {"description": "No such connection"}},
)
async def patch_connection(
    connection_id: str,
    body: ConnectionBody,
    ctx: Ctx,
    update_mask: Annotated[
        list[str] | None, Query(description="Fields of the body to apply.")
    ] = None,
) -> ConnectionResponse:
    if body.connection_id != connection_id:
        raise InvalidArgument(
            f"body.connection_id: {body.connection_id!r} does not match the connection in "
            f"the path ({connection_id!r})"
        )
    fields = _mask_fields(update_mask)
    async with ctx.db.transaction() as session:
        conn = await _get(session, connection_id, lock=True)
        _apply(conn, body, fields, ctx.secrets)
        await session.flush()
        return response(conn, ctx.secrets)


@router.delete(
    "/{connection_id}",
    operation_id="delete_connection",
    summary="Delete a connection",
    status_code=204,
    response_class=Response,
    responses={404: {"description": "No such connection"}},
)
async def delete_connection(connection_id: str, ctx: Ctx) -> Response:
    async with ctx.db.transaction() as session:
        await session.delete(await _get(session, connection_id, lock=True))
    return Response(status_code=204)


class _ConnectionTable:
    """Connections in a bulk body (bulk.apply_bulk)."""

    noun, key_name, all_fields = "Connection", "connection_id", UPDATABLE

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def key_of(self, entity: ConnectionBody) -> str:
        return entity.connection_id

    async def find(self, session: AsyncSession, key: str) -> Connection | None:
        return await find(session, key, lock=True)

    def new(self, key: str, entity: ConnectionBody) -> Connection:
        return Connection(conn_id=key, conn_type=entity.conn_type)

    def apply(self, row: Connection, entity: ConnectionBody, fields: set[str]) -> None:
        _apply(row, entity, fields, self._box)

    def mask_fields(self, update_mask: list[str] | None) -> set[str]:
        return _mask_fields(update_mask)


@router.patch(
    "",
    operation_id="bulk_connections",
    summary="Create, update and delete connections in one request",
    response_model=BulkResponse,
)
async def bulk_connections(body: BulkBody[ConnectionBody], ctx: Ctx) -> BulkResponse:
    async with ctx.db.transaction() as session:
        return await apply_bulk(session, body, _ConnectionTable(ctx.secrets))
