"""Schedules and backfills through the REST API, with the api, scheduler, dispatcher and a
worker serving for real (in this test's event loop, on PostgreSQL, the worker behind an
in-memory broker). Tasks append a line to a file: what ran, and how often, is counted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from conftest import admin_auth
from services.api.tests.serving import wait_serving
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
DEADLINE = 60.0


@pytest.fixture
async def api(pg_database, schema_prefix, service_ports):
    common = {
        "database_url": pg_database,
        "database_schema_prefix": schema_prefix,
        "broker_url": "memory://",
        "scheduler_sweep_interval": 1.0,
        **service_ports,
    }
    stop, stop_worker = asyncio.Event(), asyncio.Event()
    broker = InMemoryBroker()
    tasks = [
        asyncio.create_task(serve_scheduler(SchedulerSettings(**common), stop)),
        asyncio.create_task(serve_dispatcher(DispatcherSettings(**common), stop, broker=broker)),
        asyncio.create_task(serve_api(ApiSettings(**common), stop)),
    ]
    worker = asyncio.create_task(
        serve_worker(WorkerSettings(**common, worker_id="w"), stop_worker, broker=broker)
    )
    base = f"http://127.0.0.1:{service_ports['api_port']}/api/v2"
    async with httpx.AsyncClient(auth=admin_auth(), base_url=base, timeout=30) as client:
        await wait_serving(client, [*tasks, worker], tries=400)
        yield client
    # The worker first, while the dispatcher can still take its reports.
    stop_worker.set()
    await asyncio.wait_for(worker, 60)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)


def spec(dag_id: str, out: Path, **extra) -> dict:
    return {
        "dag_id": dag_id,
        "tasks": [
            {
                "task_id": "note",
                "operator": "bash",
                "bash_command": f"echo '{{{{ run_id }}}} {{{{ ds }}}}' >> {out}",
            }
        ],
        **extra,
    }


async def runs_of(api, dag_id: str) -> list[dict]:
    body = (await api.get(f"/dags/{dag_id}/dagRuns", params={"limit": 1000})).json()
    return sorted(body["dag_runs"], key=lambda r: r["logical_date"] or "")


async def wait_until(predicate, what: str, timeout: float = DEADLINE):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def test_an_interval_schedule_fires_and_pausing_stops_it(api, tmp_path):
    out = tmp_path / "ticks"
    start = datetime.now(UTC).replace(microsecond=0)
    created = await api.post(
        "/dags", json=spec("tick", out, schedule="PT2S", start_date=start.isoformat())
    )
    assert created.status_code == 201, created.text
    found = await wait_until(
        lambda: _at_least(api, "tick", 2), "two scheduled runs of an interval schedule"
    )
    for run in found:
        assert run["run_type"] == "scheduled" and run["triggered_by"] == "timetable"
        assert run["dag_run_id"] == f"scheduled__{when(run['logical_date']).isoformat()}"
        assert run["data_interval_start"] == run["data_interval_end"] == run["logical_date"]
        assert when(run["run_after"]) == when(run["logical_date"])
        assert (when(run["logical_date"]) - start) % timedelta(seconds=2) == timedelta(0)
    dag = (await api.get("/dags/tick")).json()
    assert dag["timetable_summary"] == "PT2S" and dag["timetable_description"] == "Every 2 seconds"
    assert when(dag["next_dagrun_logical_date"]) > when(found[-1]["logical_date"])
    assert dag["next_dagrun_run_after"] == dag["next_dagrun_logical_date"]

    paused = (await api.patch("/dags/tick", json={"is_paused": True})).json()
    assert paused["is_paused"] is True
    count = len(await runs_of(api, "tick"))

    async def overdue():
        dag = (await api.get("/dags/tick")).json()
        due = dag["next_dagrun_run_after"]
        return due and when(due) < datetime.now(UTC) - timedelta(seconds=4)

    # The next run is long due, yet a paused DAG gets none.
    await wait_until(overdue, "the paused DAG's next run to be overdue")
    assert len(await runs_of(api, "tick")) == count


async def _at_least(api, dag_id: str, count: int):
    found = await runs_of(api, dag_id)
    return found if len(found) >= count else None


async def test_unpausing_without_catchup_runs_only_the_latest(api, tmp_path):
    out = tmp_path / "late"
    await api.post(
        "/dags",
        json=spec(
            "late", out, schedule=2, start_date="2026-01-01T00:00:00Z", is_paused_upon_creation=True
        ),
    )
    dag = (await api.get("/dags/late")).json()
    assert dag["is_paused"] is True
    unpaused_at = datetime.now(UTC)
    await api.patch("/dags/late", json={"is_paused": False})
    found = await wait_until(lambda: _at_least(api, "late", 1), "the first run after unpausing")
    assert when(found[0]["logical_date"]) >= unpaused_at - timedelta(seconds=2, milliseconds=100)


async def test_unpausing_with_catchup_runs_every_missed_interval(api, tmp_path):
    out = tmp_path / "catchup"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=20)
    await api.post(
        "/dags",
        json=spec(
            "catchup",
            out,
            schedule=2,
            start_date=start.isoformat(),
            catchup=True,
            is_paused_upon_creation=True,
        ),
    )
    unpaused_at = datetime.now(UTC)
    await api.patch("/dags/catchup", json={"is_paused": False})

    async def caught_up():
        found = await runs_of(api, "catchup")
        return (
            found
            if found and when(found[-1]["logical_date"]) >= unpaused_at - timedelta(seconds=2)
            else None
        )

    found = await wait_until(caught_up, "the missed runs")
    dates = [when(r["logical_date"]) for r in found]
    assert dates == [start + timedelta(seconds=2 * k) for k in range(len(dates))]
    assert len(dates) >= 10


def backfill_body(dag_id: str, **extra) -> dict:
    return {
        "dag_id": dag_id,
        "from_date": "2026-01-01T00:00:00Z",
        "to_date": "2026-01-03T00:00:00Z",
        "max_active_runs": 1,
        **extra,
    }


async def wait_completed(api, backfill_id: int) -> dict:
    async def completed():
        body = (await api.get(f"/backfills/{backfill_id}")).json()
        return body if body["completed_at"] else None

    return await wait_until(completed, f"backfill {backfill_id} to complete")


def problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["detail"]


async def test_backfills(api, tmp_path):
    out = tmp_path / "days"
    await api.post("/dags", json=spec("daily", out, schedule="@daily", start_date="2030-01-01"))
    await api.post("/dags", json=spec("manual", tmp_path / "never"))

    # Bad input: a clear error, nothing stored.
    assert "must not be after" in problem(
        await api.post("/backfills", json=backfill_body("daily", from_date="2026-02-01T00:00:00Z")),
        422,
    )
    assert "no runs" in problem(
        await api.post(
            "/backfills",
            json=backfill_body(
                "daily", from_date="2026-01-01T01:00:00Z", to_date="2026-01-01T02:00:00Z"
            ),
        ),
        422,
    )
    assert "'ghost'" in problem(await api.post("/backfills", json=backfill_body("ghost")), 404)
    assert "no periodic schedule" in problem(
        await api.post("/backfills", json=backfill_body("manual")), 422
    )
    problem(await api.post("/backfills", json=backfill_body("daily", max_active_runs=0)), 422)
    problem(
        await api.post("/backfills", json=backfill_body("daily", reprocess_behavior="sometimes")),
        422,
    )
    assert (await api.get("/backfills", params={"dag_id": "daily"})).json()["total_entries"] == 0
    problem(await api.get("/backfills/999"), 404)

    dry = await api.post("/backfills/dry_run", json=backfill_body("daily", run_backwards=True))
    assert dry.status_code == 200, dry.text
    assert [b["logical_date"][:10] for b in dry.json()["backfills"]] == [
        "2026-01-03",
        "2026-01-02",
        "2026-01-01",
    ]

    # A paused backfill creates nothing new; a second one for the DAG is refused; cancel ends it.
    held = (
        await api.post(
            "/backfills",
            json=backfill_body(
                "daily", from_date="2026-02-01T00:00:00Z", to_date="2026-02-20T00:00:00Z"
            ),
        )
    ).json()
    paused = await api.put(f"/backfills/{held['id']}/pause")
    assert paused.status_code == 200 and paused.json()["is_paused"] is True
    assert "running backfill" in problem(
        await api.post("/backfills", json=backfill_body("daily")), 409
    )
    cancelled = (await api.put(f"/backfills/{held['id']}/cancel")).json()
    assert cancelled["completed_at"] is not None
    problem(await api.put(f"/backfills/{held['id']}/unpause"), 409)

    # Backwards, one at a time: the task's own lines say in which order the days ran.
    created = await api.post("/backfills", json=backfill_body("daily", run_backwards=True))
    assert created.status_code == 200, created.text
    backfill = created.json()
    assert backfill["dag_id"] == "daily" and backfill["reprocess_behavior"] == "none"
    assert backfill["max_active_runs"] == 1 and backfill["is_paused"] is False
    await wait_completed(api, backfill["id"])
    ran = [line.split()[1] for line in lines(out) if line.startswith("backfill__2026-01")]
    assert ran == ["2026-01-03", "2026-01-02", "2026-01-01"]
    runs = {r["dag_run_id"]: r for r in await runs_of(api, "daily")}
    assert runs["backfill__2026-01-02T00:00:00+00:00"]["run_type"] == "backfill"
    assert runs["backfill__2026-01-02T00:00:00+00:00"]["state"] == "success"
    # The cancelled backfill never ran more than what it had started before its pause.
    assert len([r for r in runs if r.startswith("backfill__2026-02")]) <= 1

    # Existing runs are left alone ("none") or run again ("completed").
    none = await api.post("/backfills/dry_run", json=backfill_body("daily"))
    assert none.json()["total_entries"] == 0
    again = await api.post(
        "/backfills",
        json=backfill_body(
            "daily", from_date="2026-01-02T00:00:00Z", reprocess_behavior="completed"
        ),
    )
    assert again.status_code == 200, again.text
    await wait_completed(api, again.json()["id"])
    ran = [line.split()[1] for line in lines(out) if line.startswith("backfill__2026-01")]
    assert ran == ["2026-01-03", "2026-01-02", "2026-01-01", "2026-01-02", "2026-01-03"]
    listing = (await api.get("/backfills", params={"dag_id": "daily", "order_by": "-id"})).json()
    assert listing["total_entries"] == 3
    assert [b["id"] for b in listing["backfills"]] == sorted(
        (b["id"] for b in listing["backfills"]), reverse=True
    )


async def test_trigger_takes_a_consistent_data_interval(api, tmp_path):
    out = tmp_path / "m"
    interval = {
        "dag_id": "manual",
        "tasks": [
            {
                "task_id": "note",
                "operator": "bash",
                "bash_command": f"echo '{{{{ run_id }}}} {{{{ data_interval_start }}}}' >> {out}",
            }
        ],
    }
    await api.post("/dags", json=interval)
    run = await api.post(
        "/dags/manual/dagRuns",
        json={
            "dag_run_id": "with_interval",
            "logical_date": "2026-03-01T00:00:00Z",
            "data_interval_start": "2026-02-28T00:00:00Z",
            "data_interval_end": "2026-03-01T00:00:00Z",
        },
    )
    assert run.status_code == 200, run.text
    assert run.json()["data_interval_start"].startswith("2026-02-28")

    async def rendered():
        return [line for line in lines(out) if line.startswith("with_interval ")]

    # Tasks see the interval in their templates.
    assert await wait_until(rendered, "the run's task") == [
        "with_interval 2026-02-28T00:00:00+00:00"
    ]
    inferred = (
        await api.post("/dags/manual/dagRuns", json={"logical_date": "2026-04-01T00:00:00Z"})
    ).json()
    assert inferred["data_interval_start"] == inferred["data_interval_end"]
    assert inferred["data_interval_start"].startswith("2026-04-01")
    for body, field in [
        (
            {"logical_date": "2026-05-01T00:00:00Z", "data_interval_start": "2026-05-01T00:00:00Z"},
            "body.data_interval_end",
        ),
        (
            {
                "data_interval_start": "2026-05-01T00:00:00Z",
                "data_interval_end": "2026-05-02T00:00:00Z",
            },
            "body.data_interval_end",
        ),
        (
            {
                "logical_date": "2026-05-01T00:00:00Z",
                "data_interval_start": "2026-05-02T00:00:00Z",
                "data_interval_end": "2026-05-01T00:00:00Z",
            },
            "body.data_interval_end",
        ),
        ({"run_after": "2999-01-01T00:00:00Z"}, "body.run_after"),
    ]:
        response = await api.post("/dags/manual/dagRuns", json=body)
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]]
    # The same logical date twice: 409, as Airflow's unique logical date per DAG.
    problem(
        await api.post("/dags/manual/dagRuns", json={"logical_date": "2026-04-01T00:00:00Z"}), 409
    )


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"schedule": "0 3 * * *", "timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"start_date": "2026-02-01", "end_date": "2026-01-01"}, "end_date", "before start_date"),
        ({"schedule": "P1M"}, "schedule", "no fixed length"),
        ({"schedule": 0}, "schedule", "at least 1 s"),
        ({"schedule": "@continuous"}, "max_active_runs", "max_active_runs must be 1"),
    ],
)
async def test_bad_schedules_are_422_naming_the_field(api, tmp_path, extra, field, words):
    response = await api.post("/dags", json=spec("bad", tmp_path / "x", **extra))
    assert words in problem(response, 422)
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await api.get("/dags")).json()["total_entries"] == 0


async def test_dag_listing_shows_each_dags_next_run_and_description(api, tmp_path):
    await api.post(
        "/dags",
        json=spec(
            "nightly",
            tmp_path / "n",
            schedule="0 3 * * *",
            timezone="Europe/London",
            start_date="2030-06-01T00:00:00Z",
        ),
    )
    await api.post("/dags", json=spec("by_hand", tmp_path / "h"))

    async def listed():
        dags = {d["dag_id"]: d for d in (await api.get("/dags")).json()["dags"]}
        return dags if dags["nightly"]["next_dagrun_logical_date"] else None

    dags = await wait_until(listed, "the next run of a scheduled DAG")
    nightly = dags["nightly"]
    # 03:00 in London on 1 June 2030 is 02:00 UTC (summer time).
    assert when(nightly["next_dagrun_logical_date"]) == datetime(2030, 6, 1, 2, tzinfo=UTC)
    assert nightly["timetable_description"] == "At 03:00"
    assert nightly["next_dagrun_data_interval_start"] == nightly["next_dagrun_logical_date"]
    assert nightly["next_dagrun_run_after"] == nightly["next_dagrun_logical_date"]
    manual = dags["by_hand"]
    assert manual["next_dagrun_logical_date"] is None
    assert manual["timetable_description"] == "Never, external triggers only"


async def test_continuous_starts_a_run_as_soon_as_the_previous_one_ends(api, tmp_path):
    out = tmp_path / "loop"
    await api.post("/dags", json=spec("again", out, schedule="@continuous", max_active_runs=1))

    async def three_done():
        found = await runs_of(api, "again")
        done = [r for r in found if r["state"] == "success"]
        return found if len(done) >= 3 else None

    found = await wait_until(three_done, "three continuous runs")
    await api.patch("/dags/again", json={"is_paused": True})
    done = [r for r in found if r["state"] == "success"]
    for previous, following in zip(done, done[1:], strict=False):
        assert when(following["start_date"]) >= when(previous["end_date"])  # one at a time
        assert following["data_interval_start"] == previous["data_interval_end"]
    assert len(lines(out)) >= 3
