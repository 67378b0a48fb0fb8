"""The worker's client of the dispatcher's task-execution API."""

from __future__ import annotations

import grpc

from tradewind.execution.v1 import execution_pb2, execution_pb2_grpc
from tradewind_core.grpc_server import channel


class ClaimRefused(Exception):
    """The attempt is someone else's or already over: run nothing, drop the message."""


class ExecutionClient:
    def __init__(self, address: str, *, worker_id: str, hostname: str) -> None:
        self._channel = channel(address)
        self._stub = execution_pb2_grpc.TaskExecutionServiceStub(self._channel)
        self.worker_id = worker_id
        self.hostname = hostname

    async def claim(self, attempt_id: str) -> execution_pb2.ClaimAttemptResponse:
        try:
            return await self._stub.ClaimAttempt(
                execution_pb2.ClaimAttemptRequest(
                    attempt_id=attempt_id, worker_id=self.worker_id, hostname=self.hostname
                ),
                timeout=10,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND):
                raise ClaimRefused(exc.details()) from None
            raise

    async def heartbeat_attempt(self, attempt_id: str, token: str, pid: int) -> bool:
        reply = await self._stub.HeartbeatAttempt(
            execution_pb2.HeartbeatAttemptRequest(
                attempt_id=attempt_id, fencing_token=token, pid=pid
            ),
            timeout=10,
        )
        return reply.keep_running

    async def append_log(self, attempt_id: str, token: str, text: str) -> None:
        await self._stub.AppendLog(
            execution_pb2.AppendLogRequest(attempt_id=attempt_id, fencing_token=token, text=text),
            timeout=10,
        )

    async def report(
        self,
        attempt_id: str,
        token: str,
        *,
        outcome: int,
        exit_code: int,
        reason: str,
        pid: int,
    ) -> None:
        await self._stub.ReportResult(
            execution_pb2.ReportResultRequest(
                attempt_id=attempt_id,
                fencing_token=token,
                outcome=outcome,
                exit_code=exit_code,
                reason=reason,
                pid=pid,
            ),
            timeout=10,
        )

    async def worker_heartbeat(self, queues: list[str], concurrency: int, running: int) -> None:
        await self._stub.WorkerHeartbeat(
            execution_pb2.WorkerHeartbeatRequest(
                worker_id=self.worker_id,
                hostname=self.hostname,
                queues=queues,
                concurrency=concurrency,
                running=running,
            ),
            timeout=10,
        )

    async def close(self) -> None:
        await self._channel.close()
