"""Task logs over REST while a task runs and after: structured lines with timestamps,
followed with a continuation token, capped per try with a note saying what was cut."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

from conftest import admin_auth
from tests.e2e import scenarios

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
CAP = 1_000_000


async def test_a_task_printing_100000_lines_keeps_its_log_up_to_the_cap(distributed, tmp_path):
    distributed.start(
        "worker-logs",
        "worker",
        worker_id="worker-logs",
        worker_queues="logs",
        task_log_max_bytes=str(CAP),
    )
    await distributed.wait_healthy(workers=3)
    release = tmp_path / "release"
    spec = {
        "dag_id": "chatty",
        "tasks": [
            scenarios.bash(
                "talk",
                "seq -f 'line %06g' 1 100000; "
                f"while [ ! -e {release} ]; do sleep 0.1; done; echo finished",
                queue="logs",
            )
        ],
    }
    base = "/dags/chatty/dagRuns/r/taskInstances/talk/logs/1"
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        assert (
            await client.post("/dags/chatty/dagRuns", json={"dag_run_id": "r"})
        ).status_code == 200
        # Follow the running task, page by page, until the cut note arrives.
        events: list[str] = []
        token = None
        deadline = time.monotonic() + 60
        while not any("is cut here" in e for e in events):
            assert time.monotonic() < deadline, f"{len(events)} lines\n{distributed.logs()}"
            reply = await client.get(base, params={"token": token} if token else {})
            if reply.status_code == 404:  # not dispatched yet
                await asyncio.sleep(0.1)
                continue
            page = reply.json()
            events += [line["event"] for line in page["content"]]
            assert page["continuation_token"] is not None  # still running: more may come
            token = page["continuation_token"]
            await asyncio.sleep(0.05)
        # The task is still running, and the API and everything else answer meanwhile.
        ti = (await client.get("/dags/chatty/dagRuns/r/taskInstances/talk")).json()
        assert ti["state"] == "running"
        assert (await client.get("/monitor/health")).json()["workers"]["status"] == "healthy"
        release.touch()
        run = await scenarios.wait_for_run(client, "chatty", "r")
        assert run["state"] == "success", distributed.logs()
        while token is not None:  # the rest: the final notes, then no token
            page = (await client.get(base, params={"token": token})).json()
            events += [line["event"] for line in page["content"]]
            token = page["continuation_token"]
        text = (await client.get(base, headers={"Accept": "text/plain"})).text
    kept = [e for e in events if e.startswith("line ")]
    assert kept == [f"line {i:06d}" for i in range(1, len(kept) + 1)]  # in order, none lost
    assert CAP - 20 < sum(len(e) + 1 for e in kept) <= CAP
    cut = 100_000 - len(kept)  # and "finished", past the cap too
    assert events[len(kept)].startswith("[tradewind] the log of this try is cut here")
    assert events[-1] == (
        f"[tradewind] {cut + 1} more lines ({cut * 12 + 9} bytes) were cut from this log"
    )
    assert "finished" not in events
    assert text.splitlines() == events


async def test_a_running_task_shows_its_host_and_pid_and_each_line_its_stream(
    distributed, tmp_path
):
    """While the task runs, its task instance names the host and pid running it, and
    its log says which lines went to stdout and which to stderr."""
    release, pid_file = tmp_path / "release", tmp_path / "pid"
    spec = {
        "dag_id": "visible",
        "tasks": [
            scenarios.bash(
                "work",
                f"echo $$ > {pid_file}; echo to-out; echo to-err >&2; "
                f"while [ ! -e {release} ]; do sleep 0.1; done",
            )
        ],
    }
    path = "/dags/visible/dagRuns/r/taskInstances/work"
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        assert (
            await client.post("/dags/visible/dagRuns", json={"dag_run_id": "r"})
        ).status_code == 200
        deadline = time.monotonic() + 30
        ti: dict = {}
        while not (ti.get("state") == "running" and ti.get("pid")):
            assert time.monotonic() < deadline, f"{ti}\n{distributed.logs()}"
            await asyncio.sleep(0.1)
            reply = await client.get(path)
            ti = reply.json() if reply.status_code == 200 else {}
        assert ti["pid"] == int(pid_file.read_text())
        assert ti["hostname"] == socket.gethostname()
        lines: list[dict] = []
        while len(lines) < 2:
            assert time.monotonic() < deadline, f"{lines}\n{distributed.logs()}"
            lines = (await client.get(f"{path}/logs/1")).json()["content"]
            await asyncio.sleep(0.1)
        assert {(line["stream"], line["event"]) for line in lines} == {
            ("stdout", "to-out"),
            ("stderr", "to-err"),
        }
        release.touch()
        run = await scenarios.wait_for_run(client, "visible", "r", timeout=30)
        assert run["state"] == "success", distributed.logs()
