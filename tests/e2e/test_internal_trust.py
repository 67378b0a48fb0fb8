"""The services' trust in each other: every internal gRPC method refuses a caller without
the deployment's secret, and a worker acts only on the attempt it claimed."""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path

import asyncpg
import grpc
import httpx
import pytest
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

import tradewind
from conftest import admin_auth
from tests.e2e import scenarios
from tests.e2e.test_worker_fleet import _log, _trigger, _wait_for_file
from tradewind.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from tradewind.execution.v1 import (
    execution_pb2,
    execution_pb2_grpc,
    task_logs_pb2,
    task_logs_pb2_grpc,
    xcom_pb2,
    xcom_pb2_grpc,
)
from tradewind_core.grpc_server import channel

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _internal_methods(address: str) -> list[tuple[str, bool, bool]]:
    """Every method of every service the server at `address` serves (asked by
    reflection, described by the generated stubs), but the open ones: health,
    reflection and the public tradewind.v1 API. (path, client streams, server streams)"""
    for root in map(Path, tradewind.__path__):
        for stub in root.rglob("*_pb2.py"):
            parts = stub.relative_to(root).with_suffix("").parts
            importlib.import_module(".".join(("tradewind", *parts)))
    with grpc.insecure_channel(address) as reflecting:
        names = ProtoReflectionDescriptorDatabase(reflecting).get_services()
    methods = []
    for name in names:
        if name.startswith(("grpc.", "tradewind.v1.")):
            continue
        service = descriptor_pool.Default().FindServiceByName(name)
        methods += [
            (f"/{name}/{m.name}", m.client_streaming, m.server_streaming) for m in service.methods
        ]
    return methods


