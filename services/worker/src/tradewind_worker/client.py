"""The worker's client of the dispatcher's task-execution API."""

from __future__ import annotations

import uuid

import grpc

from tradewind.catalog.v1 import bundles_pb2, bundles_pb2_grpc
from tradewind.execution.v1 import (
    execution_pb2,
    execution_pb2_grpc,
    task_logs_pb2,
    task_logs_pb2_grpc,
    xcom_pb2,
    xcom_pb2_grpc,
)
from tradewind_core.grpc_server import channel
from tradewind_core.internal_auth import Secret


class ClaimRefused(Exception):
    """The attempt is someone else's or already over: run nothing, drop the message."""


class UnknownAttempt(Exception):
    """The dispatcher never recorded the attempt: the message is not one of ours."""


class ExecutionClient:
    def __init__(
        self, address: str, *, worker_id: str, hostname: str, internal_secret: Secret | None
    ) -> None:
        self._channel = channel(address, internal_secret=internal_secret)
        self._stub = execution_pb2_grpc.TaskExecutionServiceStub(self._channel)
        self._xcom = xcom_pb2_grpc.XComServiceStub(self._channel)
        self._bundles = bundles_pb2_grpc.CodeBundleServiceStub(self._channel)
        self._logs = task_logs_pb2_grpc.TaskLogServiceStub(self._channel)
        self.worker_id = worker_id
        self.hostname = hostname
        # This process's start: registering it releases what an earlier process with the
        # same worker id held (a worker killed and started again).
        self.incarnation = str(uuid.uuid4())

    async def claim(self, attempt_id: str) -> execution_pb2.ClaimAttemptResponse:
        try:
            return await self._stub.ClaimAttempt(
                execution_pb2.ClaimAttemptRequest(
                    attempt_id=attempt_id, worker_id=self.worker_id, hostname=self.hostname
                ),
                timeout=10,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise UnknownAttempt(exc.details()) from None
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                raise ClaimRefused(exc.details()) from None
            raise

    async def heartbeat_attempt(
        self, attempt_id: str, token: str, pid: int, *, timeout: float
    ) -> bool:
        reply = await self._stub.HeartbeatAttempt(
            execution_pb2.HeartbeatAttemptRequest(
                attempt_id=attempt_id, fencing_token=token, pid=pid
            ),
            timeout=timeout,
        )
        return reply.keep_running

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

    async def worker_heartbeat(self, queues: list[str], concurrency: int, running: int) -> int:
        """Returns how many attempts of an earlier incarnation the dispatcher released."""
        reply = await self._stub.WorkerHeartbeat(
            execution_pb2.WorkerHeartbeatRequest(
                worker_id=self.worker_id,
                hostname=self.hostname,
                queues=queues,
                concurrency=concurrency,
                running=running,
                incarnation=self.incarnation,
            ),
            timeout=10,
        )
        return reply.released_attempts

    async def append_log_lines(
        self, attempt_id: str, token: str, batch: int, lines: list[task_logs_pb2.LogLine]
    ) -> None:
        await self._logs.AppendLogLines(
            task_logs_pb2.AppendLogLinesRequest(
                attempt_id=attempt_id, fencing_token=token, batch=batch, lines=lines
            ),
            timeout=30,
        )

    async def push_xcom(self, attempt_id: str, token: str, key: str, value_json: str) -> None:
        await self._xcom.PushXCom(
            xcom_pb2.PushXComRequest(
                attempt_id=attempt_id, fencing_token=token, key=key, value_json=value_json
            ),
            timeout=30,
        )

    async def clear_xcoms(self, attempt_id: str, token: str) -> None:
        await self._xcom.ClearXComs(
            xcom_pb2.ClearXComsRequest(attempt_id=attempt_id, fencing_token=token), timeout=30
        )

    async def pull_xcoms(
        self, attempt_id: str, token: str, refs: list[tuple[str, str, int]]
    ) -> dict[tuple[str, str, int], str]:
        """JSON text by (task_id, key, map_index); refs with no value are left out."""
        reply = await self._xcom.PullXComs(
            xcom_pb2.PullXComsRequest(
                attempt_id=attempt_id,
                fencing_token=token,
                refs=[xcom_pb2.XComRef(task_id=t, key=k, map_index=m) for t, k, m in refs],
            ),
            timeout=30,
        )
        return {(e.task_id, e.key, e.map_index): e.value_json for e in reply.entries}

    async def code_bundle(self, code_hash: str) -> dict[str, str]:
        reply = await self._bundles.GetCodeBundle(
            bundles_pb2.GetCodeBundleRequest(code_hash=code_hash), timeout=30
        )
        return dict(reply.files)

    async def close(self) -> None:
        await self._channel.close()
