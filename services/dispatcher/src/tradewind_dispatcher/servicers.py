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
from tradewind_dispatcher import attempts
from tradewind_dispatcher.dispatching import Dispatching
from tradewind_dispatcher.forwarder import ResultForwarder
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
            s = await attempts.status(
                session, worker_timeout=self._settings.dispatcher_worker_timeout
            )
        return dispatch_pb2.GetDispatcherStatusResponse(
            live_workers=s["live_workers"],
            latest_worker_heartbeat=to_timestamp(s["latest_worker_heartbeat"]),
            queued_attempts=s["queued"],
            running_attempts=s["running"],
        )

    @maps_domain_errors
    async def GetTaskLog(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            text = await attempts.task_log(session, request.task_instance_id, request.try_number)
        return dispatch_pb2.GetTaskLogResponse(found=text is not None, content=text or "")


class TaskExecutionServicer(execution_pb2_grpc.TaskExecutionServiceServicer):
    def __init__(self, db: Database, forwarder: ResultForwarder) -> None:
        self._db = db
        self._forwarder = forwarder

    @maps_domain_errors
    async def WorkerHeartbeat(self, request, context: grpc.aio.ServicerContext):
        if not request.worker_id:
            raise InvalidArgument("worker_id is required")
        async with self._db.transaction() as session:
            await attempts.record_worker_heartbeat(
                session,
                worker_id=request.worker_id,
                hostname=request.hostname,
                queues=list(request.queues),
                concurrency=request.concurrency,
                running=request.running,
            )
        return execution_pb2.WorkerHeartbeatResponse()

    @maps_domain_errors
    async def ClaimAttempt(self, request, context: grpc.aio.ServicerContext):
        if not request.attempt_id or not request.worker_id:
            raise InvalidArgument("attempt_id and worker_id are required")
        async with self._db.transaction() as session:
            attempt = await attempts.claim(
                session, request.attempt_id, worker_id=request.worker_id, hostname=request.hostname
            )
        self._forwarder.wake(attempts.new_outbox_rows(session), urgent=False)
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
        async with self._db.transaction() as session:
            keep = await attempts.heartbeat(
                session, request.attempt_id, request.fencing_token, request.pid
            )
        return execution_pb2.HeartbeatAttemptResponse(keep_running=keep)

    @maps_domain_errors
    async def AppendLog(self, request, context: grpc.aio.ServicerContext):
        async with self._db.transaction() as session:
            await attempts.append_log(
                session, request.attempt_id, request.fencing_token, request.text
            )
        return execution_pb2.AppendLogResponse()

    @maps_domain_errors
    async def ReportResult(self, request, context: grpc.aio.ServicerContext):
        outcome = _OUTCOMES.get(request.outcome)
        if outcome is None:
            raise InvalidArgument("outcome must be SUCCESS, FAILED or SKIPPED")
        async with self._db.transaction() as session:
            await attempts.finish(
                session,
                request.attempt_id,
                request.fencing_token,
                outcome=outcome,
                exit_code=request.exit_code,
                reason=request.reason,
                pid=request.pid or None,
            )
        self._forwarder.wake(attempts.new_outbox_rows(session))
        return execution_pb2.ReportResultResponse()
