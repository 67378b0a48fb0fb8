"""The worker fleet loses nothing and never runs a task twice at once: claims answered
again to their worker, leases a cut-off worker gives up on in time, messages acknowledged
at the claim, start failures that fail a try and free its slot, tasks that see none of
the worker's configuration, and shutdowns that drain. Real processes, RabbitMQ and
PostgreSQL throughout; "ran once" is counted from side effects."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time

import asyncpg
import grpc
import httpx
import pytest

from conftest import admin_auth
from tests.e2e import scenarios
from tests.e2e.proxy import TcpProxy
from tradewind.execution.v1 import execution_pb2, execution_pb2_grpc

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


async def _trigger(client: httpx.AsyncClient, spec: dict, run_id: str = "r") -> None:
    if (await client.get(f"/dags/{spec['dag_id']}")).status_code != 200:
        assert (await client.post("/dags", json=spec)).status_code == 201
    reply = await client.post(f"/dags/{spec['dag_id']}/dagRuns", json={"dag_run_id": run_id})
    assert reply.status_code == 200, reply.text


async def _wait_for(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not happen in {timeout}s")


async def _wait_for_file(path, what: str) -> None:
    async def exists() -> bool:
        return path.exists()

    await _wait_for(exists, what)


async def _log(client: httpx.AsyncClient, dag_id: str, task_id: str, try_number: int) -> str:
    path = f"/dags/{dag_id}/dagRuns/r/taskInstances/{task_id}/logs/{try_number}"
    return (await client.get(path, headers={"Accept": "text/plain"})).text


async def _queued_attempts(pg_database: str, schema_prefix: str) -> list[dict]:
    conn = await asyncpg.connect(pg_database.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch(
            f'SELECT id, dag_id, run_id, task_id, try_number, queue FROM "{schema_prefix}'
            "dispatcher\".task_attempt WHERE state = 'queued'"
        )
    finally:
        await conn.close()
    return [dict(r) for r in rows]


async def test_a_claim_whose_reply_was_lost_runs_once_and_copies_run_nothing(
    services_only, tmp_path, pg_database, schema_prefix, broker_namespace, service_ports
):
    """worker-1's claim reached the dispatcher but its answer was lost, and the message
    came again, twice: worker-1 claims again, gets the same claim, and runs the task
    once. (The task's own queue has no worker: the copies are what worker-1 sees.)"""
    import aio_pika

    ran = tmp_path / "ran"
    spec = {
        "dag_id": "once",
        "tasks": [scenarios.bash("t", f"echo x >> {ran}; sleep 1", queue="other")],
    }
    services_only.start("worker-1", "worker", worker_id="worker-1")
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=services_only.base_url, timeout=10
    ) as client:
        await services_only.wait_healthy(workers=1)
        await _trigger(client, spec)
        queued: list[dict] = []

        async def recorded() -> bool:
            queued[:] = await _queued_attempts(pg_database, schema_prefix)
            return bool(queued)

        await _wait_for(recorded, "the attempt being recorded")
        [attempt] = queued
        async with grpc.aio.insecure_channel(service_ports["dispatcher_address"]) as channel:
            stub = execution_pb2_grpc.TaskExecutionServiceStub(channel)
            await stub.ClaimAttempt(  # its answer is "lost": nobody reads it
                execution_pb2.ClaimAttemptRequest(
                    attempt_id=str(attempt["id"]), worker_id="worker-1", hostname="h"
                )
            )
        body = json.dumps({"attempt_id": str(attempt["id"])}).encode()
        connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
        async with connection:
            exchange = await (await connection.channel()).get_exchange(f"{broker_namespace}.tasks")
            for _ in range(2):
                await exchange.publish(aio_pika.Message(body), routing_key="default")
        run = await scenarios.wait_for_run(client, "once", "r", timeout=60)
        assert run["state"] == "success", services_only.logs()
        tis = await scenarios.task_instances(client, "once", "r")
        assert tis["t"]["try_number"] == 1
        # Both copies have been dealt with once the queue holds nothing, acked or not.
        await _wait_for(
            lambda: _queue_settled(f"{broker_namespace}.tasks.default"), "the queue emptying"
        )
    assert ran.read_text() == "x\n", services_only.logs()


async def _queue_settled(name: str) -> bool:
    counts = await _queue_counts(name)
    return counts == (0, 0)


