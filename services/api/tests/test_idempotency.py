"""A POST retried with the same Idempotency-Key is done once: the retry gets the first
answer. Counted from what exists afterwards (runs listed), not from status codes alone."""

from __future__ import annotations

import asyncio

import pytest

import services.api.tests.test_rest_api as live

pytestmark = pytest.mark.postgres
api = live.api  # the api, scheduler and dispatcher serving for real
SPEC = {"dag_id": "idem", "is_paused_upon_creation": True, "tasks": [live.bash("a")]}


async def _runs(api) -> list[str]:
    listed = (await api.get("/dags/idem/dagRuns")).json()
    return [run["dag_run_id"] for run in listed["dag_runs"]]


async def test_a_retried_trigger_creates_one_run(api):
    assert (await api.post("/dags", json=SPEC)).status_code == 201
    key = {"Idempotency-Key": "trigger-1"}
    first = await api.post("/dags/idem/dagRuns", json={"conf": {"n": 1}}, headers=key)
    again = await api.post("/dags/idem/dagRuns", json={"conf": {"n": 1}}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["dag_run_id"] == first.json()["dag_run_id"]
    assert await _runs(api) == [first.json()["dag_run_id"]]

    # Another key is another request.
    other = await api.post("/dags/idem/dagRuns", json={}, headers={"Idempotency-Key": "trigger-2"})
    assert other.status_code == 200 and "idempotent-replayed" not in other.headers
    assert len(await _runs(api)) == 2


async def test_concurrent_retries_create_one_run(api):
    assert (await api.post("/dags", json=SPEC)).status_code == 201
    key = {"Idempotency-Key": "burst"}
    answers = await asyncio.gather(
        *(api.post("/dags/idem/dagRuns", json={}, headers=key) for _ in range(8))
    )
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {200, 409}, codes
    assert 200 in codes
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["retry-after"] == "1"
    assert len(await _runs(api)) == 1


async def test_a_key_reused_with_another_body_is_refused(api):
    assert (await api.post("/dags", json=SPEC)).status_code == 201
    key = {"Idempotency-Key": "reused"}
    assert (await api.post("/dags/idem/dagRuns", json={}, headers=key)).status_code == 200
    clash = await api.post("/dags/idem/dagRuns", json={"note": "other"}, headers=key)
    assert clash.status_code == 422
    assert "different request" in clash.json()["detail"]
    assert len(await _runs(api)) == 1


async def test_a_refused_request_is_answered_the_same_and_a_bad_key_is_named(api):
    key = {"Idempotency-Key": "missing-dag"}
    first = await api.post("/dags/nope/dagRuns", json={}, headers=key)
    again = await api.post("/dags/nope/dagRuns", json={}, headers=key)
    assert first.status_code == again.status_code == 404
    assert again.json() == first.json()
    bad = await api.post("/dags/idem/dagRuns", json={}, headers={"Idempotency-Key": "x" * 300})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.json()["detail"]


async def test_a_trigger_whose_answer_was_never_recorded_still_runs_once(
    api, pg_database, schema_prefix
):
    """The api died after the run was made but before it kept the answer: the retry,
    finding no answer, must still not make a second run (the run is named after the key)."""
    import asyncpg

    assert (await api.post("/dags", json=SPEC)).status_code == 201
    key = {"Idempotency-Key": "lost-answer"}
    first = await api.post("/dags/idem/dagRuns", json={}, headers=key)
    conn = await asyncpg.connect(pg_database.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'DELETE FROM "{schema_prefix}api".idempotency_key')
    finally:
        await conn.close()
    again = await api.post("/dags/idem/dagRuns", json={}, headers=key)
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers
    assert again.json()["dag_run_id"] == first.json()["dag_run_id"]
    assert await _runs(api) == [first.json()["dag_run_id"]]
