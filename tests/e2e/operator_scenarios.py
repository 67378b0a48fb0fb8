"""What a user does with python, http and empty tasks and XCom, whichever way Tradewind
was started. Each function takes a REST client and a scratch folder for side effects."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from pathlib import Path

import httpx

from tests.e2e.scenarios import bash, task_instances, wait_for_run

JOBS = """
from tradewind.sdk import TaskSkipped, xcom_pull, xcom_push


def transform(base, limit, label="none"):
    xcom_push("seen", {"limit": limit})
    return {"total": base * int(limit), "label": label}


def maybe(flag):
    if flag == "skip":
        raise TaskSkipped("nothing to do today")
    return xcom_pull(task_ids="a")["total"] + 1


def huge():
    return "x" * (2 * 1024 * 1024)


def broken():
    raise ValueError("the data is wrong")
"""


def python(task_id: str, callable_: str, *upstream: str, **extra) -> dict:
    return {
        "task_id": task_id,
        "operator": "python",
        "python_callable": callable_,
        "upstream": list(upstream),
        **extra,
    }


async def trigger(client: httpx.AsyncClient, spec: dict, run_id: str = "r") -> dict:
    created = await client.post("/dags", json=spec)
    assert created.status_code in (200, 201), created.text
    reply = await client.post(f"/dags/{spec['dag_id']}/dagRuns", json={"dag_run_id": run_id})
    assert reply.status_code == 200, reply.text
    return await wait_for_run(client, spec["dag_id"], run_id)


async def log_text(client: httpx.AsyncClient, dag_id: str, task_id: str, try_number: int = 1):
    reply = await client.get(
        f"/dags/{dag_id}/dagRuns/r/taskInstances/{task_id}/logs/{try_number}",
        headers={"Accept": "text/plain"},
    )
    assert reply.status_code == 200, reply.text
    return reply.text


async def bundle_python_value_reaches_a_bash_pull(client: httpx.AsyncClient, scratch: Path):
    """A DAG created over HTTP runs Python from its bundle; the value it returns is
    pulled by a downstream bash task's template and by a python task's own code."""
    out = scratch / "pulled.txt"
    spec = {
        "dag_id": "bundled",
        "params": {"limit": 3},
        "code": {"files": {"sales/jobs.py": JOBS}},
        "tasks": [
            python(
                "a",
                "sales.jobs:transform",
                op_args=[7],
                op_kwargs={"limit": "{{ params.limit }}", "label": "{{ ds }}"},
            ),
            bash(
                "b", f"echo \"pulled {{{{ ti.xcom_pull(task_ids='a')['total'] }}}}\" >> {out}", "a"
            ),
            python("c", "sales.jobs:maybe", "a", op_args=["go"]),
            python("d", "sales.jobs:maybe", "a", op_args=["skip"]),
            python("e", "os.path:join", op_args=["{{ dag_id }}", "x"]),  # from the worker's path
        ],
    }
    run = await trigger(client, spec)
    states = {t: ti["state"] for t, ti in (await task_instances(client, "bundled", "r")).items()}
    assert states == {
        "a": "success",
        "b": "success",
        "c": "success",
        "d": "skipped",
        "e": "success",
    }
    assert run["state"] == "success"
    assert out.read_text() == "pulled 21\n"  # ran once, with the value a returned

    base = "/dags/bundled/dagRuns/r/taskInstances"
    listed = (await client.get(f"{base}/a/xcomEntries")).json()
    assert listed["total_entries"] == 2
    assert sorted(e["key"] for e in listed["xcom_entries"]) == ["return_value", "seen"]
    entry = (await client.get(f"{base}/a/xcomEntries/return_value")).json()
    assert entry["value"] == {"total": 21, "label": run["run_after"][:10]}
    assert entry["task_id"] == "a" and entry["run_id"] == "r" and entry["map_index"] == -1
    assert (await client.get(f"{base}/a/xcomEntries/seen")).json()["value"] == {"limit": "3"}
    assert (await client.get(f"{base}/c/xcomEntries/return_value")).json()["value"] == 22
    assert (await client.get(f"{base}/e/xcomEntries/return_value")).json()["value"] == "bundled/x"
    missing = await client.get(f"{base}/d/xcomEntries/return_value")
    assert missing.status_code == 404 and "return_value" in missing.json()["detail"]
    assert "nothing to do today" in await log_text(client, "bundled", "d")


async def python_failures_are_explained(client: httpx.AsyncClient) -> None:
    spec = {
        "dag_id": "python_failures",
        "code": {"files": {"jobs.py": JOBS}},
        "tasks": [
            python("raises", "jobs:broken"),
            python("too_big", "jobs:huge"),
            python("no_such", "jobs:absent"),
            python("sleeps", "time:sleep", op_args=[60], execution_timeout=1),
        ],
    }
    run = await trigger(client, spec)
    assert run["state"] == "failed"
    states = {
        t: ti["state"] for t, ti in (await task_instances(client, spec["dag_id"], "r")).items()
    }
    assert states == dict.fromkeys(["raises", "too_big", "no_such", "sleeps"], "failed")
    raised = await log_text(client, spec["dag_id"], "raises")
    assert "Traceback" in raised and "ValueError: the data is wrong" in raised
    too_big = await log_text(client, spec["dag_id"], "too_big")
    assert "the limit is 1048576 bytes" in too_big
    assert "has no attribute 'absent'" in await log_text(client, spec["dag_id"], "no_such")
    assert "execution_timeout of 1s exceeded" in await log_text(client, spec["dag_id"], "sleeps")
    entries = await client.get("/dags/python_failures/dagRuns/r/taskInstances/too_big/xcomEntries")
    assert entries.json() == {"xcom_entries": [], "total_entries": 0}


async def bad_python_is_refused_at_the_door(client: httpx.AsyncClient) -> None:
    spec = {
        "dag_id": "bad_python",
        "code": {"files": {"jobs.py": "def f(:\n"}},
        "tasks": [python("a", "jobs:f")],
    }
    reply = await client.post("/dags", json=spec)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "code.files.jobs.py"
    assert "jobs.py line 1" in reply.json()["detail"]
    assert (await client.get("/dags/bad_python")).status_code == 404


async def empty_tasks_never_reach_a_worker(client: httpx.AsyncClient, worker_logs) -> None:
    spec = {
        "dag_id": "with_empty",
        "tasks": [
            bash("first"),
            {"task_id": "nothing_to_do_here", "operator": "empty", "upstream": ["first"]},
            bash("last", "true", "nothing_to_do_here"),
        ],
    }
    run = await trigger(client, spec)
    tis = await task_instances(client, "with_empty", "r")
    assert run["state"] == "success"
    assert {t: ti["state"] for t, ti in tis.items()} == dict.fromkeys(tis, "success")
    empty = tis["nothing_to_do_here"]
    assert empty["operator_name"] == "EmptyOperator" and empty["hostname"] is None
    assert empty["try_number"] == 1
    # The workers ran the tasks around it, and never heard of it.
    assert "first" in worker_logs() and "nothing_to_do_here" not in worker_logs()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        if self.path == "/slow":
            time.sleep(3)
        status = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/status/") else 200
        body = json.dumps({"path": self.path}).encode() if status == 200 else b"oops"
        if self.path == "/text":
            body = b"plain words"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def http_tasks_call_and_keep_the_response(client: httpx.AsyncClient) -> None:
    with http_server() as url:
        spec = {
            "dag_id": "calls",
            "tasks": [
                {
                    "task_id": "json",
                    "operator": "http",
                    "method": "GET",
                    "url": url + "/{{ dag_id }}",
                },
                {"task_id": "text", "operator": "http", "url": url + "/text"},
                {"task_id": "refused", "operator": "http", "url": url + "/status/500"},
                {
                    "task_id": "accepted",
                    "operator": "http",
                    "url": url + "/status/500",
                    "accepted_status_codes": [500],
                },
                {"task_id": "slow", "operator": "http", "url": url + "/slow", "timeout": 0.5},
            ],
        }
        run = await trigger(client, spec)
    assert run["state"] == "failed"
    tis = await task_instances(client, "calls", "r")
    assert {t: ti["state"] for t, ti in tis.items()} == {
        "json": "success",
        "text": "success",
        "refused": "failed",
        "accepted": "success",
        "slow": "failed",
    }
    base = "/dags/calls/dagRuns/r/taskInstances"
    assert (await client.get(f"{base}/json/xcomEntries/return_value")).json()["value"] == {
        "path": "/calls"
    }
    assert (await client.get(f"{base}/text/xcomEntries/return_value")).json()["value"] == (
        "plain words"
    )
    assert "HTTP status 500 is not accepted" in await log_text(client, "calls", "refused")
    assert "no response within 0.5s" in await log_text(client, "calls", "slow")
