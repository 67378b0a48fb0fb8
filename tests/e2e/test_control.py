"""Manual control with real processes, distributed (PostgreSQL, RabbitMQ) and standalone
(SQLite, in-process broker): marking a run failed stops its running task's process, and
clearing a finished task runs it again."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest

from conftest import admin_auth
from tests.e2e import scenarios
from tests.e2e.harness import Deployment

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
DEADLINE = 60.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _until(check, what: str, logs) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while not await check():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}\n{logs()}")
        await asyncio.sleep(0.1)


@pytest.fixture
async def standalone(tmp_path, service_ports):
    settings = {"home": str(tmp_path / "home"), "worker_heartbeat_interval": "0.5"}
    deployment = Deployment(tmp_path, {**settings, **service_ports})
    deployment.start("standalone", "standalone")
    try:
        await deployment.wait_healthy()
        yield deployment
    finally:
        codes = deployment.stop_all()
    assert codes == {"standalone": 0}, deployment.logs()


async def test_distributed(distributed, tmp_path):
    await marking_a_run_failed_kills_its_task_and_clearing_runs_a_task_again(distributed, tmp_path)


async def test_standalone(standalone, tmp_path):
    await marking_a_run_failed_kills_its_task_and_clearing_runs_a_task_again(standalone, tmp_path)


async def marking_a_run_failed_kills_its_task_and_clearing_runs_a_task_again(
    deployment: Deployment, tmp_path
):
    pid_file, side = tmp_path / "pid", tmp_path / "side"
    spec = {
        "dag_id": "control",
        "tasks": [
            scenarios.bash("once", f"echo ran >> {side}"),
            scenarios.bash("sleeper", f"echo $$ > {pid_file}; exec sleep 300", "once"),
        ],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=deployment.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        response = await client.post("/dags/control/dagRuns", json={"dag_run_id": "r"})
        assert response.status_code == 200

        async def sleeping() -> bool:
            tis = await scenarios.task_instances(client, "control", "r")
            started = pid_file.exists() and pid_file.read_text().strip().isdigit()
            return started and tis["sleeper"]["state"] == "running"

        await _until(sleeping, "the sleeper to start", deployment.logs)
        pid = int(pid_file.read_text())
        assert _alive(pid)

        marked = await client.patch("/dags/control/dagRuns/r", json={"state": "failed"})
        assert marked.status_code == 200 and marked.json()["state"] == "failed"

        async def gone() -> bool:
            return not _alive(pid)

        await _until(gone, "the sleeper's process to end", deployment.logs)
        tries = (await client.get("/dags/control/dagRuns/r/taskInstances/sleeper/tries")).json()
        assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [(1, "failed")]
        log = (await client.get("/dags/control/dagRuns/r/taskInstances/sleeper/logs/1")).json()
        assert any(
            "stopped: run marked failed by a user" in line["event"] for line in log["content"]
        ), log
        assert side.read_text().count("ran") == 1

        cleared = await client.post(
            "/dags/control/clearTaskInstances",
            json={"dry_run": False, "dag_run_id": "r", "task_ids": ["once"], "only_failed": False},
        )
        assert cleared.status_code == 200, cleared.text
        assert [t["task_id"] for t in cleared.json()["task_instances"]] == ["once"]

        async def ran_twice() -> bool:
            tis = await scenarios.task_instances(client, "control", "r")
            return side.read_text().count("ran") == 2 and tis["once"]["state"] == "success"

        await _until(ran_twice, "the cleared task to run again", deployment.logs)
        run = await scenarios.wait_for_run(client, "control", "r", timeout=DEADLINE)
        # The sleeper stays as it was marked: clearing "once" did not include downstream.
        assert run["state"] == "failed"
        tis = await scenarios.task_instances(client, "control", "r")
        assert tis["once"]["try_number"] == 2 and tis["sleeper"]["state"] == "failed"
        assert side.read_text().count("ran") == 2


async def test_marking_a_task_failed_stops_it_and_every_process_it_started(distributed, tmp_path):
    """A task that started children of its own (in the background, still running) is
    marked failed through the API: bash and both children end, the try is failed with
    the reason in its log, and nothing runs it again."""
    pids, side = tmp_path / "pids", tmp_path / "side"
    spec = {
        "dag_id": "family",
        "tasks": [
            scenarios.bash(
                "parent",
                f"echo ran >> {side}; sleep 300 & c1=$!; sleep 300 & c2=$!; "
                f"echo $$ $c1 $c2 > {pids}.tmp; mv {pids}.tmp {pids}; wait",
            )
        ],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        response = await client.post("/dags/family/dagRuns", json={"dag_run_id": "r"})
        assert response.status_code == 200

        async def running() -> bool:
            tis = await scenarios.task_instances(client, "family", "r")
            return pids.exists() and tis["parent"]["state"] == "running"

        await _until(running, "the task and its children to start", distributed.logs)
        family = [int(p) for p in pids.read_text().split()]
        assert len(family) == 3 and all(_alive(p) for p in family)

        marked = await client.patch(
            "/dags/family/dagRuns/r/taskInstances/parent", json={"new_state": "failed"}
        )
        assert marked.status_code == 200, marked.text

        async def all_gone() -> bool:
            return not any(_alive(p) for p in family)

        await _until(all_gone, "the task and its children to end", distributed.logs)
        run = await scenarios.wait_for_run(client, "family", "r", timeout=DEADLINE)
        assert run["state"] == "failed"
        tries = (await client.get("/dags/family/dagRuns/r/taskInstances/parent/tries")).json()
        assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [(1, "failed")]
        log = (await client.get("/dags/family/dagRuns/r/taskInstances/parent/logs/1")).json()
        assert any("[tradewind] stopped: " in line["event"] for line in log["content"]), log
        assert side.read_text() == "ran\n"
