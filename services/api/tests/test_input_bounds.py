"""Numbers, dates and characters that storage or protos cannot hold are refused at the
door with a 422 naming the field, and change nothing; never a 500 from deep inside."""

from __future__ import annotations

import pytest

import services.api.tests.test_rest_api as live

pytestmark = pytest.mark.postgres
api = live.api  # the api, scheduler and dispatcher serving for real
bash = live.bash
PAST_INT32 = 2**31


def assert_refused(answer, field: str) -> dict:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert field in body["detail"] and [e for e in body["errors"] if e["field"] == field]
    return body


@pytest.fixture
async def dag(api):
    created = await api.post("/dags", json={"dag_id": "bounds", "tasks": [bash("a")]})
    assert created.status_code == 201, created.text
    triggered = await api.post("/dags/bounds/dagRuns", json={"dag_run_id": "r"})
    assert triggered.status_code == 200, triggered.text
    return api


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/dags", "offset"),
        ("/dags/bounds/dagRuns", "offset"),
        ("/dags/bounds/dagRuns/r/taskInstances/a/xcomEntries", "map_index"),
    ],
)
async def test_an_offset_or_index_past_int32_is_a_422(dag, path, field):
    assert_refused(await dag.get(path, params={field: PAST_INT32}), f"query.{field}")
    assert (await dag.get(path, params={field: PAST_INT32 - 1})).status_code == 200


async def test_a_log_try_number_past_int32_is_a_422(dag):
    answer = await dag.get(f"/dags/bounds/dagRuns/r/taskInstances/a/logs/{PAST_INT32}")
    assert_refused(answer, "path.try_number")


async def test_a_backfill_id_past_int32_is_a_422(dag):
    assert_refused(await dag.get(f"/backfills/{PAST_INT32}"), "path.backfill_id")
    assert (await dag.get(f"/backfills/{PAST_INT32 - 1}")).status_code == 404


@pytest.mark.parametrize("when", ["9999-12-31T23:00:00-05:00", "0001-01-01T01:00:00+05:00"])
async def test_a_logical_date_outside_utc_years_is_a_422(dag, when):
    answer = await dag.post("/dags/bounds/dagRuns", json={"logical_date": when})
    body = assert_refused(answer, "body.logical_date")
    assert "outside the years 1 to 9999" in body["detail"]
    runs = (await dag.get("/dags/bounds/dagRuns")).json()
    assert [r["dag_run_id"] for r in runs["dag_runs"]] == ["r"]  # nothing created
    # The same wall-clock time at UTC exists, and is accepted.
    edge = when[:19] + "+00:00"
    accepted = await dag.post("/dags/bounds/dagRuns", json={"logical_date": edge})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["logical_date"] == edge[:19] + "Z"


async def test_backfill_and_clear_dates_outside_utc_years_are_a_422(dag):
    answer = await dag.post(
        "/backfills",
        json={
            "dag_id": "bounds",
            "from_date": "0001-01-01T01:00:00+05:00",
            "to_date": "2026-01-01T00:00:00Z",
        },
    )
    assert_refused(answer, "body.from_date")
    answer = await dag.post(
        "/dags/bounds/clearTaskInstances",
        json={"end_date": "9999-12-31T23:00:00-05:00"},
    )
    assert_refused(answer, "body.end_date")


async def test_a_nul_character_anywhere_is_a_422_naming_where(dag):
    assert_refused(await dag.get("/dags?tags=a%00b"), "query.tags")
    assert_refused(await dag.get("/dags?dag_id_pattern=%00"), "query.dag_id_pattern")
    answer = await dag.patch("/dags/bounds/dagRuns/r", json={"note": "a\u0000b"})
    assert_refused(answer, "body")
    assert (await dag.get("/dags/bounds/dagRuns/r")).json()["note"] is None  # unchanged
    # An escaped backslash before "u0000" is not a NUL: accepted.
    answer = await dag.patch("/dags/bounds/dagRuns/r", json={"note": "a\\u0000b"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["note"] == "a\\u0000b"
