"""Sends the `attempt_stop` outbox to the dispatcher: at once when woken after a commit,
and on a timer for whatever an earlier call could not deliver. Rows are deleted only
after the dispatcher answered, so a task taken from a running try is never left running
because one call failed; the dispatcher ignores tries with no open attempt, so sending
twice is harmless."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, select

from tradewind.dispatch.v1 import control_pb2, control_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.grpc_server import channel
from tradewind_core.internal_auth import Secret
from tradewind_core.logging import get_logger
from tradewind_scheduler.models import AttemptStop

log = get_logger(__name__)
BATCH = 500
RETRY_EVERY = 2.0


class StopSender:
    def __init__(
        self, db: Database, dispatcher_address: str, *, internal_secret: Secret | None
    ) -> None:
        self._db = db
        self._channel = channel(dispatcher_address, internal_secret=internal_secret)
        self._stub = control_pb2_grpc.AttemptControlServiceStub(self._channel)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        backoff = RETRY_EVERY
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                while await self.send_batch():
                    pass
                backoff = RETRY_EVERY
            except Exception as exc:  # kept in the outbox: sent again on the next pass
                backoff = min(backoff * 2, 30.0)
                log.warning("cannot send attempt stops to the dispatcher", error=str(exc))
        await self._channel.close()

    async def send_batch(self) -> bool:
        """Sends one batch; returns whether more may be waiting."""
        async with self._db.reader() as session:
            rows = list(
                await session.scalars(select(AttemptStop).order_by(AttemptStop.id).limit(BATCH))
            )
        if not rows:
            return False
        request = control_pb2.StopAttemptsRequest(
            attempts=[
                control_pb2.AttemptToStop(
                    task_instance_id=r.task_instance_id, try_number=r.try_number, reason=r.reason
                )
                for r in rows
            ]
        )
        reply = await self._stub.StopAttempts(request, timeout=30)
        async with self._db.transaction() as session:
            await session.execute(
                delete(AttemptStop).where(AttemptStop.id.in_([r.id for r in rows]))
            )
        log.info("attempts stopped", asked=len(rows), stopped=reply.stopped)
        return len(rows) == BATCH
