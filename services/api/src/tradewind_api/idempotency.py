"""`Idempotency-Key` on every POST: a client that retries a request whose answer it lost
(a timeout, a dropped connection) gets the first answer again instead of a second run,
DAG or pool.

The first request with a key claims it (a row in progress) before the route runs, and
stores the answer when done; a retry with the same key and the same body is answered
from the row; the same key with another body is refused (422), and a retry while the
first is still being handled is told to come back (409 with Retry-After). Answers of
5xx are not kept, so the retry does the work. A claim left by a process that died is
taken over after `CLAIM_LEASE`; keys are forgotten after `KEEP_FOR`.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind_api.models import IdempotencyKey
from tradewind_api.problems import problem
from tradewind_api.request_limits import replay_body
from tradewind_core.db import Database
from tradewind_core.timeutil import as_utc, utcnow

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
CLAIM_LEASE = timedelta(seconds=60)
KEEP_FOR = timedelta(hours=24)
# Answers larger than this are not kept (a retry then does the work again).
MAX_KEPT_BODY = 1024 * 1024
FORGET_PER_REQUEST = 100


class Idempotency:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER)
        if scope["type"] != "http" or scope["method"] != "POST" or key is None:
            await self.app(scope, receive, send)
            return
        if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            await problem(
                422,
                "Invalid request",
                f"the Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} printable characters",
            )(scope, receive, send)
            return
        db: Database = scope["app"].state.context.db
        body, receive = await _read_body(receive)
        # Keys are each caller's own: another user's same key is another request.
        caller = (scope.get("state") or {}).get("user_name") or ""
        row_id = _digest("POST", scope["path"], key, caller)
        request_hash = _digest(scope.get("query_string", b"").decode("latin-1"), body.hex())
        answer = await _claim(db, row_id, key, scope["path"], request_hash)
        if answer is not None:
            await answer(scope, receive, send)
            return
        recorder = _Recorder(send)
        try:
            await self.app(scope, receive, recorder.send)
        finally:
            await _settle(db, row_id, recorder)


async def _claim(db: Database, row_id: str, key: str, path: str, request_hash: str) -> Any:
    """Claims the key for this request (None: go ahead), or returns the answer to send."""
    now = utcnow()
    async with db.transaction() as session:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id.in_(
                    select(IdempotencyKey.id)
                    .where(IdempotencyKey.created_at < now - KEEP_FOR)
                    .limit(FORGET_PER_REQUEST)
                    .scalar_subquery()
                )
            )
        )
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        claimed = await session.execute(
            insert(IdempotencyKey)
            .values(
                id=row_id,
                key=key,
                method="POST",
                path=path[:2000],
                request_hash=request_hash,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )
        if claimed.rowcount == 1:
            return None
        row = await session.get(IdempotencyKey, row_id, with_for_update=True)
        if row is None:  # forgotten between the two statements: a fresh start
            return problem(409, "Conflict", "the Idempotency-Key is being reused; retry")
        if row.request_hash != request_hash:
            return problem(
                422,
                "Invalid request",
                "this Idempotency-Key was used for a different request; use a new key",
            )
        if row.status_code is not None:
            return _replay(row)
        if now - as_utc(row.created_at) < CLAIM_LEASE:
            return problem(
                409,
                "Conflict",
                "a request with this Idempotency-Key is still being handled; retry shortly",
                headers={"Retry-After": "1"},
            )
        # The claim's owner died mid-request: take it over.
        await session.execute(
            update(IdempotencyKey).where(IdempotencyKey.id == row_id).values(created_at=now)
        )
        return None


async def _settle(db: Database, row_id: str, recorder: _Recorder) -> None:
    async with db.transaction() as session:
        status = recorder.status
        if status is None or status >= 500 or len(recorder.body) > MAX_KEPT_BODY:
            await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
            return
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == row_id)
            .values(
                status_code=status,
                content_type=recorder.content_type,
                response_body=recorder.body.decode("utf-8", errors="replace"),
            )
        )


def _replay(row: IdempotencyKey) -> Any:
    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        body = (row.response_body or "").encode()
        headers = [
            (b"content-type", (row.content_type or "application/json").encode("latin-1")),
            (b"content-length", str(len(body)).encode()),
            (b"idempotent-replayed", b"true"),
        ]
        await send({"type": "http.response.start", "status": row.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return answer


class _Recorder:
    """Passes the response through while keeping a copy of it."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status: int | None = None
        self.content_type: str | None = None
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    self.content_type = value.decode("latin-1")[:200]
        elif message["type"] == "http.response.body" and len(self.body) <= MAX_KEPT_BODY:
            self.body += message.get("body", b"")
        await self._send(message)


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    body = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return bytes(body), replay_body(bytes(body))


def _header(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key.decode("latin-1").lower() == name:
            return value.decode("latin-1")
    return None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
