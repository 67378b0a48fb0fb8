"""Manual control through the REST API, with every service serving for real (api,
scheduler, dispatcher and a worker running real bash subprocesses, on PostgreSQL):
clearing, marking, deleting, every try kept, dagrun_timeout, DAG versions."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from conftest import admin_auth
from tradewind_api.main import serve as serve_api
from tradewind_api.settings import ApiSettings
from tradewind_core.broker import InMemoryBroker
from tradewind_dispatcher.main import serve as serve_dispatcher
from tradewind_dispatcher.settings import DispatcherSettings
from tradewind_scheduler.main import serve as serve_scheduler
from tradewind_scheduler.settings import SchedulerSettings
from tradewind_worker.main import serve as serve_worker
from tradewind_worker.settings import WorkerSettings

pytestmark = pytest.mark.postgres
DEADLINE = 30.0


@pytest.fixture
async def api(pg_database, schema_prefix, service_ports):
    common = {
        "database_url": pg_database,
        "database_schema_prefix": schema_prefix,
        "broker_url": "memory://",
        **service_ports,
    }
    broker = InMemoryBroker()
    stop, stop_worker = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(
            serve_scheduler(SchedulerSettings(**common, scheduler_sweep_interval=0.5), stop)
        ),
        asyncio.create_task(serve_dispatcher(DispatcherSettings(**common), stop, broker=broker)),
        asyncio.create_task(serve_api(ApiSettings(**common), stop)),
        asyncio.create_task(
            serve_worker(
                WorkerSettings(**common, worker_id="w1", worker_heartbeat_interval=0.3),
                stop_worker,
                broker=broker,
            )
        ),
    ]
    base = f"http://127.0.0.1:{service_ports['api_port']}/api/v2"
    async with httpx.AsyncClient(auth=admin_auth(), base_url=base, timeout=10) as client:
        for _ in range(200):
            try:
                # Every service up, so no gRPC channel starts in a reconnect backoff.
                health = (await client.get("/monitor/health")).json()
                if all(health[s]["status"] == "healthy" for s in ("scheduler", "dispatcher")):
                    break
            except httpx.TransportError:
                pass
            for task in tasks:
                if task.done():
                    task.result()
            await asyncio.sleep(0.05)
        yield client
    # The worker first, while the dispatcher still takes the results of what it drains.
    stop_worker.set()
    await asyncio.wait_for(tasks[-1], 60)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)


def bash(task_id, command, *upstream, **extra):
    return {
        "task_id": task_id,
        "operator": "bash",
        "bash_command": command,
        "upstream": list(upstream),
        **extra,
    }


def appends(path: Path, then: str = "true") -> str:
    """A command that leaves one line in `path` each time it runs."""
    return f"echo ran >> {path} && {then}"


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


async def wait_for(check, what: str):
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def run_state(api, dag_id, run_id, *states):
    async def check():
        run = (await api.get(f"/dags/{dag_id}/dagRuns/{run_id}")).json()
        return run if run["state"] in states else None

    return await wait_for(check, f"run {run_id} in {states}")


async def ti_states(api, dag_id, run_id) -> dict[str, str | None]:
    body = (await api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")).json()
    return {t["task_id"]: t["state"] for t in body["task_instances"]}


async def ti_state(api, dag_id, run_id, task_id, *states):
    async def check():
        return (await ti_states(api, dag_id, run_id)).get(task_id) in states

    await wait_for(check, f"{task_id} in {states}")


async def trigger(api, dag_id, run_id):
    response = await api.post(f"/dags/{dag_id}/dagRuns", json={"dag_run_id": run_id})
    assert response.status_code == 200, response.text


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


async def test_every_try_is_kept(api, tmp_path):
    out = tmp_path / "out"
    spec = {
        "dag_id": "flaky",
        "tasks": [bash("t", appends(out, "exit 1"), retries=1, retry_delay=0)],
    }
    assert (await api.post("/dags", json=spec)).status_code == 201
    await trigger(api, "flaky", "r1")
    await run_state(api, "flaky", "r1", "failed")
    assert lines(out) == 2
    tries = (await api.get("/dags/flaky/dagRuns/r1/taskInstances/t/tries")).json()
    assert tries["total_entries"] == 2
    assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [
        (1, "failed"),
        (2, "failed"),
    ]
    first = tries["task_instances"][0]
    assert first["hostname"] and first["duration"] is not None and first["end_date"]
    assert first["dag_version"]["version_number"] == 1
    one = (await api.get("/dags/flaky/dagRuns/r1/taskInstances/t/tries/1")).json()
    assert one == first
    assert_problem(await api.get("/dags/flaky/dagRuns/r1/taskInstances/t/tries/3"), 404)
    assert_problem(await api.get("/dags/flaky/dagRuns/r1/taskInstances/nope/tries"), 404)


async def test_clearing_a_finished_task_runs_it_again(api, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    spec = {"dag_id": "etl", "tasks": [bash("a", appends(a)), bash("b", appends(b), "a")]}
    await api.post("/dags", json=spec)
    await trigger(api, "etl", "r1")
    await run_state(api, "etl", "r1", "success")
    # Airflow's defaults: a dry run of failed task instances only; nothing failed here.
    response = await api.post("/dags/etl/clearTaskInstances", json={"dag_run_id": "r1"})
    assert response.status_code == 200, response.text
    assert response.json() == {"task_instances": [], "total_entries": 0}
    body = {"dag_run_id": "r1", "task_ids": ["a"], "include_downstream": True, "only_failed": False}
    dry = (await api.post("/dags/etl/clearTaskInstances", json=body)).json()
    assert sorted(t["task_id"] for t in dry["task_instances"]) == ["a", "b"]
    assert (await ti_states(api, "etl", "r1")) == {"a": "success", "b": "success"}
    cleared = await api.post("/dags/etl/clearTaskInstances", json={**body, "dry_run": False})
    assert cleared.status_code == 200, cleared.text
    assert sorted(t["task_id"] for t in cleared.json()["task_instances"]) == ["a", "b"]
    run = await run_state(api, "etl", "r1", "success")
    assert (lines(a), lines(b)) == (2, 2)
    assert run["end_date"]
    tries = (await api.get("/dags/etl/dagRuns/r1/taskInstances/a/tries")).json()
    assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [
        (1, "success"),
        (2, "success"),
    ]


async def test_clearing_a_whole_run(api, tmp_path):
    a = tmp_path / "a"
    await api.post("/dags", json={"dag_id": "one", "tasks": [bash("a", appends(a))]})
    await trigger(api, "one", "r1")
    await run_state(api, "one", "r1", "success")
    dry = (await api.post("/dags/one/dagRuns/r1/clear", json={})).json()
    assert [t["task_id"] for t in dry["task_instances"]] == ["a"]
    run = await api.post("/dags/one/dagRuns/r1/clear", json={"dry_run": False})
    assert run.status_code == 200 and run.json()["dag_run_id"] == "r1"
    await wait_for(lambda: asyncio.sleep(0, lines(a) == 2), "a second run of a")
    await run_state(api, "one", "r1", "success")


async def test_marking_a_failed_task_success_lets_its_downstream_run(api, tmp_path):
    b = tmp_path / "b"
    spec = {"dag_id": "fix", "tasks": [bash("a", "exit 1"), bash("b", appends(b), "a")]}
    await api.post("/dags", json=spec)
    await trigger(api, "fix", "r1")
    await run_state(api, "fix", "r1", "failed")
    assert (await ti_states(api, "fix", "r1")) == {"a": "failed", "b": "upstream_failed"}
    url = "/dags/fix/dagRuns/r1/taskInstances/a"
    dry = await api.patch(f"{url}/dry_run", json={"new_state": "success"})
    assert dry.status_code == 200, dry.text
    assert [(t["task_id"], t["state"]) for t in dry.json()["task_instances"]] == [("a", "failed")]
    assert (await ti_states(api, "fix", "r1"))["a"] == "failed"
    marked = await api.patch(url, json={"new_state": "success", "note": "fixed by hand"})
    assert marked.status_code == 200, marked.text
    ti = marked.json()["task_instances"][0]
    assert (ti["task_id"], ti["state"], ti["note"]) == ("a", "success", "fixed by hand")
    await run_state(api, "fix", "r1", "success")
    assert lines(b) == 1
    assert (await ti_states(api, "fix", "r1")) == {"a": "success", "b": "success"}


async def test_marking_a_run_failed_stops_its_running_task(api, tmp_path):
    pid_file, after = tmp_path / "pid", tmp_path / "after"
    spec = {
        "dag_id": "slow",
        "tasks": [
            bash("sleep", f"echo $$ > {pid_file}; exec sleep 60"),
            bash("next", appends(after), "sleep"),
            bash("side", "sleep 60"),
        ],
    }
    await api.post("/dags", json=spec)
    await trigger(api, "slow", "r1")
    await ti_state(api, "slow", "r1", "sleep", "running")
    await wait_for(
        lambda: asyncio.sleep(0, pid_file.exists() and pid_file.read_text().strip()), "pid"
    )
    pid = int(pid_file.read_text())
    assert pid_alive(pid)
    response = await api.patch(
        "/dags/slow/dagRuns/r1", json={"state": "failed", "note": "stopped by hand"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "failed" and response.json()["note"] == "stopped by hand"
    await wait_for(lambda: asyncio.sleep(0, not pid_alive(pid)), "the task's process to end")
    states = await ti_states(api, "slow", "r1")
    assert states["sleep"] == "failed" and states["next"] == "skipped"
    tries = (await api.get("/dags/slow/dagRuns/r1/taskInstances/sleep/tries")).json()
    assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [(1, "failed")]
    log = (await api.get("/dags/slow/dagRuns/r1/taskInstances/sleep/logs/1")).json()["content"]
    assert any("stopped: run marked failed by a user" in line["event"] for line in log), log
    assert (await api.get("/dags/slow/dagRuns/r1")).json()["state"] == "failed"
    assert lines(after) == 0


async def test_marking_a_run_success_and_queued(api, tmp_path):
    spec = {"dag_id": "m", "tasks": [bash("a", "sleep 60"), bash("b", "true", "a")]}
    await api.post("/dags", json=spec)
    await trigger(api, "m", "r1")
    await ti_state(api, "m", "r1", "a", "running")
    done = await api.patch("/dags/m/dagRuns/r1", json={"state": "success"})
    assert done.status_code == 200 and done.json()["state"] == "success"
    assert (await ti_states(api, "m", "r1")) == {"a": "success", "b": "success"}
    # update_mask: only the note is applied.
    noted = await api.patch(
        "/dags/m/dagRuns/r1", params={"update_mask": "note"}, json={"state": "failed", "note": "n"}
    )
    assert noted.json()["state"] == "success" and noted.json()["note"] == "n"
    again = await api.patch("/dags/m/dagRuns/r1", json={"state": "queued"})
    assert again.status_code == 200 and again.json()["state"] == "queued"
    # Nothing left to do: the scheduler finds every task done and finishes it again.
    await run_state(api, "m", "r1", "success")


async def test_deleting_runs_and_dags(api, tmp_path):
    await api.post("/dags", json={"dag_id": "d", "tasks": [bash("a", "sleep 60")]})
    await trigger(api, "d", "r1")
    await ti_state(api, "d", "r1", "a", "running")
    body = assert_problem(await api.delete("/dags/d"), 409)
    assert "running" in body["detail"]
    refused = await api.post(
        "/dags/d/clearTaskInstances",
        json={"dry_run": False, "only_failed": False, "prevent_running_task": True},
    )
    assert "running" in assert_problem(refused, 409)["detail"]
    assert (await ti_states(api, "d", "r1")) == {"a": "running"}
    assert (await api.get("/dags/d")).status_code == 200
    response = await api.delete("/dags/d/dagRuns/r1")
    assert response.status_code == 204
    assert_problem(await api.get("/dags/d/dagRuns/r1"), 404)
    assert_problem(await api.delete("/dags/d/dagRuns/r1"), 404)
    assert (await api.delete("/dags/d")).status_code == 200
    assert_problem(await api.get("/dags/d"), 404)
    assert_problem(await api.get("/dags/d/dagVersions"), 404)
    assert_problem(await api.delete("/dags/d"), 404)
    # The DAG can be created again, from version 1.
    again = await api.post("/dags", json={"dag_id": "d", "tasks": [bash("a", "true")]})
    assert again.status_code == 201 and again.json()["latest_dag_version"]["version_number"] == 1


async def test_a_run_past_its_dagrun_timeout_fails(api, tmp_path):
    pid_file = tmp_path / "pid"
    spec = {
        "dag_id": "late",
        "dagrun_timeout": 1,
        "tasks": [bash("a", f"echo $$ > {pid_file}; exec sleep 60"), bash("b", "true", "a")],
    }
    await api.post("/dags", json=spec)
    await trigger(api, "late", "r1")
    await wait_for(
        lambda: asyncio.sleep(0, pid_file.exists() and pid_file.read_text().strip()), "pid"
    )
    pid = int(pid_file.read_text())
    await run_state(api, "late", "r1", "failed")
    assert (await ti_states(api, "late", "r1")) == {"a": "skipped", "b": "skipped"}
    await wait_for(lambda: asyncio.sleep(0, not pid_alive(pid)), "the task's process to end")


async def test_dag_versions_and_sources(api):
    spec = {"dag_id": "v", "tasks": [bash("a", "true")]}
    assert (await api.post("/dags", json=spec)).status_code == 201
    assert (await api.post("/dags", json=spec)).status_code == 200
    changed = await api.post("/dags", json={**spec, "tasks": [bash("a", "echo 2")]})
    assert changed.status_code == 201
    assert changed.json()["latest_dag_version"]["version_number"] == 2
    versions = (await api.get("/dags/v/dagVersions")).json()
    assert versions["total_entries"] == 2
    assert [v["version_number"] for v in versions["dag_versions"]] == [1, 2]
    newest = (
        await api.get("/dags/v/dagVersions", params={"order_by": "-version_number", "limit": 1})
    ).json()
    assert [v["version_number"] for v in newest["dag_versions"]] == [2]
    one = (await api.get("/dags/v/dagVersions/1")).json()
    assert one["version_number"] == 1 and one["dag_id"] == "v"
    assert_problem(await api.get("/dags/v/dagVersions/3"), 404)
    assert_problem(await api.get("/dags/nope/dagVersions"), 404)
    source = (await api.get("/dagSources/v")).json()
    assert source["version_number"] == 2 and '"echo 2"' in source["content"]
    old = (await api.get("/dagSources/v", params={"version_number": 1})).json()
    assert '"true"' in old["content"]


async def test_bad_control_requests_change_nothing(api, tmp_path):
    await api.post("/dags", json={"dag_id": "x", "tasks": [bash("a", "exit 1")]})
    await api.post("/dags", json={"dag_id": "y", "tasks": [bash("a", "true")]})
    await trigger(api, "x", "rx")
    await run_state(api, "x", "rx", "failed")
    clear = {"dry_run": False, "dag_run_id": "rx"}
    assert (
        "'rx'"
        in assert_problem(await api.post("/dags/y/clearTaskInstances", json=clear), 404)["detail"]
    )
    assert_problem(await api.post("/dags/nope/clearTaskInstances", json=clear), 404)
    body = assert_problem(
        await api.post("/dags/x/clearTaskInstances", json={**clear, "task_ids": ["ghost"]}), 404
    )
    assert "'ghost'" in body["detail"]
    assert_problem(
        await api.patch("/dags/y/dagRuns/rx/taskInstances/a", json={"new_state": "success"}), 404
    )
    assert_problem(
        await api.patch("/dags/x/dagRuns/rx/taskInstances/ghost", json={"new_state": "success"}),
        404,
    )
    body = assert_problem(
        await api.patch("/dags/x/dagRuns/rx/taskInstances/a", json={"new_state": "running"}), 422
    )
    assert [e["field"] for e in body["errors"]] == ["body.new_state"]
    body = assert_problem(await api.patch("/dags/x/dagRuns/rx", json={"state": "running"}), 422)
    assert [e["field"] for e in body["errors"]] == ["body.state"]
    body = assert_problem(
        await api.patch("/dags/x/dagRuns/rx", params={"update_mask": "conf"}, json={}), 422
    )
    assert "conf" in body["detail"]
    assert_problem(await api.patch("/dags/y/dagRuns/rx", json={"state": "success"}), 404)
    assert_problem(await api.post("/dags/y/dagRuns/rx/clear", json={"dry_run": False}), 404)
    assert_problem(await api.delete("/dags/y/dagRuns/rx"), 404)
    assert (await ti_states(api, "x", "rx")) == {"a": "failed"}
    assert (await api.get("/dags/x/dagRuns/rx")).json()["state"] == "failed"


async def test_task_groups_become_plain_prefixed_tasks(api, tmp_path):
    out = tmp_path / "out"
    spec = {
        "dag_id": "grouped",
        "task_groups": [{"group_id": "extract", "upstream": ["start"], "tooltip": "pull"}],
        "tasks": [
            bash("start", appends(out)),
            bash("a", appends(out), task_group="extract"),
            bash("b", appends(out), "a", task_group="extract"),
            bash("load", appends(out), "extract"),
        ],
    }
    assert (await api.post("/dags", json=spec)).status_code == 201
    tasks = (await api.get("/dags/grouped/tasks")).json()["tasks"]
    assert {t["task_id"]: t["upstream_task_ids"] for t in tasks} == {
        "start": [],
        "extract.a": ["start"],
        "extract.b": ["extract.a"],
        "load": ["extract.b"],
    }
    await trigger(api, "grouped", "r1")
    await run_state(api, "grouped", "r1", "success")
    assert lines(out) == 4
    assert set(await ti_states(api, "grouped", "r1")) == {"start", "extract.a", "extract.b", "load"}
    bad = {**spec, "tasks": [bash("a", "true", task_group="nope")]}
    body = assert_problem(await api.post("/dags", json=bad), 422)
    assert [e["field"] for e in body["errors"]] == ["tasks[0].task_group"]


@pytest.mark.parametrize("timeout", [0, -1, 10**12])
async def test_a_dagrun_timeout_out_of_bounds_is_refused(api, timeout):
    spec = {"dag_id": "t", "dagrun_timeout": timeout, "tasks": [bash("a", "true")]}
    body = assert_problem(await api.post("/dags", json=spec), 422)
    assert [e["field"] for e in body["errors"]] == ["dagrun_timeout"]


async def test_marking_with_relatives_and_clearing_by_date(api, tmp_path):
    out = tmp_path / "out"
    spec = {
        "dag_id": "rel",
        "tasks": [
            bash("a", appends(out)),
            bash("b", appends(out), "a"),
            bash("c", appends(out), "b"),
        ],
    }
    await api.post("/dags", json=spec)
    for run_id, day in (("d1", "2026-01-01T00:00:00Z"), ("d2", "2026-01-02T00:00:00Z")):
        body = {"dag_run_id": run_id, "logical_date": day}
        assert (await api.post("/dags/rel/dagRuns", json=body)).status_code == 200
        await run_state(api, "rel", run_id, "success")
    assert lines(out) == 6
    # b and everything downstream of it, in this run and the later one.
    url = "/dags/rel/dagRuns/d1/taskInstances/b"
    body = {"new_state": "failed", "include_downstream": True, "include_future": True}
    marked = (await api.patch(url, json=body)).json()
    assert sorted((t["dag_run_id"], t["task_id"]) for t in marked["task_instances"]) == [
        ("d1", "b"),
        ("d1", "c"),
        ("d2", "b"),
        ("d2", "c"),
    ]
    assert (await ti_states(api, "rel", "d2")) == {"a": "success", "b": "failed", "c": "failed"}
    # Clearing the failed task instances of runs from 2 January on: d2 only.
    cleared = await api.post(
        "/dags/rel/clearTaskInstances",
        json={"dry_run": False, "start_date": "2026-01-02T00:00:00Z"},
    )
    assert sorted((t["dag_run_id"], t["task_id"]) for t in cleared.json()["task_instances"]) == [
        ("d2", "b"),
        ("d2", "c"),
    ]
    await run_state(api, "rel", "d2", "success")
    assert lines(out) == 8
    assert (await ti_states(api, "rel", "d1")) == {"a": "success", "b": "failed", "c": "failed"}
