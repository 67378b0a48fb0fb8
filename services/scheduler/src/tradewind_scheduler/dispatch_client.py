"""The scheduler's client of the dispatcher: ready task instances go over in one batch."""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from tradewind_core.grpc_server import channel


class DispatcherClient:
    def __init__(self, address: str) -> None:
        self._channel = channel(address)
        self._stub = dispatch_pb2_grpc.DispatchServiceStub(self._channel)

    async def dispatch(self, tasks: Sequence[dispatch_pb2.TaskDispatch]) -> int:
        reply = await self._stub.DispatchTasks(
            dispatch_pb2.DispatchTasksRequest(tasks=list(tasks)), timeout=30
        )
        return reply.dispatched

    async def close(self) -> None:
        await self._channel.close()
