"""One task message, from delivery to result: read it, claim the attempt, acknowledge the
message, run the task under a renewed lease, stream its log, report the result.

The message is acknowledged as soon as the claim succeeds: the dispatcher's attempt row
holds the work from then on, so a task may outlast the broker's consumer timeout. A
worker that cannot renew its lease stops the task before the dispatcher gives it away."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from dataclasses import dataclass
from datetime import datetime

import grpc
import structlog

from tradewind.execution.v1 import execution_pb2
from tradewind_core.broker import Delivery
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import utcnow
from tradewind_worker.client import ClaimRefused, ExecutionClient, UnknownAttempt
from tradewind_worker.log_shipping import LogShipper
from tradewind_worker.operators import Attempt, TaskRuntime, run_task, task_spec
from tradewind_worker.runner import Outcome, RunningTask, describe
from tradewind_worker.secrets_masker import SecretsMasker, task_secrets
from tradewind_worker.settings import WorkerSettings
from tradewind_worker.templating import context_with_xcoms

log = get_logger(__name__)
_OUTCOME = {
    "success": execution_pb2.ATTEMPT_OUTCOME_SUCCESS,
    "failed": execution_pb2.ATTEMPT_OUTCOME_FAILED,
    "skipped": execution_pb2.ATTEMPT_OUTCOME_SKIPPED,
}
# The attempt is over, or no longer this claim's (its token is refused): stop, drop.
_REFUSED = (
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.NOT_FOUND,
)
CLAIM_TRIES = 3
# How long after its start a task is announced (the renewal carrying its pid). A task
# that ends sooner is never announced: its result carries the pid and stands for both,
# which spares the busiest path a call per short task. The dispatcher holds a start
# event about as long anyway, to send it together with others.
ANNOUNCE_AFTER = 0.2


class PoisonMessage(ValueError):
    """A task message no worker can read: it goes to the dead-letter queue."""


def attempt_of(body: bytes) -> str:
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoisonMessage(f"not JSON: {exc}") from None
    if not isinstance(message, dict) or not isinstance(message.get("attempt_id"), str):
        raise PoisonMessage("not a task message: no attempt_id string")
    if not message["attempt_id"]:
        raise PoisonMessage("not a task message: empty attempt_id")
    return message["attempt_id"]


async def _set_aside(delivery: Delivery, reason: str) -> None:
    log.error(
        "task message set aside in the dead-letter queue", reason=reason, body=delivery.body[:200]
    )
    await delivery.dead_letter(reason)


@dataclass(frozen=True)
class TaskInHand:
    """What the worker's introspection shows of a task it runs."""

    attempt_id: str
    dag_id: str
    dag_run_id: str
    task_id: str
    try_number: int
    operator: str
    started_at: datetime
    handle: RunningTask


