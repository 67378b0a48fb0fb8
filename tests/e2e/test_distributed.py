"""Distributed mode: api, scheduler, dispatcher and two workers as separate processes, on
PostgreSQL (a schema per service) and RabbitMQ."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.e2e import scenarios
from tests.e2e.harness import Deployment

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
async def distributed(tmp_path, service_ports, pg_database, schema_prefix, broker_namespace):
    deployment = Deployment(
        tmp_path,
        {
            "database_url": pg_database,
            "database_schema_prefix": schema_prefix,
            "broker_url": "amqp://guest:guest@127.0.0.1:5672/",
            "broker_namespace": broker_namespace,
            # Short enough for the lost-worker test to finish quickly.
            "dispatcher_attempt_timeout": "3",
            "dispatcher_sweep_interval": "0.5",
            "worker_heartbeat_interval": "0.5",
            **service_ports,
        },
    )
    for service in ("api", "scheduler", "dispatcher"):
        deployment.start(service, service)
    deployment.start("worker-1", "worker", worker_id="worker-1")
    deployment.start("worker-2", "worker", worker_id="worker-2")
    try:
        health = await deployment.wait_healthy(workers=2)
        assert health["workers"]["live_workers"] == 2
        yield deployment
    finally:
        codes = deployment.stop_all()
    assert set(codes.values()) == {0}, f"{codes}\n{deployment.logs()}"


async def test_distributed_runs_dags_end_to_end(distributed):
    async with httpx.AsyncClient(base_url=distributed.base_url, timeout=10) as client:
        await scenarios.pipeline_runs_in_dependency_order(client)
        await scenarios.a_failing_task_fails_the_run(client)
        await scenarios.bad_input_is_refused(client)


async def test_a_task_on_a_killed_worker_is_retried_elsewhere(distributed, tmp_path):
    marker = tmp_path / "started"
    spec = {
        "dag_id": "survivor",
        "tasks": [
            scenarios.bash(
                "long",
                f"if [ ! -e {marker} ]; then touch {marker}; sleep 60; fi; echo done",
                retries=1,
                retry_delay=0,
            ),
            scenarios.bash("next", "true", "long"),
        ],
    }
    async with httpx.AsyncClient(base_url=distributed.base_url, timeout=10) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        assert (
            await client.post("/dags/survivor/dagRuns", json={"dag_run_id": "r"})
        ).status_code == 200
        for _ in range(200):
            if marker.exists():
                break
            await asyncio.sleep(0.05)
        assert marker.exists(), distributed.logs()
        await asyncio.sleep(0.3)
        # Kill whichever worker holds the task; the other must finish the work.
        running = distributed.processes
        victim = await _worker_running(running, marker)
        distributed.kill(victim)
        distributed.processes.pop(victim)
        run = await scenarios.wait_for_run(client, "survivor", "r", timeout=60)
        tis = await scenarios.task_instances(client, "survivor", "r")
        assert run["state"] == "success", distributed.logs()
        assert tis["long"]["try_number"] == 2 and tis["long"]["state"] == "success"
        assert tis["next"]["state"] == "success"
        first_try = (await client.get("/dags/survivor/dagRuns/r/taskInstances/long/logs/1")).json()
        assert f"worker {victim} stopped heartbeating" in first_try["content"]


async def _worker_running(processes, marker) -> str:
    """The worker whose process tree holds the task's `sleep`."""
    import psutil

    for name, proc in processes.items():
        if name.startswith("worker"):
            children = psutil.Process(proc.pid).children(recursive=True)
            if any("sleep" in " ".join(c.cmdline()) for c in children):
                return name
    raise AssertionError("no worker is running the task")
