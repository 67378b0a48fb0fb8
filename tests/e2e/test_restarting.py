"""Clearing a running task instance restarts it, as Airflow's `restarting` state does: the
running try is stopped first, and the next try starts only once the old one has ended.
A bash task writes a start and an end marker to a file on every try (the end one also
when it is stopped); the file shows the two tries one after the other, never at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from conftest import admin_auth
from tests.e2e import scenarios
from tests.e2e.harness import Deployment

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
DEADLINE = 60.0

# The first try runs until stopped (its TERM trap writes its end, after a moment's
# clean-up); the second ends by itself.
COMMAND = """
mark() {{ echo "$1 {{{{ ti.try_number }}}} $(date +%s%N)" >> {markers}; }}
mark start
trap 'sleep 0.5; mark end; exit 143' TERM
if [ {{{{ ti.try_number }}}} -eq 1 ]; then sleep 300 & wait; else sleep 0.2; fi
mark end
"""


async def _until(check, what: str, deployment: Deployment) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while not await check():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}\n{deployment.logs()}")
        await asyncio.sleep(0.1)


def _markers(path) -> list[tuple[str, int, int]]:  # noqa: ANN001
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [(what, int(try_number), int(at)) for what, try_number, at in lines]


async def test_clearing_a_running_task_stops_it_before_the_next_try_starts(distributed, tmp_path):
    markers = tmp_path / "markers"
    spec = {
        "dag_id": "restart",
        "tasks": [scenarios.bash("t", COMMAND.format(markers=markers))],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        response = await client.post("/dags/restart/dagRuns", json={"dag_run_id": "r"})
        assert response.status_code == 200

        async def running() -> bool:
            tis = await scenarios.task_instances(client, "restart", "r")
            started = [m for m in _markers(markers) if m[0] == "start"]
            return bool(started) and tis["t"]["state"] == "running"

        await _until(running, "the first try to run", distributed)
        cleared = await client.post(
            "/dags/restart/clearTaskInstances",
            json={"dry_run": False, "dag_run_id": "r", "task_ids": ["t"], "only_failed": False},
        )
        assert cleared.status_code == 200, cleared.text
        tis = await scenarios.task_instances(client, "restart", "r")
        assert tis["t"]["state"] == "restarting"

        run = await scenarios.wait_for_run(client, "restart", "r", timeout=DEADLINE)
        assert run["state"] == "success", distributed.logs()
        found = _markers(markers)
        assert [(what, n) for what, n, _ in found] == [
            ("start", 1),
            ("end", 1),
            ("start", 2),
            ("end", 2),
        ], found
        first_end, second_start = found[1][2], found[2][2]
        assert first_end <= second_start, found
        tries = (await client.get("/dags/restart/dagRuns/r/taskInstances/t/tries")).json()
        assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [
            (1, "failed"),
            (2, "success"),
        ]
