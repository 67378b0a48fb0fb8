"""Two real scheduler processes against one PostgreSQL, and named worker queues.

Each scheduler has its own address and id; the api and the dispatcher are given both
(one gRPC name for the two servers), so events and requests are spread over them and
each genuinely schedules, concurrently with the other: the case where two schedulers
could both take a pool's last slot, start one run too many, or queue one task instance
twice. What happened is read back from the recorded tries."""

from __future__ import annotations

import asyncio
from datetime import datetime

import asyncpg
import httpx
import pytest

from conftest import admin_auth, free_port
from tests.e2e import scenarios
from tests.e2e.conftest import _settings
from tests.e2e.harness import Deployment

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
RUNS = 8
MAX_ACTIVE_RUNS = 3
TASKS = ("a", "b", "c")


def recording(task_id: str, log, *upstream: str) -> dict:
    # Each try appends one line: its run, task, and start/end times (epoch seconds).
    command = (
        f"s=$(date +%s.%N); sleep 0.05; e=$(date +%s.%N); "
        f'echo "{{{{ run_id }}}} {task_id} $s $e" >> {log}'
    )
    return scenarios.bash(task_id, command, *upstream, pool="one")


@pytest.fixture
async def two_schedulers(tmp_path, service_ports, pg_database, schema_prefix, broker_namespace):
    settings = _settings(pg_database, schema_prefix, broker_namespace, service_ports)
    first, second = settings["scheduler_address"], f"127.0.0.1:{free_port()}"
    # The others reach both schedulers by one name; calls go round between them.
    deployment = Deployment(tmp_path, {**settings, "scheduler_address": f"ipv4:{first},{second}"})
    deployment.start(
        "scheduler-1", "scheduler", scheduler_address=first, scheduler_id="scheduler-1"
    )
    deployment.start(
        "scheduler-2", "scheduler", scheduler_address=second, scheduler_id="scheduler-2"
    )
    for service in ("api", "dispatcher"):
        deployment.start(service, service)
    for n in (1, 2):
        deployment.start(f"worker-{n}", "worker", worker_id=f"worker-{n}")
    try:
        await deployment.wait_healthy(workers=2)
        yield deployment
    finally:
        codes = deployment.stop_all()
    assert set(codes.values()) == {0}, f"{codes}\n{deployment.logs()}"


async def _recorded_tries(pg_database: str, schema: str) -> tuple[list, list]:
    """Every try (kept ones and current ones) and every run, from the scheduler's tables."""
    conn = await asyncpg.connect(pg_database.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'SET search_path TO "{schema}"')
        tries = await conn.fetch(
            "SELECT run_id, task_id, try_number, state, queued_by_job_id, queued_when, end_date"
            " FROM task_instance_history UNION ALL"
            " SELECT run_id, task_id, try_number, state, queued_by_job_id, queued_when, end_date"
            " FROM task_instance"
        )
        runs = await conn.fetch("SELECT run_id, state, start_date, end_date FROM dag_run")
    finally:
        await conn.close()
    return [dict(t) for t in tries], [dict(r) for r in runs]


def _most_at_once(spans: list[tuple[datetime, datetime]]) -> int:
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    most = now = 0
    for _, step in edges:  # an end at the same instant as a start comes first (-1 < 1)
        now += step
        most = max(most, now)
    return most


async def test_two_schedulers_both_schedule_and_never_exceed_a_limit_nor_queue_twice(
    two_schedulers, tmp_path, pg_database, schema_prefix
):
    log = tmp_path / "tries.log"
    spec = {
        "dag_id": "serial",
        "max_active_runs": MAX_ACTIVE_RUNS,
        "tasks": [recording("a", log), recording("b", log, "a"), recording("c", log, "a")],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=two_schedulers.base_url, timeout=10
    ) as client:
        assert (await client.post("/pools", json={"name": "one", "slots": 1})).status_code == 201
        assert (await client.post("/dags", json=spec)).status_code == 201
        for i in range(RUNS):
            reply = await client.post("/dags/serial/dagRuns", json={"dag_run_id": f"r{i}"})
            assert reply.status_code == 200, reply.text
        runs = await asyncio.gather(
            *(scenarios.wait_for_run(client, "serial", f"r{i}", timeout=180) for i in range(RUNS))
        )
        assert {run["state"] for run in runs} == {"success"}
        pool = (await client.get("/pools/one")).json()
        assert (pool["occupied_slots"], pool["open_slots"]) == (0, 1)
        health = (await client.get("/monitor/health")).json()
        assert health["scheduler"]["set_aside_runs"] == []
    tries, dag_runs = await _recorded_tries(pg_database, f"{schema_prefix}scheduler")
    # Queued once each: one try per task instance, none kept from an earlier one.
    assert sorted((t["run_id"], t["task_id"], t["try_number"]) for t in tries) == sorted(
        (f"r{i}", task, 1) for i in range(RUNS) for task in TASKS
    )
    assert {t["state"] for t in tries} == {"success"}
    # Both schedulers gave out slots.
    assert {t["queued_by_job_id"] for t in tries} == {"scheduler-1", "scheduler-2"}
    # The pool of one was never exceeded: a try holds its slot from queued to its end.
    slots = [(t["queued_when"], t["end_date"]) for t in tries]
    assert _most_at_once(slots) == 1, sorted(slots)
    # Nor was max_active_runs.
    assert _most_at_once([(r["start_date"], r["end_date"]) for r in dag_runs]) <= MAX_ACTIVE_RUNS
    # And each task ran once, by its own account.
    lines = [line.split() for line in log.read_text().splitlines()]
    assert sorted((run, task) for run, task, _, _ in lines) == sorted(
        (f"r{i}", t) for i in range(RUNS) for t in TASKS
    )
    logs = two_schedulers.logs()
    assert "Traceback" not in logs


async def test_a_named_queue_reaches_only_its_workers(distributed, tmp_path):
    distributed.start("worker-other", "worker", worker_id="worker-other", worker_queues="other")
    await distributed.wait_healthy(workers=3)
    spec = {
        "dag_id": "queues",
        "tasks": [
            scenarios.bash("special", "hostname", queue="other"),
            scenarios.bash("plain", "true"),
        ],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        for i in range(3):
            await client.post("/dags/queues/dagRuns", json={"dag_run_id": f"q{i}"})
        for i in range(3):
            run = await scenarios.wait_for_run(client, "queues", f"q{i}")
            assert run["state"] == "success"
    logs = {p.stem: p.read_text(errors="replace") for p in tmp_path.glob("worker-*.log")}
    assert logs["worker-other"].count("task_id=special") >= 3
    assert "task_id=plain" not in logs["worker-other"]
    for name in ("worker-1", "worker-2"):
        assert "task_id=special" not in logs[name]