async def _answer(ch: grpc.aio.Channel, path: str, server_streams: bool) -> grpc.StatusCode:
    """What the server answers an empty request to `path` on `ch`."""
    identity = {"request_serializer": None, "response_deserializer": None}
    try:
        if server_streams:
            async for _ in ch.unary_stream(path, **identity)(b"", timeout=10):
                pass
        else:
            await ch.unary_unary(path, **identity)(b"", timeout=10)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def test_every_internal_method_refuses_a_caller_without_the_secret(
    services_only, service_ports
):
    secret = service_ports["internal_secret"]
    servers = {
        "api": service_ports["api_grpc_address"],
        "scheduler": service_ports["scheduler_address"],
        "dispatcher": service_ports["dispatcher_address"],
    }
    checked: list[str] = []
    for address in servers.values():
        methods = _internal_methods(address)
        async with (
            channel(address, internal_secret=None) as nobody,
            channel(address, internal_secret=secret[:-1] + "?") as guesser,
        ):
            for path, client_streams, server_streams in methods:
                assert not client_streams, f"{path}: probe client streams here too"
                for caller in (nobody, guesser):
                    code = await _answer(caller, path, server_streams)
                    assert code == grpc.StatusCode.UNAUTHENTICATED, (path, code)
                checked.append(path)
            # Probes need no secret.
            reply = await health_pb2_grpc.HealthStub(nobody).Check(
                health_pb2.HealthCheckRequest(), timeout=10
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
    # The services this test must have found, so a server that stopped announcing them
    # cannot pass it by having nothing to check.
    for expected in (
        "/tradewind.scheduler.v1.SchedulerService/RegisterDag",
        "/tradewind.catalog.v1.DagCatalogService/GetDagVersion",
        "/tradewind.scheduler.v1.SchedulerService/ReportTaskEvents",
        "/tradewind.dispatch.v1.DispatchService/DispatchTasks",
        "/tradewind.execution.v1.TaskExecutionService/ClaimAttempt",
        "/tradewind.execution.v1.TaskExecutionService/ReportResult",
        "/tradewind.execution.v1.TaskExecutionService/WorkerHeartbeat",
    ):
        assert expected in checked
    assert len(checked) > 40

    # A forged worker heartbeat adds no worker; with the secret, the dispatcher answers.
    async with (
        channel(servers["dispatcher"], internal_secret=None) as nobody,
        channel(servers["dispatcher"], internal_secret=secret) as service,
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await execution_pb2_grpc.TaskExecutionServiceStub(nobody).WorkerHeartbeat(
                execution_pb2.WorkerHeartbeatRequest(
                    worker_id="intruder", hostname="h", queues=["default"], concurrency=8
                ),
                timeout=10,
            )
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "internal secret" in refused.value.details()
        status = await dispatch_pb2_grpc.DispatchServiceStub(service).GetDispatcherStatus(
            dispatch_pb2.GetDispatcherStatusRequest(), timeout=10
        )
        assert status.live_workers == 0
    assert secret not in services_only.logs()


async def _running_attempt(pg_database: str, schema_prefix: str) -> dict | None:
    conn = await asyncpg.connect(pg_database.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        row = await conn.fetchrow(
            f'SELECT id, worker_id FROM "{schema_prefix}dispatcher".task_attempt '
            "WHERE state = 'running'"
        )
    finally:
        await conn.close()
    return dict(row) if row else None


async def test_a_worker_acts_only_on_the_attempt_it_claimed(
    services_only, service_ports, pg_database, schema_prefix, tmp_path
):
    """Another worker (holding the secret, as any worker does) and a reader of the task
    queue (holding only the broker's credentials) try to take over a running attempt:
    claim it again, report a false result, renew its lease, write its log and XComs.
    Everything is refused, and the task ends as it really did."""
    started, release = tmp_path / "started", tmp_path / "release"
    spec = {
        "dag_id": "held",
        "tasks": [
            scenarios.bash(
                "t",
                f"touch {started}; while [ ! -e {release} ]; do sleep 0.1; done; echo real",
            )
        ],
    }
    services_only.start("worker-1", "worker", worker_id="worker-1")
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=services_only.base_url, timeout=10
    ) as client:
        await services_only.wait_healthy(workers=1)
        await _trigger(client, spec)
        await _wait_for_file(started, "the task starting")
        attempt = await _running_attempt(pg_database, schema_prefix)
        assert attempt is not None and attempt["worker_id"] == "worker-1"
        attempt_id = str(attempt["id"])

        try:
            await _forge(service_ports, attempt_id)
        finally:
            release.touch()  # the task ends however the forging went
        run = await scenarios.wait_for_run(client, "held", "r", timeout=60)
        assert run["state"] == "success", services_only.logs()
        [ti] = (await client.get("/dags/held/dagRuns/r/taskInstances")).json()["task_instances"]
        assert (ti["state"], ti["try_number"]) == ("success", 1)
        log = await _log(client, "held", "t", 1)
        assert "real" in log and "forged" not in log
        xcoms = await client.get("/dags/held/dagRuns/r/taskInstances/t/xcomEntries")
        assert [e["key"] for e in xcoms.json()["xcom_entries"]] == []


async def _forge(service_ports: dict[str, str], attempt_id: str) -> None:
    address = service_ports["dispatcher_address"]
    async with (
        channel(address, internal_secret=None) as queue_reader,
        channel(address, internal_secret=service_ports["internal_secret"]) as other,
    ):
        claim = execution_pb2.ClaimAttemptRequest(
            attempt_id=attempt_id, worker_id="worker-2", hostname="h"
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await execution_pb2_grpc.TaskExecutionServiceStub(queue_reader).ClaimAttempt(
                claim, timeout=10
            )
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED

        stub = execution_pb2_grpc.TaskExecutionServiceStub(other)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ClaimAttempt(claim, timeout=10)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "claimed by another worker" in refused.value.details()

        for token in ("", str(uuid.uuid4())):
            forged = {
                "report": stub.ReportResult(
                    execution_pb2.ReportResultRequest(
                        attempt_id=attempt_id,
                        fencing_token=token,
                        outcome=execution_pb2.ATTEMPT_OUTCOME_FAILED,
                        exit_code=1,
                        reason="forged",
                    ),
                    timeout=10,
                ),
                "lease": stub.HeartbeatAttempt(
                    execution_pb2.HeartbeatAttemptRequest(
                        attempt_id=attempt_id, fencing_token=token, pid=1
                    ),
                    timeout=10,
                ),
                "old log": stub.AppendLog(
                    execution_pb2.AppendLogRequest(
                        attempt_id=attempt_id, fencing_token=token, text="forged line"
                    ),
                    timeout=10,
                ),
                "log": task_logs_pb2_grpc.TaskLogServiceStub(other).AppendLogLines(
                    task_logs_pb2.AppendLogLinesRequest(
                        attempt_id=attempt_id,
                        fencing_token=token,
                        batch=1,
                        lines=[task_logs_pb2.LogLine(level="info", event="forged line")],
                    ),
                    timeout=10,
                ),
                "xcom": xcom_pb2_grpc.XComServiceStub(other).PushXCom(
                    xcom_pb2.PushXComRequest(
                        attempt_id=attempt_id,
                        fencing_token=token,
                        key="forged",
                        value_json='"forged"',
                    ),
                    timeout=10,
                ),
            }
            for what, call in forged.items():
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await call
                assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, what
                assert "token does not match" in refused.value.details(), what
