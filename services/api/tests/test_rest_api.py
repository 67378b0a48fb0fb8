"""The REST API over HTTP, with the api, scheduler and dispatcher serving for real (in this
test's event loop, on PostgreSQL); no worker, so triggered tasks stay queued."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import yaml

from conftest import admin_auth
from services.api.tests.serving import wait_serving
from tradewind_api.main import serve as serve_api
from tradewind_api.settings import ApiSettings
from tradewind_core.broker import InMemoryBroker
from tradewind_dispatcher.main import serve as serve_dispatcher
from tradewind_dispatcher.settings import DispatcherSettings
from tradewind_scheduler.main import serve as serve_scheduler
from tradewind_scheduler.settings import SchedulerSettings

pytestmark = pytest.mark.postgres


@pytest.fixture
async def api(pg_database, schema_prefix, service_ports):
    common = {
        "database_url": pg_database,
        "database_schema_prefix": schema_prefix,
        "broker_url": "memory://",
        **service_ports,
    }
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(serve_scheduler(SchedulerSettings(**common), stop)),
        asyncio.create_task(
            serve_dispatcher(DispatcherSettings(**common), stop, broker=InMemoryBroker())
        ),
        asyncio.create_task(serve_api(ApiSettings(**common), stop)),
    ]
    base = f"http://127.0.0.1:{service_ports['api_port']}/api/v2"
    async with httpx.AsyncClient(auth=admin_auth(), base_url=base, timeout=10) as client:
        await wait_serving(client, tasks)
        yield client
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 30)


def bash(task_id, *upstream, **extra):
    return {
        "task_id": task_id,
        "operator": "bash",
        "bash_command": "echo hi",
        "upstream": list(upstream),
        **extra,
    }


SPEC = {
    "dag_id": "etl",
    "tags": ["sales", "nightly"],
    "description": "nightly load",
    "tasks": [bash("extract"), bash("load", "extract")],
}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


async def test_create_get_and_list_a_dag(api):
    created = await api.post("/dags", json=SPEC)
    assert created.status_code == 201, created.text
    dag = created.json()
    assert dag["dag_id"] == "etl" and dag["is_paused"] is False
    assert [t["name"] for t in dag["tags"]] == ["nightly", "sales"]
    assert dag["latest_dag_version"]["version_number"] == 1
    assert (await api.get("/dags/etl")).json() == dag
    listing = (await api.get("/dags", params={"tags": "sales"})).json()
    assert listing["total_entries"] == 1 and listing["dags"][0]["dag_id"] == "etl"
    assert (await api.get("/dags", params={"tags": "other"})).json()["total_entries"] == 0
    tasks = (await api.get("/dags/etl/tasks")).json()["tasks"]
    assert {t["task_id"]: t["downstream_task_ids"] for t in tasks} == {
        "extract": ["load"],
        "load": [],
    }


async def test_versions_are_immutable_and_keyed_by_content(api):
    first = (await api.post("/dags", json=SPEC)).json()["latest_dag_version"]
    again = await api.post("/dags", json=SPEC)
    assert again.status_code == 200 and again.json()["latest_dag_version"] == first
    changed = await api.post("/dags", json={**SPEC, "tasks": [bash("extract")]})
    assert changed.status_code == 201
    assert changed.json()["latest_dag_version"]["version_number"] == 2
    # A run triggered now is pinned to version 2.
    run = (await api.post("/dags/etl/dagRuns", json={"dag_run_id": "v2run"})).json()
    assert [v["version_number"] for v in run["dag_versions"]] == [2]


async def test_a_yaml_spec_is_accepted(api):
    response = await api.post(
        "/dags", content=yaml.safe_dump(SPEC), headers={"content-type": "application/yaml"}
    )
    assert response.status_code == 201, response.text


async def test_paused_upon_creation_and_unpausing(api):
    dag = (await api.post("/dags", json={**SPEC, "is_paused_upon_creation": True})).json()
    assert dag["is_paused"] is True
    patched = await api.patch("/dags/etl", json={"is_paused": False})
    assert patched.status_code == 200 and patched.json()["is_paused"] is False


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (
            {**SPEC, "tasks": [bash("extract"), bash("load", "ghost")]},
            "tasks[1].upstream",
            "unknown task 'ghost'",
        ),
        (
            {**SPEC, "tasks": [bash("a", "b"), bash("b", "a")]},
            "tasks",
            "cycle between tasks: a -> b -> a",
        ),
        ({**SPEC, "schedule": "sometimes"}, "schedule", "cron"),
        ({**SPEC, "dag_id": "no spaces allowed"}, "dag_id", "pattern"),
        (
            {**SPEC, "tasks": [{"task_id": "x", "operator": "bash"}]},
            "tasks[0].bash_command",
            "Field required",
        ),
    ],
)
async def test_an_invalid_spec_is_422_naming_the_field_and_stores_nothing(api, spec, field, words):
    body = assert_problem(await api.post("/dags", json=spec), 422)
    assert field in [e["field"] for e in body["errors"]]
    assert words in body["detail"]
    assert (await api.get("/dags")).json()["total_entries"] == 0


async def test_a_body_that_is_not_json_is_422(api):
    body = assert_problem(
        await api.post("/dags", content=b"{nope", headers={"content-type": "application/json"}), 422
    )
    assert "not valid JSON" in body["detail"]


async def test_unknown_dags_and_runs_are_404(api):
    assert "'nope'" in assert_problem(await api.get("/dags/nope"), 404)["detail"]
    assert_problem(await api.post("/dags/nope/dagRuns", json={}), 404)
    await api.post("/dags", json=SPEC)
    assert "'missing'" in assert_problem(await api.get("/dags/etl/dagRuns/missing"), 404)["detail"]
    assert_problem(await api.get("/dags/etl/dagRuns/missing/taskInstances"), 404)


async def test_trigger_is_idempotent_on_the_run_id(api):
    await api.post("/dags", json=SPEC)
    first = await api.post("/dags/etl/dagRuns", json={"dag_run_id": "once", "conf": {"day": 1}})
    assert first.status_code == 200, first.text
    run = first.json()
    assert (
        run["dag_run_id"] == "once"
        and run["conf"] == {"day": 1}
        and run["state"] in ("queued", "running")
    )
    body = assert_problem(await api.post("/dags/etl/dagRuns", json={"dag_run_id": "once"}), 409)
    assert "'once'" in body["detail"]
    runs = (await api.get("/dags/etl/dagRuns")).json()
    assert runs["total_entries"] == 1
    tis = (await api.get("/dags/etl/dagRuns/once/taskInstances")).json()["task_instances"]
    assert sorted(t["task_id"] for t in tis) == ["extract", "load"]


async def test_a_bad_trigger_body_names_the_field(api):
    await api.post("/dags", json=SPEC)
    body = assert_problem(await api.post("/dags/etl/dagRuns", json={"conf": "not an object"}), 422)
    assert [e["field"] for e in body["errors"]] == ["body.conf"]
    body = assert_problem(await api.post("/dags/etl/dagRuns", json={"colour": "red"}), 422)
    assert [e["field"] for e in body["errors"]] == ["body.colour"]
    body = assert_problem(
        await api.post("/dags/etl/dagRuns", json={"run_after": "2026-01-01"}), 422
    )
    assert [e["field"] for e in body["errors"]] == ["body.run_after"]
    assert (await api.get("/dags/etl/dagRuns")).json()["total_entries"] == 0


async def test_health_reports_every_service(api):
    health = (await api.get("/monitor/health")).json()
    assert health["metadatabase"]["status"] == "healthy"
    assert (
        health["scheduler"]["status"] == "healthy"
        and health["scheduler"]["latest_scheduler_heartbeat"]
    )
    assert health["dispatcher"]["status"] == "healthy"
    assert health["workers"] == {
        "status": "unhealthy",
        "live_workers": 0,
        "latest_worker_heartbeat": None,
        "slots": 0,
        "slots_in_use": 0,
    }


async def test_the_openapi_document_describes_the_spec(api):
    base = str(api.base_url).rstrip("/").removesuffix("/api/v2")
    doc = (await api.get(f"{base}/openapi.json")).json()
    assert doc["paths"]["/api/v2/dags"]["post"]["operationId"] == "post_dag"
    assert "DagSpec" in doc["components"]["schemas"] and "BashTask" in doc["components"]["schemas"]


async def test_the_openapi_document_marks_tradewind_extensions(api):
    base = str(api.base_url).rstrip("/").removesuffix("/api/v2")
    doc = (await api.get(f"{base}/openapi.json")).json()
    workers = doc["paths"]["/api/v2/workers"]["get"]
    assert workers["x-tradewind-extension"] is True
    [tag] = workers["tags"]
    assert "extension" in tag
    assert any(t["name"] == tag and "Not part of Airflow" in t["description"] for t in doc["tags"])
    for schema in ("PythonTask", "HttpTask", "EmptyTask", "CodeBundle", "XComResponseNative"):
        assert schema in doc["components"]["schemas"]
