"""What an operator sees of the fleet: the workers endpoint, task instances' hostname and
pid, and each worker's Prometheus metrics."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import admin_auth, free_port
from tests.e2e import scenarios
from tests.e2e.operator_scenarios import python

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_workers_endpoint_task_hosts_and_metrics(distributed, tmp_path):
    port = free_port()
    distributed.start(
        "worker-obs",
        "worker",
        worker_id="worker-obs",
        worker_queues="obs",
        worker_concurrency="3",
        worker_http_port=str(port),
    )
    await distributed.wait_healthy(workers=3)
    release = tmp_path / "release"
    jobs = (
        "import os, time\n\n"
        "def hold():\n"
        "    print('holding on')\n"
        f"    while not os.path.exists({str(release)!r}):\n"
        "        time.sleep(0.05)\n"
        "    return os.getpid()\n"
    )
    spec = {
        "dag_id": "observed",
        "code": {"files": {"jobs.py": jobs}},
        "tasks": [
            python("hold", "jobs:hold", queue="obs"),
            scenarios.bash("quick", "echo quick", "hold", queue="obs"),
            {"task_id": "noop", "operator": "empty", "queue": "obs", "upstream": ["quick"]},
        ],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        assert (
            await client.post("/dags/observed/dagRuns", json={"dag_run_id": "r"})
        ).status_code == 200
        deadline = time.monotonic() + 60
        while True:  # until the worker reports the task it holds
            workers = {w["worker_id"]: w for w in (await client.get("/workers")).json()["workers"]}
            obs = workers.get("worker-obs")
            if obs and obs["running_task_instances"]:
                break
            assert time.monotonic() < deadline, distributed.logs()
            await asyncio.sleep(0.1)
        assert set(workers) == {"worker-1", "worker-2", "worker-obs"}
        assert obs["queues"] == ["obs"] and obs["slots"] == 3 and obs["slots_in_use"] == 1
        assert obs["alive"] and obs["hostname"] == socket.gethostname()
        [held] = obs["running_task_instances"]
        assert (held["dag_id"], held["dag_run_id"], held["task_id"], held["try_number"]) == (
            "observed",
            "r",
            "hold",
            1,
        )
        assert (
            workers["worker-1"]["queues"] == ["default"]
            and workers["worker-1"]["slots_in_use"] == 0
        )
        # What the python task printed is in its log while it still runs.
        log = "/dags/observed/dagRuns/r/taskInstances/hold/logs/1"
        while "holding on" not in (await client.get(log, headers={"Accept": "text/plain"})).text:
            assert time.monotonic() < deadline, distributed.logs()
            await asyncio.sleep(0.1)
        assert not release.exists()
        release.touch()
        run = await scenarios.wait_for_run(client, "observed", "r")
        assert run["state"] == "success"
        tis = await scenarios.task_instances(client, "observed", "r")
        returned_pid = (
            await client.get("/dags/observed/dagRuns/r/taskInstances/hold/xcomEntries/return_value")
        ).json()["value"]
        assert tis["hold"]["pid"] == returned_pid  # the process the task's code ran in
        assert tis["hold"]["hostname"] == socket.gethostname() and tis["quick"]["pid"] > 0
    async with httpx.AsyncClient(timeout=10) as plain:
        text = (await plain.get(f"http://127.0.0.1:{port}/metrics")).text
    values = samples(text)
    assert values[("tradewind_worker_slots", ())] == 3
    assert values[("tradewind_worker_slots_in_use", ())] == 0
    assert values[("tradewind_worker_tasks_started_total", (("operator", "python"),))] == 1
    assert values[("tradewind_worker_tasks_started_total", (("operator", "bash"),))] == 1
    finished = (
        "tradewind_worker_tasks_finished_total",
        (("operator", "python"), ("outcome", "success")),
    )
    assert values[finished] == 1
    assert values[("tradewind_worker_task_duration_seconds_count", (("operator", "bash"),))] == 1
    assert "empty" not in text  # the empty task never reached this worker
