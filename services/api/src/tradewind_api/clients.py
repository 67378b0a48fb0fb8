"""The api's clients of the scheduler and the dispatcher. gRPC status codes come back as
the domain errors they stand for, so routes never see transport details."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import grpc

from tradewind.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc, workers_pb2, workers_pb2_grpc
from tradewind.execution.v1 import task_logs_pb2, task_logs_pb2_grpc, xcom_pb2, xcom_pb2_grpc
from tradewind.scheduler.v1 import (
    backfills_pb2_grpc,
    control_pb2_grpc,
    queries_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
    schedules_pb2_grpc,
)
from tradewind_core.errors import AlreadyExists, Conflict, InvalidArgument, NotFound, Unavailable
from tradewind_core.grpc_server import channel, check_health
from tradewind_core.internal_auth import Secret

T = TypeVar("T")
_ERRORS = {
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.FAILED_PRECONDITION: Conflict,
}


# The service could not be reached or did not answer in time: a 503 worth retrying.
_DOWN = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.CANCELLED,
}


class RemoteError(RuntimeError):
    """The other service failed while handling a valid call: a bug there, answered as a
    500 here (never a 503, which clients would retry forever)."""


async def call(what: str, call: Awaitable[T]) -> T:
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        error = _ERRORS.get(exc.code())
        if error is not None:
            raise error(exc.details() or what) from None
        if exc.code() in _DOWN:
            raise Unavailable(f"the {what} is not reachable right now") from None
        raise RemoteError(f"{what} answered {exc.code().name}: {exc.details()}") from None


# Routes that talk to a service's other gRPC APIs over the same channel use `call`.
_call = call


class SchedulerClient:
    def __init__(self, address: str, *, internal_secret: Secret | None) -> None:
        self.address = address
        self._channel = channel(address, internal_secret=internal_secret)
        self.channel = self._channel  # the scheduler serves PoolService on it too
        self.stub = scheduler_pb2_grpc.SchedulerServiceStub(self._channel)
        self.control = control_pb2_grpc.RunControlServiceStub(self._channel)
        # The scheduler's other services, on the same channel (used by schedules.py and
        # backfills.py through `call`).
        self.schedules = schedules_pb2_grpc.ScheduleServiceStub(self._channel)
        self.backfills = backfills_pb2_grpc.BackfillServiceStub(self._channel)
        self.queries = queries_pb2_grpc.RunQueryServiceStub(self._channel)

    async def register_dag(self, dag_id: str, dag_version_id: str, is_paused: bool) -> None:
        request = scheduler_pb2.RegisterDagRequest(
            dag_id=dag_id, dag_version_id=dag_version_id, is_paused=is_paused
        )
        await _call("scheduler", self.stub.RegisterDag(request, timeout=10))

    async def trigger(self, request: scheduler_pb2.TriggerDagRunRequest) -> scheduler_pb2.DagRun:
        reply = await _call("scheduler", self.stub.TriggerDagRun(request, timeout=30))
        return reply.dag_run

    async def get_run(self, dag_id: str, run_id: str) -> scheduler_pb2.DagRun:
        request = scheduler_pb2.GetDagRunRequest(dag_id=dag_id, dag_run_id=run_id)
        return (await _call("scheduler", self.stub.GetDagRun(request, timeout=10))).dag_run

    async def list_runs(
        self, dag_id: str, limit: int, offset: int
    ) -> scheduler_pb2.ListDagRunsResponse:
        request = scheduler_pb2.ListDagRunsRequest(dag_id=dag_id, limit=limit, offset=offset)
        return await _call("scheduler", self.stub.ListDagRuns(request, timeout=10))

    async def task_instances(self, dag_id: str, run_id: str) -> list[scheduler_pb2.TaskInstance]:
        request = scheduler_pb2.ListTaskInstancesRequest(dag_id=dag_id, dag_run_id=run_id)
        reply = await _call("scheduler", self.stub.ListTaskInstances(request, timeout=10))
        return list(reply.task_instances)

    async def status(self) -> scheduler_pb2.GetSchedulerStatusResponse:
        request = scheduler_pb2.GetSchedulerStatusRequest()
        return await _call("scheduler", self.stub.GetSchedulerStatus(request, timeout=3))

    async def healthy(self) -> bool:
        return await check_health(self.address)

    async def close(self) -> None:
        await self._channel.close()


class DispatcherClient:
    def __init__(self, address: str, *, internal_secret: Secret | None) -> None:
        self.address = address
        self._channel = channel(address, internal_secret=internal_secret)
        self.stub = dispatch_pb2_grpc.DispatchServiceStub(self._channel)
        self.xcom = xcom_pb2_grpc.XComServiceStub(self._channel)
        self.logs = task_logs_pb2_grpc.TaskLogServiceStub(self._channel)
        self.workers = workers_pb2_grpc.WorkerRegistryServiceStub(self._channel)

    async def status(self) -> dispatch_pb2.GetDispatcherStatusResponse:
        request = dispatch_pb2.GetDispatcherStatusRequest()
        return await _call("dispatcher", self.stub.GetDispatcherStatus(request, timeout=3))

    async def read_task_log(
        self, task_instance_id: str, try_number: int, continuation_token: str
    ) -> task_logs_pb2.ReadTaskLogResponse:
        request = task_logs_pb2.ReadTaskLogRequest(
            task_instance_id=task_instance_id,
            try_number=try_number,
            continuation_token=continuation_token,
        )
        return await _call("dispatcher", self.logs.ReadTaskLog(request, timeout=10))

    async def list_workers(self, limit: int, offset: int) -> workers_pb2.ListWorkersResponse:
        request = workers_pb2.ListWorkersRequest(limit=limit, offset=offset)
        return await _call("dispatcher", self.workers.ListWorkers(request, timeout=10))

    async def list_xcoms(self, request: xcom_pb2.ListXComsRequest) -> xcom_pb2.ListXComsResponse:
        return await _call("dispatcher", self.xcom.ListXComs(request, timeout=10))

    async def healthy(self) -> bool:
        return await check_health(self.address)

    async def close(self) -> None:
        await self._channel.close()
