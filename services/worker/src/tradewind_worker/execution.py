"""One task message, from delivery to acknowledgement: claim the attempt, run the task,
stream its log, heartbeat, report the result, and only then acknowledge the message."""

from __future__ import annotations

import asyncio
import contextlib
import json

import grpc
import structlog

from tradewind.execution.v1 import execution_pb2
from tradewind_core.broker import Delivery
from tradewind_core.logging import get_logger
from tradewind_core.spec import BashTask
from tradewind_worker.client import ClaimRefused, ExecutionClient
from tradewind_worker.runner import Outcome, RunningTask, run_bash
from tradewind_worker.settings import WorkerSettings

log = get_logger(__name__)
_OUTCOME = {
    "success": execution_pb2.ATTEMPT_OUTCOME_SUCCESS,
    "failed": execution_pb2.ATTEMPT_OUTCOME_FAILED,
    "skipped": execution_pb2.ATTEMPT_OUTCOME_SKIPPED,
}


class LogStream:
    """Buffers a task's output and ships it to the dispatcher in chunks."""

    def __init__(self, client: ExecutionClient, attempt_id: str, token: str) -> None:
        self._client = client
        self._attempt_id = attempt_id
        self._token = token
        self._buffer: list[str] = []

    def write(self, text: str) -> None:
        self._buffer.append(text)

    async def flush(self) -> None:
        if not self._buffer:
            return
        text, self._buffer = "".join(self._buffer), []
        try:
            await self._client.append_log(self._attempt_id, self._token, text)
        except grpc.aio.AioRpcError as exc:
            # Losing log lines must not lose the task; keep them for the next flush.
            self._buffer.insert(0, text)
            log.warning("cannot ship task log", error=exc.details())


class TaskExecutor:
    def __init__(self, client: ExecutionClient, settings: WorkerSettings) -> None:
        self._client = client
        self._settings = settings
        self.running: dict[str, RunningTask] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_delivery(self, delivery: Delivery) -> None:
        # Handle each message in its own task: the broker's prefetch bounds concurrency.
        task = asyncio.create_task(self._handle(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, grace: float) -> None:
        """Waits for tasks in hand; after `grace` seconds stops them (they report failed)."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        if pending:
            for handle in self.running.values():
                handle.stop("worker shut down before the task finished")
            await asyncio.wait(pending, timeout=30)

    async def _handle(self, delivery: Delivery) -> None:
        try:
            message = json.loads(delivery.body)
            attempt_id = str(message["attempt_id"])
        except (ValueError, KeyError, TypeError) as exc:
            log.error("dropping malformed task message", error=str(exc), body=delivery.body[:200])
            await delivery.ack()
            return
        try:
            claim = await self._client.claim(attempt_id)
        except ClaimRefused as exc:
            log.info("attempt not ours; dropping its message", attempt_id=attempt_id, why=str(exc))
            await delivery.ack()
            return
        except grpc.aio.AioRpcError as exc:
            log.warning("cannot reach the dispatcher to claim; requeueing", error=exc.details())
            await asyncio.sleep(1.0)
            await delivery.requeue()
            return
        with structlog.contextvars.bound_contextvars(
            dag_id=claim.dag_id,
            dag_run_id=claim.dag_run_id,
            task_id=claim.task_id,
            try_number=claim.try_number,
        ):
            handle = RunningTask()
            # Heartbeats last until the result is recorded, not just while the task runs:
            # a worker holding an unreported result is alive, and must not be taken for
            # lost while the dispatcher is unreachable.
            heartbeat = asyncio.create_task(
                self._heartbeat(attempt_id, claim.fencing_token, handle)
            )
            try:
                outcome, pid = await self._execute(attempt_id, claim, handle)
                await self._report(attempt_id, claim.fencing_token, outcome, pid)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
        await delivery.ack()

    async def _execute(
        self, attempt_id: str, claim: execution_pb2.ClaimAttemptResponse, handle: RunningTask
    ) -> tuple[Outcome, int]:
        stream = LogStream(self._client, attempt_id, claim.fencing_token)
        self.running[attempt_id] = handle
        try:
            task = BashTask.model_validate_json(claim.task_json)
            context = json.loads(claim.context_json)
        except ValueError as exc:
            self.running.pop(attempt_id, None)
            return Outcome("failed", -1, f"the task spec cannot be read: {exc}"), 0
        log.info("task started")
        flusher = asyncio.create_task(self._flush_periodically(stream))
        try:
            outcome = await run_bash(task, context, stream.write, handle)
        except OSError as exc:
            outcome = Outcome("failed", -1, f"cannot start the task: {exc}")
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            self.running.pop(attempt_id, None)
        if outcome.reason:
            stream.write(f"[tradewind] {outcome.reason}\n")
        await stream.flush()
        log.info("task finished", state=outcome.state, exit_code=outcome.exit_code)
        return outcome, handle.pid

    async def _heartbeat(self, attempt_id: str, token: str, handle: RunningTask) -> None:
        while True:
            await asyncio.sleep(self._settings.worker_heartbeat_interval)
            try:
                keep = await self._client.heartbeat_attempt(attempt_id, token, handle.pid)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                    keep = False
                else:
                    log.warning("attempt heartbeat failed", error=exc.details())
                    continue
            if not keep:
                handle.stop("the dispatcher took the attempt away (heartbeat timed out)")
                return

    async def _flush_periodically(self, stream: LogStream) -> None:
        while True:
            await asyncio.sleep(self._settings.worker_log_flush_interval)
            await stream.flush()

    async def _report(self, attempt_id: str, token: str, outcome: Outcome, pid: int) -> None:
        """Retries until the dispatcher has recorded the result: the message is
        acknowledged only after that, so a result is never lost."""
        delay = 0.2
        while True:
            try:
                await self._client.report(
                    attempt_id,
                    token,
                    outcome=_OUTCOME[outcome.state],
                    exit_code=outcome.exit_code,
                    reason=outcome.reason,
                    pid=pid,
                )
                return
            except grpc.aio.AioRpcError as exc:
                if exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND):
                    log.warning(
                        "result refused; the attempt was settled elsewhere", why=exc.details()
                    )
                    return
                log.warning("cannot report result; retrying", error=exc.details(), in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
