"""The scheduler's client of the dispatcher: ready task instances go over in batches
bounded by count and bytes; a batch that fails does not hold back the others."""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from tradewind_core.batching import bounded_batches
from tradewind_core.grpc_server import channel
from tradewind_core.internal_auth import Secret
from tradewind_core.logging import get_logger

log = get_logger(__name__)


class DispatcherClient:
    def __init__(self, address: str, *, internal_secret: Secret | None) -> None:
        self._channel = channel(address, internal_secret=internal_secret)
        self._stub = dispatch_pb2_grpc.DispatchServiceStub(self._channel)

    async def dispatch(self, tasks: Sequence[dispatch_pb2.TaskDispatch]) -> int:
        """Raises the first batch's error after trying every batch."""
        dispatched = 0
        error: Exception | None = None
        for batch in bounded_batches(tasks, size=lambda t: t.ByteSize()):
            try:
                reply = await self._stub.DispatchTasks(
                    dispatch_pb2.DispatchTasksRequest(tasks=batch), timeout=30
                )
            except Exception as exc:
                log.warning("dispatch batch failed", tasks=len(batch), error=str(exc))
                error = error or exc
                continue
            dispatched += reply.dispatched
        if error is not None:
            raise error
        return dispatched

    async def close(self) -> None:
        await self._channel.close()
