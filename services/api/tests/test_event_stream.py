"""The REST event streams (server-sent events) of a run and of a DAG against a live
Tradewind: the current state first, each change after, heartbeats while idle, a
reconnect with Last-Event-ID that gets only what was missed, and a lost watcher that
leaves nothing behind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from services.api.tests.live import live_tradewind
from tradewind_api.clients import DispatcherClient, SchedulerClient
from tradewind_api.context import AppContext
from tradewind_api.settings import ApiSettings
from tradewind_api.state_changes import StateChangeHub
from tradewind_core.db import Database
from tradewind_core.errors import Unavailable

pytestmark = pytest.mark.postgres


@pytest.fixture
async def api(pg_database, schema_prefix, service_ports):
    async with live_tradewind(
        pg_database,
        schema_prefix,
        service_ports,
        api_watch_poll_interval=0.1,
        api_sse_heartbeat_seconds=0.3,
    ) as client:
        yield client


def bash(task_id: str, command: str, *upstream: str) -> dict:
    return {
        "task_id": task_id,
        "operator": "bash",
        "bash_command": command,
        "upstream": list(upstream),
    }


async def events(response: httpx.Response) -> AsyncIterator[dict]:
    """Each event (and each comment, as {"comment": ...}) as it arrives."""
    fields: dict = {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield {"comment": line[1:].strip()}
        elif line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        elif fields:
            if "data" in fields:
                fields["data"] = json.loads(fields["data"])
            yield fields
            fields = {}


async def test_a_run_stream_shows_queued_running_success_then_ends(api, tmp_path):
    release = tmp_path / "release"
    spec = {
        "dag_id": "sse",
        "is_paused_upon_creation": True,
        "tasks": [bash("work", f"while [ ! -e {release} ]; do sleep 0.05; done")],
    }
    assert (await api.post("/dags", json=spec)).status_code == 201
    assert (await api.post("/dags/sse/dagRuns", json={"dag_run_id": "r"})).status_code == 200
    run_states, ti_states, ids, comments = [], [], [], 0
    async with api.stream("GET", "/dags/sse/dagRuns/r/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for event in events(response):
            if "comment" in event:
                comments += 1
                continue
            if "retry" in event:
                continue
            if event["event"] == "end":
                break
            ids.append(int(event["id"].rpartition("-")[2]))
            item = event["data"]
            if event["event"] == "dag_run":
                assert item["dag_run_id"] == "r" and item["dag_id"] == "sse"
                run_states.append(item["state"])
                if run_states == ["queued"]:
                    unpaused = await api.patch("/dags/sse", json={"is_paused": False})
                    assert unpaused.status_code == 200
            else:
                assert event["event"] == "task_instance" and item["task_id"] == "work"
                ti_states.append(item["state"])
                if item["state"] == "running":
                    release.touch()  # ends only once its running state was seen
    assert run_states == ["queued", "running", "success"]
    assert ti_states[0] is None and "running" in ti_states and ti_states[-1] == "success"
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # The event carries the REST shape: the same as GET of the run.
    assert (await api.get("/dags/sse/dagRuns/r")).json()["state"] == "success"


async def test_a_dag_stream_resumes_from_the_last_event_id(api):
    spec = {"dag_id": "feed", "tasks": [bash("quick", "echo hi")]}
    assert (await api.post("/dags", json=spec)).status_code == 201

    async def until_success(stream, run_id, seen):
        async for event in stream:
            if "comment" in event or "retry" in event:
                seen.append(event)
                continue
            seen.append(event)
            item = event["data"]
            if event["event"] == "dag_run" and item["dag_run_id"] == run_id:
                if item["state"] == "success":
                    return event["id"]
        raise AssertionError("the stream ended")

    first: list[dict] = []
    async with api.stream("GET", "/dags/feed/events") as response:
        assert (await api.post("/dags/feed/dagRuns", json={"dag_run_id": "r1"})).status_code == 200
        stream = events(response)
        last_id = await until_success(stream, "r1", first)
        # Idle now: heartbeats keep the stream open.
        async for event in stream:
            if event.get("comment") == "heartbeat":
                break
    # While no one listens, r2 runs to its end.
    assert (await api.post("/dags/feed/dagRuns", json={"dag_run_id": "r2"})).status_code == 200
    for _ in range(200):
        if (await api.get("/dags/feed/dagRuns/r2")).json()["state"] == "success":
            break
        await asyncio.sleep(0.05)
    missed: list[dict] = []
    async with api.stream(
        "GET", "/dags/feed/events", headers={"Last-Event-ID": last_id}
    ) as response:
        await until_success(events(response), "r2", missed)
    changes = [e for e in missed if "event" in e]
    assert changes and all(e["data"]["dag_run_id"] == "r2" for e in changes), changes
    assert int(changes[0]["id"].rpartition("-")[2]) == int(last_id.rpartition("-")[2]) + 1

    # An id this process never gave: the current state of everything, then live.
    everything: list[dict] = []
    async with api.stream(
        "GET", "/dags/feed/events", headers={"Last-Event-ID": "unknown-7"}
    ) as response:
        await until_success(events(response), "r2", everything)
    runs = {e["data"]["dag_run_id"] for e in everything if e.get("event") == "dag_run"}
    assert runs == {"r1", "r2"}


async def test_unknown_dags_and_runs_are_404_before_any_stream(api):
    missing = await api.get("/dags/nope/events")
    assert missing.status_code == 404 and missing.json()["detail"] == (
        "DAG with dag_id 'nope' was not found"
    )
    assert (await api.post("/dags", json={"dag_id": "d", "tasks": [bash("a", "echo")]})).is_success
    missing = await api.get("/dags/d/dagRuns/nope/events")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_a_lost_watcher_leaves_nothing_behind(api, pg_database, schema_prefix, service_ports):
    """The hub of a process, watched and abandoned as a dropped connection abandons it:
    its queue goes at once, the polling stops once nobody watches, and the bound on
    watched runs holds."""
    settings = ApiSettings(
        database_url=pg_database, database_schema_prefix=schema_prefix, **service_ports
    )
    ctx = AppContext(
        settings=settings,
        db=Database(settings.database_url_for("api"), schema=settings.schema_for("api")),
        scheduler=SchedulerClient(
            settings.scheduler_address, internal_secret=settings.internal_secret
        ),
        dispatcher=DispatcherClient(
            settings.dispatcher_address, internal_secret=settings.internal_secret
        ),
    )
    hub = StateChangeHub(ctx, interval=0.05, queue_limit=10, max_topics=2, linger=0.2)
    spec = {"dag_id": "d", "is_paused_upon_creation": True, "tasks": [bash("a", "echo")]}
    assert (await api.post("/dags", json=spec)).status_code == 201
    for run_id in ("r1", "r2", "r3"):
        assert (await api.post("/dags/d/dagRuns", json={"dag_run_id": run_id})).is_success
    try:
        heard = {"r1": asyncio.Event(), "r2": asyncio.Event()}

        async def client(run_id: str) -> None:
            async with hub.watch("d", run_id) as (_, changes):
                while True:
                    if await changes.next_change(1) is not None:
                        heard[run_id].set()

        clients = [asyncio.create_task(client(r)) for r in heard]
        for event in heard.values():
            await asyncio.wait_for(event.wait(), 10)
        assert hub.subscribers == 2 and hub.watched == 2
        assert not hub.has_room("d", "r3")
        with pytest.raises(Unavailable):
            async with hub.watch("d", "r3"):
                pass
        for task in clients:
            task.cancel()  # the connections drop
        await asyncio.gather(*clients, return_exceptions=True)
        assert hub.subscribers == 0
        for _ in range(100):
            if hub.watched == 0 and hub.polling is False:
                break
            await asyncio.sleep(0.05)
        assert hub.watched == 0 and hub.polling is False
    finally:
        await hub.close()
        await ctx.scheduler.close()
        await ctx.dispatcher.close()
        await ctx.db.dispose()