async def _queue_counts(name: str) -> tuple[int, int] | None:
    """(ready, unacknowledged) as the broker counts them."""
    proc = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "list_queues",
        "-q",
        "name",
        "messages_ready",
        "messages_unacknowledged",
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    for line in out.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == name:
            return int(parts[1]), int(parts[2])
    return None


async def test_a_running_task_holds_no_unacknowledged_message(
    services_only, tmp_path, broker_namespace
):
    """The message is acknowledged at the claim: however long the task runs, the broker's
    consumer timeout has nothing to time out, and the task finishes once."""
    ran = tmp_path / "ran"
    started = tmp_path / "started"
    spec = {
        "dag_id": "long",
        "tasks": [scenarios.bash("t", f"touch {started}; sleep 3; echo x >> {ran}")],
    }
    services_only.start("worker-1", "worker", worker_id="worker-1")
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=services_only.base_url, timeout=10
    ) as client:
        await services_only.wait_healthy(workers=1)
        await _trigger(client, spec)
        await _wait_for_file(started, "the task starting")
        assert await _queue_counts(f"{broker_namespace}.tasks.default") == (0, 0)
        run = await scenarios.wait_for_run(client, "long", "r", timeout=60)
    assert run["state"] == "success"
    assert ran.read_text() == "x\n"


async def _rabbit_env(name: str, value: str) -> str:
    """Sets one of RabbitMQ's settings on the running broker; returns the old value."""
    proc = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "eval",
        f"Old = application:get_env(rabbit, {name}), "
        f"application:set_env(rabbit, {name}, {value}), "
        "case Old of {ok, V} -> V; undefined -> undefined end.",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()


async def test_a_task_longer_than_the_brokers_consumer_timeout_finishes_once(
    services_only, tmp_path, broker_namespace
):
    """With RabbitMQ's consumer timeout at one second (checked every half second), a
    consumer sitting on an unacknowledged message loses its channel, as the control
    consumer here shows; a worker running a five-second task does not, because its
    message was acknowledged at the claim: the task runs once and the run succeeds.
    The broker's settings are global; they are put back at the end."""
    import aio_pika

    old_timeout = await _rabbit_env("consumer_timeout", "1000")
    old_tick = await _rabbit_env("channel_tick_interval", "500")
    try:
        # The control: a consumer that never acknowledges is cut off by the broker.
        connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
        try:
            channel = await connection.channel()
            queue = await channel.declare_queue(f"{broker_namespace}.control", auto_delete=True)
            await channel.default_exchange.publish(
                aio_pika.Message(b"hold me"), routing_key=queue.name
            )

            async def hold(message) -> None:  # never acknowledged
                pass

            await queue.consume(hold)

            async def cut_off() -> bool:
                return channel.is_closed

            await _wait_for(cut_off, "the broker closing the non-acknowledging channel", 15)
        finally:
            await connection.close()

        ran, started = tmp_path / "ran", tmp_path / "started"
        spec = {
            "dag_id": "outlast",
            "tasks": [scenarios.bash("t", f"touch {started}; sleep 5; echo x >> {ran}")],
        }
        services_only.start("worker-1", "worker", worker_id="worker-1")
        async with httpx.AsyncClient(
            auth=admin_auth(), base_url=services_only.base_url, timeout=10
        ) as client:
            await services_only.wait_healthy(workers=1)
            await _trigger(client, spec)
            await _wait_for_file(started, "the task starting")
            run = await scenarios.wait_for_run(client, "outlast", "r", timeout=60)
            tis = await scenarios.task_instances(client, "outlast", "r")
    finally:
        await _rabbit_env("channel_tick_interval", old_tick)
        await _rabbit_env("consumer_timeout", old_timeout)
    assert run["state"] == "success", services_only.logs()
    assert tis["t"]["try_number"] == 1
    assert ran.read_text() == "x\n"
    assert "PRECONDITION_FAILED" not in services_only.logs()


