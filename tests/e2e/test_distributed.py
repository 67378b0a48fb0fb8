"""Distributed mode: api, scheduler, dispatcher and two workers as separate processes, on
PostgreSQL (a schema per service) and RabbitMQ."""

from __future__ import annotations

import asyncio
import subprocess

import httpx
import psutil
import pytest

from conftest import admin_auth
from tests.e2e import scenarios

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


async def test_distributed_runs_dags_end_to_end(distributed):
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        await scenarios.pipeline_runs_in_dependency_order(client)
        await scenarios.a_failing_task_fails_the_run(client)
        await scenarios.bad_input_is_refused(client)


async def test_a_task_on_a_killed_worker_dies_with_it_and_is_retried_elsewhere(
    distributed, tmp_path
):
    marker = tmp_path / "started"
    spec = {
        "dag_id": "survivor",
        "tasks": [
            scenarios.bash(
                "long",
                f"if [ ! -e {marker} ]; then echo $$ > {marker}; sleep 60; fi; echo done",
                retries=1,
                retry_delay=0,
            ),
            scenarios.bash("next", "true", "long"),
        ],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        assert (
            await client.post("/dags/survivor/dagRuns", json={"dag_run_id": "r"})
        ).status_code == 200
        for _ in range(200):
            if marker.exists() and marker.read_text().strip():
                break
            await asyncio.sleep(0.05)
        assert marker.exists(), distributed.logs()
        task_pid = int(marker.read_text())
        await asyncio.sleep(0.3)
        # Kill whichever worker holds the task; the other must finish the work.
        victim = _worker_running(distributed.processes)
        distributed.kill(victim)
        # The task, and the `sleep` it started, die with the worker.
        for _ in range(100):
            if not _group_alive(task_pid):
                break
            await asyncio.sleep(0.05)
        assert not _group_alive(task_pid), "the task outlived its worker"
        run = await scenarios.wait_for_run(client, "survivor", "r", timeout=60)
        tis = await scenarios.task_instances(client, "survivor", "r")
        assert run["state"] == "success", distributed.logs()
        assert tis["long"]["try_number"] == 2 and tis["long"]["state"] == "success"
        assert tis["next"]["state"] == "success"
        first_try = await client.get(
            "/dags/survivor/dagRuns/r/taskInstances/long/logs/1", headers={"Accept": "text/plain"}
        )
        assert f"worker {victim} did not renew its lease" in first_try.text


async def test_a_killed_worker_started_again_gives_up_its_tries_at_once(
    distributed_patient, tmp_path
):
    """A worker killed and started again under the same worker id releases, when it
    registers, the tries its previous process held: they are retried then, not when the
    lease runs out (120 s here), and the first try's log says why it ended."""
    distributed = distributed_patient
    marker = tmp_path / "started"
    spec = {
        "dag_id": "phoenix",
        "tasks": [
            scenarios.bash(
                "long",
                f"if [ ! -e {marker} ]; then echo $$ > {marker}; sleep 60; fi; echo done",
                retries=1,
                retry_delay=0,
            )
        ],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        assert (
            await client.post("/dags/phoenix/dagRuns", json={"dag_run_id": "r"})
        ).status_code == 200
        for _ in range(200):
            if marker.exists() and marker.read_text().strip():
                break
            await asyncio.sleep(0.05)
        assert marker.exists(), distributed.logs()
        await asyncio.sleep(0.3)
        victim = _worker_running(distributed.processes)
        distributed.kill(victim)
        distributed.restart(victim)
        run = await scenarios.wait_for_run(client, "phoenix", "r", timeout=90)
        tis = await scenarios.task_instances(client, "phoenix", "r")
        assert run["state"] == "success", distributed.logs()
        assert tis["long"]["try_number"] == 2 and tis["long"]["state"] == "success"
        first_try = await client.get(
            "/dags/phoenix/dagRuns/r/taskInstances/long/logs/1", headers={"Accept": "text/plain"}
        )
        assert f"worker {victim} restarted while running this try" in first_try.text, (
            first_try.text + distributed.logs()
        )


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (a zombie waiting for its reaper
    does not)."""
    return any(
        p.info["status"] != psutil.STATUS_ZOMBIE
        for p in psutil.process_iter(["status"])
        if _pgid(p.pid) == pgid
    )


def _pgid(pid: int) -> int | None:
    import os

    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _worker_running(processes: dict[str, subprocess.Popen[bytes]]) -> str:
    """The worker whose process tree holds the task's `sleep`."""
    for name, proc in processes.items():
        if name.startswith("worker"):
            children = psutil.Process(proc.pid).children(recursive=True)
            if any("sleep" in " ".join(c.cmdline()) for c in children):
                return name
    raise AssertionError("no worker is running the task")


async def test_grpc_servers_report_health_offer_reflection_and_refuse_bad_input(
    distributed, service_ports
):
    import sys

    import grpc
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )

    from tradewind.catalog.v1 import catalog_pb2, catalog_pb2_grpc
    from tradewind.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
    from tradewind.execution.v1 import execution_pb2, execution_pb2_grpc
    from tradewind.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc

    api, scheduler, dispatcher = (
        service_ports["api_grpc_address"],
        service_ports["scheduler_address"],
        service_ports["dispatcher_address"],
    )
    for address in (api, scheduler, dispatcher):  # as the container health checks ask
        probe = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tradewind_core.grpc_health_probe", address
        )
        assert await asyncio.wait_for(probe.wait(), 30) == 0
    with grpc.insecure_channel(dispatcher) as channel:
        services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert {
        "tradewind.dispatch.v1.DispatchService",
        "tradewind.execution.v1.TaskExecutionService",
        "grpc.health.v1.Health",
    } <= services

    async def refused(call, request) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(request, timeout=10)
        return caught.value

    async with (
        grpc.aio.insecure_channel(scheduler) as s,
        grpc.aio.insecure_channel(dispatcher) as d,
        grpc.aio.insecure_channel(api) as a,
    ):
        bad_state = scheduler_pb2.TaskEvent(
            task_instance_id="x",
            try_number=1,
            kind=scheduler_pb2.TASK_EVENT_KIND_FINISHED,
            state="exploded",
        )
        # A malformed event is set aside with its reason (shown in the scheduler's status),
        # never refused with its batch: the dispatcher would resend the batch forever.
        stub = scheduler_pb2_grpc.SchedulerServiceStub(s)
        reply = await stub.ReportTaskEvents(
            scheduler_pb2.ReportTaskEventsRequest(events=[bad_state]), timeout=10
        )
        assert list(reply.ready_tasks) == []
        status = await stub.GetSchedulerStatus(
            scheduler_pb2.GetSchedulerStatusRequest(), timeout=10
        )
        assert [(e.task_instance_id, "'exploded'" in e.reason) for e in status.refused_events] == [
            ("x", True)
        ]
        error = await refused(
            dispatch_pb2_grpc.DispatchServiceStub(d).DispatchTasks,
            dispatch_pb2.DispatchTasksRequest(
                tasks=[
                    dispatch_pb2.TaskDispatch(task_instance_id="x", task_id="t", queue="default")
                ]
            ),
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "try_number" in error.details()
        execution = execution_pb2_grpc.TaskExecutionServiceStub(d)
        error = await refused(execution.ClaimAttempt, execution_pb2.ClaimAttemptRequest())
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        error = await refused(
            execution.ReportResult,
            execution_pb2.ReportResultRequest(
                attempt_id="00000000-0000-0000-0000-000000000000",
                fencing_token="t",
                outcome=execution_pb2.ATTEMPT_OUTCOME_SUCCESS,
            ),
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND
        error = await refused(
            catalog_pb2_grpc.DagCatalogServiceStub(a).GetDagVersion,
            catalog_pb2.GetDagVersionRequest(dag_version_id="nope"),
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND and "'nope'" in error.details()


async def test_poison_task_messages_go_to_the_dead_letter_queue_and_work_goes_on(
    distributed, broker_namespace
):
    import aio_pika

    poison = {
        b"not json": "not JSON",
        b'{"no_attempt_id": 1}': "no attempt_id",
        b'{"attempt_id": "unknown"}': "does not exist",
    }
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{broker_namespace}.tasks")
        for body in poison:
            await exchange.publish(aio_pika.Message(body), routing_key="default")
        async with httpx.AsyncClient(
            auth=admin_auth(), base_url=distributed.base_url, timeout=10
        ) as client:
            await scenarios.pipeline_runs_in_dependency_order(client)
        dead = await channel.declare_queue(f"{broker_namespace}.tasks.dead", durable=True)
        reasons: dict[bytes, str] = {}
        for _ in range(100):
            message = await dead.get(fail=False, no_ack=True)
            if message is None:
                if len(reasons) == len(poison):
                    break
                await asyncio.sleep(0.1)
                continue
            reasons[message.body] = str(message.headers["x-tradewind-reason"])
    assert set(reasons) == set(poison), distributed.logs()
    for body, why in poison.items():
        assert why in reasons[body]
    assert distributed.logs().count("task message set aside in the dead-letter queue") == 3
