"""Crashes lose no accepted work: a service killed outright in the middle of a run comes
back, and the run still ends with every task run exactly once, in dependency order."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from conftest import admin_auth
from tests.e2e import scenarios
from tests.e2e.harness import parse_time

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

CHAIN = {
    "dag_id": "steady",
    "tasks": [
        scenarios.bash(f"step{i}", "sleep 0.4", *([f"step{i - 1}"] if i else [])) for i in range(6)
    ],
}


async def _run_until(client: httpx.AsyncClient, finished_tasks: int) -> None:
    assert (await client.post("/dags", json=CHAIN)).status_code == 201
    assert (await client.post("/dags/steady/dagRuns", json={"dag_run_id": "r"})).status_code == 200
    for _ in range(400):
        tis = await scenarios.task_instances(client, "steady", "r")
        if sum(ti["state"] == "success" for ti in tis.values()) >= finished_tasks:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"the run did not get going: {tis}")


async def _assert_ran_once_in_order(client: httpx.AsyncClient, logs: str) -> None:
    run = await scenarios.wait_for_run(client, "steady", "r", timeout=90)
    tis = await scenarios.task_instances(client, "steady", "r")
    assert run["state"] == "success", logs
    assert {t: (ti["state"], ti["try_number"]) for t, ti in tis.items()} == {
        f"step{i}": ("success", 1) for i in range(6)
    }
    for i in range(1, 6):
        assert parse_time(tis[f"step{i}"]["start_date"]) >= parse_time(
            tis[f"step{i - 1}"]["end_date"]
        )


@pytest.mark.parametrize(
    ("service", "down_for"),
    [
        # Tasks keep finishing meanwhile; their results wait in the dispatcher's outbox.
        ("scheduler", 1.0),
        # The running task ends while the dispatcher is gone: the worker keeps its
        # message unacknowledged and retries the report until the dispatcher is back.
        ("dispatcher", 0.8),
    ],
)
async def test_a_service_killed_mid_run_loses_nothing(distributed, service, down_for):
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        await _run_until(client, finished_tasks=2)
        distributed.kill(service)
        await asyncio.sleep(down_for)
        distributed.restart(service)
        await _assert_ran_once_in_order(client, distributed.logs())