async def test_a_worker_cut_off_from_the_dispatcher_stops_its_task_before_the_retry(
    services_only, tmp_path, service_ports
):
    """worker-1 reaches the dispatcher through a proxy that is then stopped: it cannot
    renew the lease, so it stops the task itself; only after that does the retry start,
    on worker-2. Each try appends timestamped lines while it runs."""
    lines = tmp_path / "lines"
    command = (
        f"for i in $(seq 150); do echo $TRADEWIND_CTX_TRY_NUMBER $(date +%s.%N) >> {lines};"
        " sleep 0.1; done"
    )
    spec = {"dag_id": "cut", "tasks": [scenarios.bash("t", command, retries=1, retry_delay=0)]}
    proxy = TcpProxy(service_ports["dispatcher_address"])
    await proxy.start()
    services_only.start(
        "worker-1", "worker", worker_id="worker-1", dispatcher_address=proxy.address
    )
    try:
        async with httpx.AsyncClient(
            auth=admin_auth(), base_url=services_only.base_url, timeout=10
        ) as client:
            await services_only.wait_healthy(workers=1)
            await _trigger(client, spec)

            async def first_try_running() -> bool:
                return lines.exists() and lines.read_text().startswith("1 ")

            await _wait_for(first_try_running, "the first try starting")
            await proxy.stop()
            services_only.start("worker-2", "worker", worker_id="worker-2")
            run = await scenarios.wait_for_run(client, "cut", "r", timeout=90)
            assert run["state"] == "success", services_only.logs()
            first = await _log(client, "cut", "t", 1)
            assert "lease could not be renewed" in first or "did not renew" in first
    finally:
        await proxy.start()  # the partition heals: worker-1 reports, and stops cleanly
        assert await asyncio.to_thread(services_only.stop, "worker-1") == 0
        await proxy.stop()
    tries: dict[str, list[float]] = {}
    for line in lines.read_text().splitlines():
        try_number, stamp = line.split()
        tries.setdefault(try_number, []).append(float(stamp))
    assert set(tries) == {"1", "2"} and len(tries["2"]) == 150
    assert max(tries["1"]) < min(tries["2"]), "the first try still ran when the retry began"


async def test_tasks_that_cannot_start_fail_at_once_and_leak_no_slot(services_only, tmp_path):
    bad = [
        ("zero", "echo {{ 1/0 }}", {}),
        ("cwd", "true", {"cwd": str(tmp_path / "missing")}),
        ("exec", "true", {"env": {"PATH": "/nowhere"}, "append_env": False}),
    ]
    tasks = [
        scenarios.bash(f"{name}{i}", command, **fields)
        for i in range(5)
        for name, command, fields in bad
    ]
    services_only.start("worker-1", "worker", worker_id="worker-1", worker_concurrency="2")
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=services_only.base_url, timeout=10
    ) as client:
        await services_only.wait_healthy(workers=1)
        # A NUL character, which no process environment can hold, is refused at the door.
        nul = {"dag_id": "nul", "tasks": [scenarios.bash("t", "true", env={"X": "a\u0000b"})]}
        refused = await client.post("/dags", json=nul)
        assert refused.status_code == 422 and "NUL character" in refused.text, refused.text
        assert (await client.get("/dags/nul")).status_code == 404
        await _trigger(client, {"dag_id": "bad", "tasks": tasks})
        run = await scenarios.wait_for_run(client, "bad", "r", timeout=60)
        assert run["state"] == "failed"
        tis = await scenarios.task_instances(client, "bad", "r")
        assert len(tis) == 15 and {ti["state"] for ti in tis.values()} == {"failed"}
        reasons = {
            "zero": "ZeroDivisionError",
            "cwd": "FileNotFoundError",
            "exec": "cannot start the task",
        }
        for name, why in reasons.items():
            assert why in await _log(client, "bad", f"{name}0", 1)
        ran = tmp_path / "ran"
        await _trigger(client, {"dag_id": "good", "tasks": [scenarios.bash("t", f"touch {ran}")]})
        assert (await scenarios.wait_for_run(client, "good", "r", timeout=30))["state"] == (
            "success"
        )
        assert ran.exists()

        async def slots_free() -> bool:
            workers = (await client.get("/monitor/health")).json()["workers"]
            return workers["slots"] == 2 and workers["slots_in_use"] == 0

        await _wait_for(slots_free, "health showing both slots free", timeout=10)


async def test_a_task_sees_none_of_the_workers_configuration(distributed):
    spec = {"dag_id": "env", "tasks": [scenarios.bash("t", "env")]}
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        await _trigger(client, spec)
        assert (await scenarios.wait_for_run(client, "env", "r"))["state"] == "success"
        log = await _log(client, "env", "t", 1)
    names = [line.split("=", 1)[0] for line in log.splitlines() if "=" in line]
    assert "TRADEWIND_CTX_DAG_ID" in names and "AIRFLOW_CTX_DAG_RUN_ID" in names
    assert [n for n in names if n.startswith("TRADEWIND_") and "_CTX_" not in n] == []
    assert "amqp://" not in log and "postgresql" not in log


