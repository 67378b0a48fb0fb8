"""What a user does with a running Tradewind, whichever way it was started."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.e2e.harness import parse_time


def bash(task_id: str, command: str = "true", *upstream: str, **extra) -> dict:
    return {
        "task_id": task_id,
        "operator": "bash",
        "bash_command": command,
        "upstream": list(upstream),
        **extra,
    }


# extract -> (clean_a, clean_b) -> join -> publish: a chain with a fan-out and a fan-in.
PIPELINE = {
    "dag_id": "pipeline",
    "tags": ["e2e"],
    "tasks": [
        bash("extract", "echo extracting {{ ds }} for {{ dag_run.conf.get('who', 'nobody') }}"),
        bash("clean_a", "sleep 0.2", "extract"),
        bash("clean_b", "sleep 0.1", "extract"),
        bash("join", "echo joined", "clean_a", "clean_b"),
        bash("publish", "echo published", "join"),
    ],
}


async def wait_for_run(
    client: httpx.AsyncClient, dag_id: str, run_id: str, timeout: float = 60
) -> dict:
    deadline = time.monotonic() + timeout
    run: dict = {}
    while time.monotonic() < deadline:
        reply = await client.get(f"/dags/{dag_id}/dagRuns/{run_id}")
        if reply.status_code == 503:  # a service is restarting: ask again, as a user would
            await asyncio.sleep(0.1)
            continue
        run = reply.json()
        if run["state"] in ("success", "failed"):
            return run
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {dag_id}/{run_id} did not finish in {timeout}s: {run}")


async def task_instances(client: httpx.AsyncClient, dag_id: str, run_id: str) -> dict[str, dict]:
    reply = (await client.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")).json()
    return {ti["task_id"]: ti for ti in reply["task_instances"]}


async def pipeline_runs_in_dependency_order(client: httpx.AsyncClient) -> None:
    created = await client.post("/dags", json=PIPELINE)
    assert created.status_code == 201, created.text
    triggered = await client.post(
        "/dags/pipeline/dagRuns", json={"dag_run_id": "first", "conf": {"who": "e2e"}}
    )
    assert triggered.status_code == 200, triggered.text
    run = await wait_for_run(client, "pipeline", "first")
    assert run["state"] == "success", run
    tis = await task_instances(client, "pipeline", "first")
    assert {t: ti["state"] for t, ti in tis.items()} == {
        t["task_id"]: "success" for t in PIPELINE["tasks"]
    }
    for task in PIPELINE["tasks"]:
        ti = tis[task["task_id"]]
        assert ti["try_number"] == 1 and ti["hostname"]
        for upstream in task["upstream"]:
            assert parse_time(ti["start_date"]) >= parse_time(tis[upstream]["end_date"]), (
                f"{task['task_id']} started before {upstream} ended"
            )
    # clean_a and clean_b both waited for extract only, so they overlapped.
    a, b = tis["clean_a"], tis["clean_b"]
    assert parse_time(a["start_date"]) < parse_time(b["end_date"])
    assert parse_time(b["start_date"]) < parse_time(a["end_date"])
    log = await client.get("/dags/pipeline/dagRuns/first/taskInstances/extract/logs/1")
    assert log.status_code == 200
    first = log.json()["content"][0]
    assert first["event"] == f"extracting {run['run_after'][:10]} for e2e"
    assert first["level"] == "info" and first["timestamp"] >= run["start_date"]
    again = await client.post("/dags/pipeline/dagRuns", json={"dag_run_id": "first"})
    assert again.status_code == 409 and "'first'" in again.json()["detail"]


async def a_failing_task_fails_the_run(client: httpx.AsyncClient) -> None:
    spec = {
        "dag_id": "fragile",
        "tasks": [
            bash("prepare"),
            bash("break", "echo about to fail; exit 3", "prepare"),
            bash("after", "true", "break"),
            bash("report", "true", "after"),
            bash("always_cleanup", "true", "break", trigger_rule="all_done"),
        ],
    }
    assert (await client.post("/dags", json=spec)).status_code == 201
    assert (await client.post("/dags/fragile/dagRuns", json={"dag_run_id": "r"})).status_code == 200
    run = await wait_for_run(client, "fragile", "r")
    assert run["state"] == "failed"
    states = {t: ti["state"] for t, ti in (await task_instances(client, "fragile", "r")).items()}
    assert states == {
        "prepare": "success",
        "break": "failed",
        "after": "upstream_failed",
        "report": "upstream_failed",
        "always_cleanup": "success",
    }
    log = (
        await client.get(
            "/dags/fragile/dagRuns/r/taskInstances/break/logs/1", headers={"Accept": "text/plain"}
        )
    ).text
    assert "about to fail" in log and "exited with code 3" in log


async def bad_input_is_refused(client: httpx.AsyncClient) -> None:
    cyclic = {"dag_id": "loop", "tasks": [bash("a", "true", "b"), bash("b", "true", "a")]}
    reply = await client.post("/dags", json=cyclic)
    assert reply.status_code == 422 and "a -> b -> a" in reply.json()["detail"]
    assert (await client.get("/dags/loop")).status_code == 404
    unknown = await client.post("/dags/nowhere/dagRuns", json={})
    assert unknown.status_code == 404
