"""Task logs, line by line: workers append batches of timestamped lines while a task
runs; readers page through them with a continuation token (the last chunk id read), so
a running task can be followed and a finished one read in bounded pieces. Each try's
log is capped: the worker cuts it and says so; past the cap (and a margin for that note)
the dispatcher drops batches itself, so a misbehaving worker cannot fill the disk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import grpc
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind.execution.v1 import task_logs_pb2, task_logs_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.timeutil import as_utc, to_timestamp, utcnow
from tradewind_dispatcher import attempts
from tradewind_dispatcher.models import TaskAttempt, TaskLogChunk

# What one read returns at most: a page, not the whole log.
READ_PAGE_BYTES = 2 * 1024 * 1024
READ_PAGE_CHUNKS = 200
CAP_MARGIN_BYTES = 64 * 1024
MAX_BATCH_LINES = 100_000


def line(
    event: str, *, level: str = "info", at: datetime | None = None, stream: str = ""
) -> dict[str, Any]:
    entry = {"timestamp": as_utc(at or utcnow()).isoformat(), "level": level, "event": event}
    if stream:
        entry["stream"] = stream
    return entry


def _size(lines: list[dict[str, Any]]) -> int:
    return sum(len(entry["event"].encode()) + 1 for entry in lines)


def add_note(session: AsyncSession, attempt_id: str, text: str, *, level: str = "error") -> None:
    """Tradewind's own word in a try's log (e.g. why the try was failed)."""
    lines = [line(text, level=level)]
    session.add(
        TaskLogChunk(
            attempt_id=attempt_id, lines=lines, size_bytes=_size(lines), created_at=utcnow()
        )
    )


async def append(
    session: AsyncSession,
    attempt_id: str,
    token: str,
    *,
    batch: int,
    lines: list[dict[str, Any]],
    max_bytes: int,
) -> None:
    if batch < 1 or len(lines) > MAX_BATCH_LINES:
        raise InvalidArgument(f"batch must be >= 1, with at most {MAX_BATCH_LINES} lines")
    await attempts.owned_attempt(session, attempt_id, token)
    written = await session.scalar(
        select(func.coalesce(func.sum(TaskLogChunk.size_bytes), 0)).where(
            TaskLogChunk.attempt_id == attempt_id
        )
    )
    if (written or 0) + _size(lines) > max_bytes + CAP_MARGIN_BYTES:
        return  # past the cap; the worker has already said the log was cut
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(TaskLogChunk)
        .values(
            attempt_id=attempt_id,
            batch=batch,
            lines=lines,
            size_bytes=_size(lines),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["attempt_id", "batch"])
    )


async def read(
    session: AsyncSession, task_instance_id: str, try_number: int, after: int
) -> tuple[list[dict[str, Any]], int, bool] | None:
    """Lines after chunk `after`, the new token, and whether the log is complete;
    None when the task instance has no such try."""
    attempt = await session.scalar(
        select(TaskAttempt).where(
            TaskAttempt.task_instance_id == task_instance_id, TaskAttempt.try_number == try_number
        )
    )
    if attempt is None:
        return None
    over = attempt.state not in ("queued", "running")
    result = await session.execute(
        select(TaskLogChunk)
        .where(TaskLogChunk.attempt_id == attempt.id, TaskLogChunk.id > after)
        .order_by(TaskLogChunk.id)
        .limit(READ_PAGE_CHUNKS + 1)
    )
    chunks = list(result.scalars())
    lines: list[dict[str, Any]] = []
    size, last, taken = 0, after, 0
    for chunk in chunks[:READ_PAGE_CHUNKS]:
        if taken and size + chunk.size_bytes > READ_PAGE_BYTES:
            break
        lines.extend(chunk.lines)
        size += chunk.size_bytes
        last, taken = chunk.id or last, taken + 1
    return lines, last, over and taken == len(chunks)


def _proto(entry: dict[str, Any]) -> task_logs_pb2.LogLine:
    return task_logs_pb2.LogLine(
        timestamp=to_timestamp(datetime.fromisoformat(entry["timestamp"])),
        level=entry.get("level", "info"),
        event=entry["event"],
        stream=entry.get("stream", ""),
    )


class TaskLogServicer(task_logs_pb2_grpc.TaskLogServiceServicer):
    def __init__(self, db: Database, *, max_bytes: int) -> None:
        self._db = db
        self._max_bytes = max_bytes

    @maps_domain_errors
    async def AppendLogLines(self, request, context: grpc.aio.ServicerContext):
        lines = [
            line(
                entry.event,
                level=entry.level or "info",
                at=entry.timestamp.ToDatetime(),
                stream=entry.stream if entry.stream in ("stdout", "stderr") else "",
            )
            for entry in request.lines
        ]
        async with self._db.transaction() as session:
            await append(
                session,
                request.attempt_id,
                request.fencing_token,
                batch=request.batch,
                lines=lines,
                max_bytes=self._max_bytes,
            )
        return task_logs_pb2.AppendLogLinesResponse()

    @maps_domain_errors
    async def ReadTaskLog(self, request, context: grpc.aio.ServicerContext):
        token = request.continuation_token or "0"
        if not token.isdigit() or len(token) > 18:
            raise InvalidArgument(f"continuation_token {token!r} is not one this API gave")
        async with self._db.reader() as session:
            page = await read(session, request.task_instance_id, request.try_number, int(token))
        if page is None:
            return task_logs_pb2.ReadTaskLogResponse(found=False)
        lines, last, complete = page
        return task_logs_pb2.ReadTaskLogResponse(
            found=True,
            lines=[_proto(entry) for entry in lines],
            continuation_token=str(last),
            complete=complete,
        )