async def test_sigterm_drains_and_a_second_sigterm_stops_and_retries(services_only, tmp_path):
    done = tmp_path / "done"
    started = tmp_path / "started"
    spec = {
        "dag_id": "drain",
        "tasks": [scenarios.bash("t", f"touch {started}; sleep 2; echo x >> {done}")],
    }
    services_only.start("worker-1", "worker", worker_id="worker-1")
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=services_only.base_url, timeout=10
    ) as client:
        await services_only.wait_healthy(workers=1)
        await _trigger(client, spec)
        await _wait_for_file(started, "the task starting")
        worker = services_only.processes["worker-1"]
        worker.send_signal(signal.SIGTERM)
        await _trigger(client, spec, run_id="later")  # nothing new is taken meanwhile
        assert await asyncio.to_thread(worker.wait, 30) == 0
        assert (await scenarios.wait_for_run(client, "drain", "r"))["state"] == "success"
        assert done.read_text() == "x\n"
        later = await scenarios.task_instances(client, "drain", "later")
        assert later["t"]["state"] in ("scheduled", "queued"), later
        services_only.processes.pop("worker-1")

        # A second SIGTERM stops the running task; its try fails and is retried.
        once = tmp_path / "once"
        stuck = {
            "dag_id": "stuck",
            "tasks": [
                scenarios.bash(
                    "t",
                    f"if [ ! -e {once} ]; then touch {once}; sleep 60; fi",
                    retries=1,
                    retry_delay=0,
                )
            ],
        }
        services_only.start("worker-2", "worker", worker_id="worker-2", worker_queues="other")
        services_only.start("worker-3", "worker", worker_id="worker-3")
        await _trigger(client, stuck)
        await _wait_for_file(once, "the stuck task starting")
        worker = services_only.processes.pop("worker-3")
        worker.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30) == 0
        first = await _log(client, "stuck", "t", 1)
        assert "shut down before the task finished" in first
        services_only.start("worker-4", "worker", worker_id="worker-4")
        run = await scenarios.wait_for_run(client, "stuck", "r", timeout=60)
        assert run["state"] == "success", services_only.logs()
        assert (await scenarios.task_instances(client, "stuck", "r"))["t"]["try_number"] == 2


async def test_a_large_conf_runs_every_task_and_one_over_the_cap_is_refused(
    tmp_path, service_ports, pg_database, schema_prefix, broker_namespace
):
    """28 tasks each carrying a 2.5 MB conf are more than one gRPC message can hold:
    batches are split by bytes, and every task runs. A conf over the cap is refused."""
    from tests.e2e.conftest import _settings
    from tests.e2e.harness import Deployment

    settings = _settings(pg_database, schema_prefix, broker_namespace, service_ports)
    deployment = Deployment(tmp_path, {**settings, "api_max_conf_bytes": str(3_000_000)})
    for service in ("api", "scheduler", "dispatcher"):
        deployment.start(service, service)
    deployment.start("worker-1", "worker", worker_id="worker-1")
    ran = tmp_path / "ran"
    spec = {
        "dag_id": "big",
        "tasks": [scenarios.bash(f"t{i}", f"echo {i} >> {ran}") for i in range(28)],
    }
    try:
        await deployment.wait_healthy(workers=1)
        async with httpx.AsyncClient(
            auth=admin_auth(), base_url=deployment.base_url, timeout=60
        ) as client:
            assert (await client.post("/dags", json=spec)).status_code == 201
            too_big = await client.post(
                "/dags/big/dagRuns", json={"dag_run_id": "no", "conf": {"x": "y" * 3_000_000}}
            )
            assert too_big.status_code == 413, too_big.text
            assert too_big.headers["content-type"] == "application/problem+json"
            assert "conf" in too_big.json()["detail"]
            assert (await client.get("/dags/big/dagRuns/no")).status_code == 404
            reply = await client.post(
                "/dags/big/dagRuns", json={"dag_run_id": "r", "conf": {"x": "y" * 2_500_000}}
            )
            assert reply.status_code == 200, reply.text
            run = await scenarios.wait_for_run(client, "big", "r", timeout=120)
            assert run["state"] == "success", deployment.logs()
    finally:
        codes = await asyncio.to_thread(deployment.stop_all)
    assert set(codes.values()) == {0}, deployment.logs()
    assert sorted(int(n) for n in ran.read_text().split()) == list(range(28))
