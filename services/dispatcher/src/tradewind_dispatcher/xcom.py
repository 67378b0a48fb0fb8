"""XCom: JSON values tasks pass to each other, keyed by (dag_id, run_id, task_id,
map_index, key). A worker writes and reads only for an attempt it holds (its fencing
token); the api lists them. Values are bounded in size at the door."""

from __future__ import annotations

import json
from dataclasses import dataclass

import grpc
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind.execution.v1 import xcom_pb2, xcom_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import Conflict, InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.timeutil import to_timestamp, utcnow
from tradewind_dispatcher import attempts
from tradewind_dispatcher.models import TaskAttempt, XCom

MAX_KEY_LENGTH = 512
MAX_REFS_PER_PULL = 1000
# What one pull may return in all: well under gRPC's message limit.
MAX_PULL_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class XComRef:
    task_id: str
    key: str
    map_index: int = -1


async def _held(session: AsyncSession, attempt_id: str, token: str) -> TaskAttempt:
    """The attempt, if the caller holds it and it is still running."""
    attempt = await attempts.owned_attempt(session, attempt_id, token)
    if attempt.state != "running":
        raise Conflict(f"attempt {attempt_id} is already {attempt.state}")
    return attempt


def check_value(key: str, value_json: str, *, max_bytes: int) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument(f"an XCom key must have 1 to {MAX_KEY_LENGTH} characters")
    size = len(value_json.encode())
    if size > max_bytes:
        raise InvalidArgument(
            f"XCom {key!r} is {size} bytes of JSON; the limit is {max_bytes} bytes "
            "(TRADEWIND_XCOM_MAX_BYTES)"
        )
    try:
        json.loads(value_json)
    except ValueError as exc:
        raise InvalidArgument(f"XCom {key!r} is not JSON: {exc}") from None


async def push(
    session: AsyncSession,
    attempt_id: str,
    token: str,
    *,
    key: str,
    value_json: str,
    max_bytes: int,
) -> None:
    check_value(key, value_json, max_bytes=max_bytes)
    attempt = await _held(session, attempt_id, token)
    row = {
        "dag_id": attempt.dag_id,
        "run_id": attempt.run_id,
        "task_id": attempt.task_id,
        "map_index": attempt.map_index,
        "key": key,
        "value": value_json,
        "attempt_id": attempt.id,
        "timestamp": utcnow(),
    }
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(XCom).values(row)
    # A later try of the task replaces what an earlier one pushed under the same key.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["dag_id", "run_id", "task_id", "map_index", "key"],
            set_={
                "value": statement.excluded.value,
                "attempt_id": attempt.id,
                "timestamp": statement.excluded.timestamp,
            },
        )
    )


async def clear_earlier_tries(session: AsyncSession, attempt_id: str, token: str) -> None:
    attempt = await _held(session, attempt_id, token)
    await session.execute(
        delete(XCom).where(
            XCom.dag_id == attempt.dag_id,
            XCom.run_id == attempt.run_id,
            XCom.task_id == attempt.task_id,
            XCom.map_index == attempt.map_index,
            XCom.attempt_id != attempt.id,
        )
    )


async def pull(
    session: AsyncSession, attempt_id: str, token: str, refs: list[XComRef]
) -> list[XCom]:
    """Values of the attempt's own DAG run; refs with no value are left out."""
    if len(refs) > MAX_REFS_PER_PULL:
        raise InvalidArgument(f"pull at most {MAX_REFS_PER_PULL} XComs at once")
    attempt = await _held(session, attempt_id, token)
    if not refs:
        return []
    result = await session.execute(
        select(XCom).where(
            XCom.dag_id == attempt.dag_id,
            XCom.run_id == attempt.run_id,
            tuple_(XCom.task_id, XCom.key, XCom.map_index).in_(
                [(r.task_id, r.key, r.map_index) for r in refs]
            ),
        )
    )
    rows = list(result.scalars())
    if sum(len(r.value) for r in rows) > MAX_PULL_BYTES:
        raise InvalidArgument(f"these XComs exceed {MAX_PULL_BYTES} bytes together; pull fewer")
    return rows


async def list_entries(
    session: AsyncSession,
    *,
    dag_id: str,
    run_id: str,
    task_id: str,
    key: str | None,
    map_index: int | None,
    limit: int,
    offset: int,
) -> tuple[list[XCom], int]:
    query = select(XCom).where(
        XCom.dag_id == dag_id, XCom.run_id == run_id, XCom.task_id == task_id
    )
    if key:
        query = query.where(XCom.key == key)
    if map_index is not None:
        query = query.where(XCom.map_index == map_index)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    result = await session.execute(
        query.order_by(XCom.map_index, XCom.key).limit(limit).offset(offset)
    )
    return list(result.scalars()), total or 0


def _entry(row: XCom) -> xcom_pb2.XComEntry:
    return xcom_pb2.XComEntry(
        dag_id=row.dag_id,
        dag_run_id=row.run_id,
        task_id=row.task_id,
        map_index=row.map_index,
        key=row.key,
        value_json=row.value,
        timestamp=to_timestamp(row.timestamp),
    )


class XComServicer(xcom_pb2_grpc.XComServiceServicer):
    def __init__(self, db: Database, *, max_bytes: int) -> None:
        self._db = db
        self._max_bytes = max_bytes

    @maps_domain_errors
    async def PushXCom(self, request, context: grpc.aio.ServicerContext):
        async with self._db.transaction() as session:
            await push(
                session,
                request.attempt_id,
                request.fencing_token,
                key=request.key,
                value_json=request.value_json,
                max_bytes=self._max_bytes,
            )
        return xcom_pb2.PushXComResponse()

    @maps_domain_errors
    async def PullXComs(self, request, context: grpc.aio.ServicerContext):
        refs = [XComRef(r.task_id, r.key or "return_value", r.map_index) for r in request.refs]
        async with self._db.reader() as session:
            rows = await pull(session, request.attempt_id, request.fencing_token, refs)
        return xcom_pb2.PullXComsResponse(entries=[_entry(r) for r in rows])

    @maps_domain_errors
    async def ClearXComs(self, request, context: grpc.aio.ServicerContext):
        async with self._db.transaction() as session:
            await clear_earlier_tries(session, request.attempt_id, request.fencing_token)
        return xcom_pb2.ClearXComsResponse()

    @maps_domain_errors
    async def ListXComs(self, request, context: grpc.aio.ServicerContext):
        if not 0 <= request.limit <= 1000 or request.offset < 0:
            raise InvalidArgument("limit must be 0..1000 and offset >= 0")
        async with self._db.reader() as session:
            rows, total = await list_entries(
                session,
                dag_id=request.dag_id,
                run_id=request.dag_run_id,
                task_id=request.task_id,
                key=request.key or None,
                map_index=request.map_index if request.HasField("map_index") else None,
                limit=request.limit or 100,
                offset=request.offset,
            )
        return xcom_pb2.ListXComsResponse(entries=[_entry(r) for r in rows], total_entries=total)
