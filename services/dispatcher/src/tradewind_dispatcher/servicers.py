"""The dispatcher's two gRPC faces: DispatchService (for the scheduler) and
TaskExecutionService (for workers). Proto in, domain call, proto out."""

from __future__ import annotations

import json

import grpc

from tradewind.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from tradewind.execution.v1 import execution_pb2, execution_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import to_timestamp
from tradewind_dispatcher import attempts, outbox, status, task_logs, workers
from tradewind_dispatcher.coalescing import Coalescer
from tradewind_dispatcher.dispatching import Dispatching
from tradewind_dispatcher.scheduler_relay import SchedulerRelay
from tradewind_dispatcher.settings import DispatcherSettings

log = get_logger(__name__)
_OUTCOMES = {
    execution_pb2.ATTEMPT_OUTCOME_SUCCESS: "success",
    execution_pb2.ATTEMPT_OUTCOME_FAILED: "failed",
    execution_pb2.ATTEMPT_OUTCOME_SKIPPED: "skipped",
}


class DispatchServicer(dispatch_pb2_grpc.DispatchServiceServicer):
    def __init__(
        self, db: Database, dispatching: Dispatching, settings: DispatcherSettings
    ) -> None:
        self._db = db
        self._dispatching = dispatching
        self._settings = settings

    @maps_domain_errors
    async def DispatchTasks(self, request, context: grpc.aio.ServicerContext):
        dispatched = await self._dispatching.dispatch(request.tasks)
        return dispatch_pb2.DispatchTasksResponse(dispatched=dispatched)

    @maps_domain_errors
    async def GetDispatcherStatus(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            s = await status.status(
                session, worker_timeout=self._settings.dispatcher_worker_timeout
            )
        return dispatch_pb2.GetDispatcherStatusResponse(
            live_workers=s["live_workers"],
            latest_worker_heartbeat=to_timestamp(s["latest_worker_heartbeat"]),
            queued_attempts=s["queued"],
            running_attempts=s["running"],
            worker_slots=s["worker_slots"],
            worker_slots_in_use=s["worker_slots_in_use"],
        )

    @maps_domain_errors
    async def GetTaskLog(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            text = await task_logs.read(session, request.task_instance_id, request.try_number)
        return dispatch_pb2.GetTaskLogResponse(found=text is not None, content=text or "")


class TaskExecutionServicer(execution_pb2_grpc.TaskExecutionServiceServicer):
    """Claims, lease renewals and results are the calls every task makes: those arriving
    together are written together, one transaction per batch (coalescing.py)."""

    def __init__(self, db: Database, relay: SchedulerRelay) -> None:
        self._db = db
        self._relay = relay
        self._claims = Coalescer("claims", self._write_claims)
        self._renewals = Coalescer("lease renewals", self._write_renewals)
        self._reports = Coalescer("results", self._write_reports)

    async def _write_claims(self, requests):
        async with self._db.transaction() as session:
            return await attempts.claim_many(session, requests)

    async def _write_renewals(self, renewals):
        async with self._db.transaction() as session:
            answers = await attempts.renew_leases(session, renewals)
        # A started event is not urgent: it waits a moment to travel with others.
        self._relay.wake(outbox.new_rows(session), urgent=False)
        return answers

    async def _write_reports(self, reports):
        async with self._db.transaction() as session:
            answers = await attempts.finish_many(session, reports)
        self._relay.wake(outbox.new_rows(session))
        return answers

    @maps_domain_errors
    async def WorkerHeartbeat(self, request, context: grpc.aio.ServicerContext):
        if not request.worker_id:
            raise InvalidArgument("worker_id is required")
        async with self._db.transaction() as session:
            released = await workers.record_heartbeat(
                session,
                worker_id=request.worker_id,
                hostname=request.hostname,
                queues=list(request.queues),
                concurrency=request.concurrency,
                running=request.running,
                incarnation=request.incarnation,
            )
        if released:
            self._relay.wake(outbox.new_rows(session))
        return execution_pb2.WorkerHeartbeatResponse(released_attempts=released)

    @maps_domain_errors
    async def ClaimAttempt(self, request, context: grpc.aio.ServicerContext):
        if not request.attempt_id or not request.worker_id:
            raise InvalidArgument("attempt_id and worker_id are required")
        attempt = await self._claims.submit(
            attempts.ClaimRequest(request.attempt_id, request.worker_id, request.hostname)
        )
        log.info(
            "attempt claimed",
            dag_id=attempt.dag_id,
            dag_run_id=attempt.run_id,
            task_id=attempt.task_id,
            try_number=attempt.try_number,
            worker_id=request.worker_id,
        )
        return execution_pb2.ClaimAttemptResponse(
            fencing_token=attempt.fencing_token,
            dag_id=attempt.dag_id,
            dag_run_id=attempt.run_id,
            task_id=attempt.task_id,
            try_number=attempt.try_number,
            task_json=json.dumps(attempt.task),
            context_json=json.dumps(attempt.context),
        )

    @maps_domain_errors
    async def HeartbeatAttempt(self, request, context: grpc.aio.ServicerContext):
        keep = await self._renewals.submit(
            attempts.LeaseRenewal(request.attempt_id, request.fencing_token, request.pid)
        )
        return execution_pb2.HeartbeatAttemptResponse(keep_running=keep)

    @maps_domain_errors
    async def AppendLog(self, request, context: grpc.aio.ServicerContext):
        async with self._db.transaction() as session:
            await task_logs.append(session, request.attempt_id, request.fencing_token, request.text)
        return execution_pb2.AppendLogResponse()

    @maps_domain_errors
    async def ReportResult(self, request, context: grpc.aio.ServicerContext):
        outcome = _OUTCOMES.get(request.outcome)
        if outcome is None:
            raise InvalidArgument("outcome must be SUCCESS, FAILED or SKIPPED")
        await self._reports.submit(
            attempts.Report(
                request.attempt_id,
                request.fencing_token,
                outcome,
                request.exit_code,
                request.reason,
                request.pid or None,
            )
        )
        return execution_pb2.ReportResultResponse()