class TaskExecutor:
    def __init__(
        self, client: ExecutionClient, settings: WorkerSettings, runtime: TaskRuntime
    ) -> None:
        self._client = client
        self._settings = settings
        self._runtime = runtime
        self.running: dict[str, RunningTask] = {}
        self.in_hand: dict[str, TaskInHand] = {}
        # Attempts this process holds, from claim to reported result: a copy of their
        # message (the same worker's claim is answered again) must not run them twice.
        self._in_hand: set[str] = set()

    def stop_all(self, because: str) -> None:
        for handle in list(self.running.values()):
            handle.stop(because)

    async def handle(self, delivery: Delivery) -> None:
        try:
            attempt_id = attempt_of(delivery.body)
        except PoisonMessage as exc:
            await _set_aside(delivery, str(exc))
            return
        if attempt_id in self._in_hand:
            log.info("attempt already in hand here; dropping the copy", attempt_id=attempt_id)
            await delivery.ack()
            return
        self._in_hand.add(attempt_id)
        try:
            await self._claim_and_run(attempt_id, delivery)
        finally:
            self._in_hand.discard(attempt_id)

    async def _claim_and_run(self, attempt_id: str, delivery: Delivery) -> None:
        claimed_at = time.monotonic()
        try:
            claim = await self._claim(attempt_id)
        except ClaimRefused as exc:
            log.info("attempt not ours; dropping its message", attempt_id=attempt_id, why=str(exc))
            await delivery.ack()
            return
        except UnknownAttempt as exc:
            await _set_aside(delivery, str(exc))
            return
        except grpc.aio.AioRpcError as exc:
            log.warning("cannot reach the dispatcher to claim; requeueing", error=exc.details())
            await asyncio.sleep(1.0)
            await delivery.requeue()
            return
        # The claim is recorded: the attempt row holds the work now, not the message.
        try:
            await delivery.ack()
        except Exception as exc:  # a copy comes back later and is dropped or refused
            log.warning("cannot acknowledge a claimed task message", error=repr(exc))
        with structlog.contextvars.bound_contextvars(
            dag_id=claim.dag_id,
            dag_run_id=claim.dag_run_id,
            task_id=claim.task_id,
            try_number=claim.try_number,
        ):
            handle = RunningTask(self._settings.worker_kill_grace)
            # The lease is renewed until the result is recorded, not just while the task
            # runs: a worker holding an unreported result is alive.
            lease = asyncio.create_task(
                self._renew_lease(attempt_id, claim.fencing_token, handle, claimed_at)
            )
            try:
                outcome = await self._execute(attempt_id, claim, handle)
                await self._report(attempt_id, claim.fencing_token, outcome, handle.pid)
            finally:
                lease.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await lease

    async def _claim(self, attempt_id: str) -> execution_pb2.ClaimAttemptResponse:
        """A claim whose answer was lost is simply made again: the dispatcher answers
        the same worker with the same claim."""
        for attempt in range(CLAIM_TRIES):
            try:
                return await self._client.claim(attempt_id)
            except grpc.aio.AioRpcError as exc:
                if attempt == CLAIM_TRIES - 1 or exc.code() not in (
                    grpc.StatusCode.UNAVAILABLE,
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                ):
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _execute(
        self, attempt_id: str, claim: execution_pb2.ClaimAttemptResponse, handle: RunningTask
    ) -> Outcome:
        stream = LogShipper(
            self._client,
            attempt_id,
            claim.fencing_token,
            max_bytes=self._settings.task_log_max_bytes,
        )
        try:
            task = task_spec.validate_json(claim.task_json)
            context = json.loads(claim.context_json)
        except ValueError as exc:
            outcome = Outcome("failed", -1, f"the task spec cannot be read: {exc}")
            await self._close_log(stream, outcome)
            return outcome
        log.info("task started")
        started = time.monotonic()
        self._runtime.metrics.started(task.operator)
        self.running[attempt_id] = handle
        self.in_hand[attempt_id] = TaskInHand(
            attempt_id=attempt_id,
            dag_id=claim.dag_id,
            dag_run_id=claim.dag_run_id,
            task_id=claim.task_id,
            try_number=claim.try_number,
            operator=task.operator,
            started_at=utcnow(),
            handle=handle,
        )
        flusher = asyncio.create_task(stream.run(self._settings.worker_log_flush_interval))
        try:
            outcome = await self._start_and_wait(attempt_id, claim, task, context, stream, handle)
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            self.running.pop(attempt_id, None)
            self.in_hand.pop(attempt_id, None)
        # The reason is shown with the task instance: it keeps the task's secrets too.
        outcome = dataclasses.replace(outcome, reason=stream.masker.mask(outcome.reason))
        await self._close_log(stream, outcome)
        self._runtime.metrics.finished(task.operator, outcome.state, time.monotonic() - started)
        log.info("task finished", state=outcome.state, exit_code=outcome.exit_code)
        return outcome

    async def _start_and_wait(
        self,
        attempt_id: str,
        claim: execution_pb2.ClaimAttemptResponse,
        task: object,
        context: dict,
        stream: LogShipper,
        handle: RunningTask,
    ) -> Outcome:
        """Whatever goes wrong before or while starting fails this try, with its reason."""
        token = claim.fencing_token
        try:
            if claim.try_number > 1:  # a retry starts without what earlier tries pushed
                await self._client.clear_xcoms(attempt_id, token)
            context = await context_with_xcoms(
                task, context, lambda refs: self._client.pull_xcoms(attempt_id, token, refs)
            )
            stream.masker = SecretsMasker(task_secrets(task, context))
            return await run_task(
                task,
                context,
                stream.output,
                handle,
                runtime=self._runtime,
                attempt=Attempt(attempt_id, token),
            )
        except grpc.aio.AioRpcError as exc:
            return Outcome("failed", -1, f"cannot reach the task's XComs: {exc.details()}")
        except Exception as exc:
            log.error("task failed in the worker", error=repr(exc))
            handle.stop("the worker failed running the task")
            return Outcome("failed", -1, f"the worker failed running the task: {describe(exc)}")

    async def _close_log(self, stream: LogShipper, outcome: Outcome) -> None:
        if outcome.reason:
            level = "warning" if outcome.state == "skipped" else "error"
            stream.write(f"[tradewind] {outcome.reason}", level)
        stream.close()
        await stream.flush()

    async def _renew_lease(
        self, attempt_id: str, token: str, handle: RunningTask, renewed: float
    ) -> None:
        """Renews ANNOUNCE_AFTER the task's code starts (that renewal carries its pid and
        is its start for the scheduler), then every worker_heartbeat_interval. When no
        renewal has succeeded for worker_lease_timeout, the task is stopped here: the
        dispatcher gives the attempt away only after dispatcher_attempt_timeout, later
        than that plus the kill grace."""
        interval = self._settings.worker_heartbeat_interval
        lease = self._settings.worker_lease_timeout
        announced = False  # the first renewal with the task's pid is its start
        while True:
            left = renewed + lease - time.monotonic()
            pause = max(0.0, min(interval, left))
            if announced:
                await asyncio.sleep(pause)
            elif not handle.started.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(handle.started.wait(), pause)
                if handle.started.is_set():
                    await asyncio.sleep(min(ANNOUNCE_AFTER, pause))
            sent = time.monotonic()
            left = renewed + lease - sent
            if left <= 0:
                handle.stop(
                    f"the lease could not be renewed for {lease:g}s (dispatcher unreachable): "
                    "stopped before the attempt is given to another worker"
                )
                return
            pid = handle.pid
            try:
                keep = await self._client.heartbeat_attempt(
                    attempt_id, token, pid, timeout=min(interval, left)
                )
                renewed = sent
                announced = announced or bool(pid)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _REFUSED:
                    log.warning("lease renewal failed", error=exc.details())
                    if not announced:
                        await asyncio.sleep(min(interval, max(0.0, left)) / 4)
                    continue
                keep = False
            if not keep:
                handle.stop("the dispatcher took the attempt away (its lease ran out)")
                return

    async def _report(self, attempt_id: str, token: str, outcome: Outcome, pid: int) -> None:
        """Retries until the dispatcher has answered: a result is never lost while the
        worker lives."""
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
                if exc.code() in _REFUSED:
                    log.warning(
                        "result refused; the attempt was settled elsewhere", why=exc.details()
                    )
                    return
                log.warning("cannot report result; retrying", error=exc.details(), in_s=delay)
                await asyncio.sleep(delay)
                # At most a second: a restarted dispatcher hears the result (and the next
                # task starts) within a second of being back.
                delay = min(delay * 2, 1.0)
