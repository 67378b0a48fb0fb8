"""What a client sees when a request is wrong, too large, or meets a bug or an outage:
always a problem document, never a stack trace, SQL or path."""

from __future__ import annotations

import json

import httpx
import pytest

import services.api.tests.test_rest_api as live
from conftest import admin_auth
from tradewind_api.app import create_app

pytestmark = pytest.mark.postgres
api = live.api  # the api, scheduler and dispatcher serving for real
bash = live.bash

SPEC = {"dag_id": "limits", "tasks": [bash("a")]}


async def test_a_body_that_is_not_json_is_refused_with_415(api):
    for headers in ({"Content-Type": "text/plain"}, {}):
        answer = await api.post("/dags", content=json.dumps(SPEC), headers=headers)
        assert answer.status_code == 415, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert "application/json" in answer.json()["detail"]
    assert (await api.get("/dags/limits")).status_code == 404  # nothing stored


async def test_a_body_over_the_cap_is_refused_before_it_is_read(api):
    big = {**SPEC, "description": "x" * (5 * 1024 * 1024)}
    answer = await api.post("/dags", json=big)
    assert answer.status_code == 413
    assert "TRADEWIND_API_MAX_BODY_BYTES" in answer.json()["detail"]
    assert (await api.get("/dags/limits")).status_code == 404


@pytest.mark.parametrize("kind", ["json", "yaml"])
async def test_a_deeply_nested_body_is_a_422_not_a_crash(api, kind):
    if kind == "json":
        params = '{"x": ' * 1000 + "{}" + "}" * 1000
        body = f'{{"dag_id": "deep", "params": {params}, "tasks": {json.dumps([bash("a")])}}}'
        answer = await api.post("/dags", content=body, headers={"Content-Type": "application/json"})
    else:
        body = "dag_id: deep\nparams: " + "[" * 1000 + "]" * 1000 + "\ntasks: []\n"
        block = "".join(f"{'  ' * i}k:\n" for i in range(1000))
        for content in (body, "params:\n" + block):
            answer = await api.post(
                "/dags", content=content, headers={"Content-Type": "application/yaml"}
            )
            assert answer.status_code == 422, answer.text
    assert answer.status_code == 422, answer.text
    assert "nested" in answer.json()["detail"]


async def test_405_names_the_allowed_methods(api):
    answer = await api.put("/dags")
    assert answer.status_code == 405
    assert set(answer.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_bug_is_a_500_with_a_correlation_id_and_nothing_internal():
    app = create_app()

    @app.get("/api/v2/boom")
    async def boom():
        raise RuntimeError('SELECT password FROM "connection" WHERE id = 1 /srv/app/secret.py')

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/api/v2/boom")
    assert answer.status_code == 500
    body = answer.json()
    assert body["correlation_id"] and body["correlation_id"] in body["detail"]
    for internal in ("SELECT", "password", "RuntimeError", "secret.py", "Traceback"):
        assert internal not in answer.text


async def test_a_dependency_down_is_a_503_with_retry_after(
    pg_database, schema_prefix, service_ports
):
    """The api alone, its scheduler and dispatcher not running: reads that need them say
    so with 503 and when to retry, not what failed inside."""
    import asyncio

    from tradewind_api.main import serve as serve_api
    from tradewind_api.settings import ApiSettings

    settings = ApiSettings(
        database_url=pg_database, database_schema_prefix=schema_prefix, **service_ports
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve_api(settings, stop))
    base = f"http://127.0.0.1:{service_ports['api_port']}/api/v2"
    try:
        async with httpx.AsyncClient(auth=admin_auth(), base_url=base, timeout=10) as client:
            for _ in range(200):
                try:
                    await client.get("/version")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            answer = await client.get("/dags/anything/dagRuns")
            assert answer.status_code in (404, 503), answer.text
            created = await client.post("/dags", json=SPEC)
            assert created.status_code == 503, created.text
            assert created.headers["retry-after"].isdigit()
            assert "scheduler" in created.json()["detail"]
            assert "UNAVAILABLE" not in created.text and "127.0.0.1" not in created.text
            assert (await client.get("/dags/limits")).status_code == 404  # nothing stored
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
